import Foundation
import Testing
@testable import Nabla

@Suite struct IDXTests {
    /// Runs `body` with a fresh temporary directory, removed afterwards.
    func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-idx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    func error(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    /// Three 4×5 images with varied pixel values, and their labels.
    let images = Tensor((0..<60).map { Float(($0 * 37 + 11) % 256) }, shape: [3, 1, 4, 5])
    let labels = [3, 0, 9]

    /// An IDX header: big-endian u32 fields.
    func header(_ fields: [Int]) -> [UInt8] {
        fields.flatMap { value in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
    }

    @Test(arguments: [false, true]) func roundTrip(gzip: Bool) throws {
        try withTemporaryDirectory { dir in
            let imagesPath = dir + "/train-images-idx3-ubyte" + (gzip ? ".gz" : "")
            let labelsPath = dir + "/train-labels-idx1-ubyte" + (gzip ? ".gz" : "")
            try IDX.write(images: images, labels: labels, imagesPath: imagesPath, labelsPath: labelsPath, gzip: gzip)
            let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: imagesPath)))
            #expect(raw.starts(with: [0x1f, 0x8b]) == gzip)
            if !gzip {
                #expect(raw.count == 16 + 60)
                #expect(Array(raw[0..<16]) == header([2051, 3, 4, 5]))
                #expect(raw[16 + 20 + 7] == UInt8(images.floats[20 + 7]))  // image 1, row 1, column 2
            }
            let data = try IDX.load(images: imagesPath, labels: labelsPath)
            #expect(data.features.shape == [3, 1, 4, 5])
            #expect(data.features.floats == images.floats)
            #expect(data.labels == labels)
            #expect(data.classNames == (0..<10).map(String.init))
        }
    }

    @Test func directoryWithTrainAndTest() throws {
        try withTemporaryDirectory { dir in
            try IDX.write(images: images, labels: labels, imagesPath: dir + "/train-images-idx3-ubyte.gz",
                          labelsPath: dir + "/train-labels-idx1-ubyte.gz", gzip: true)
            var loaded = try IDX.load(directory: dir)
            #expect(loaded.train.count == 3 && loaded.test == nil)

            let testImages = Tensor((0..<40).map { Float($0) }, shape: [2, 4, 5])
            try IDX.write(images: testImages, labels: [12, 1], imagesPath: dir + "/t10k-images-idx3-ubyte",
                          labelsPath: dir + "/t10k-labels-idx1-ubyte")
            // Test labels must lie among the training set's classes, unless the count is stated.
            #expect(error { try IDX.load(directory: dir) } == "\(dir)/t10k-labels-idx1-ubyte, label 0 at byte 8: label 12 is out of range for 10 classes (0…9)")
            loaded = try IDX.load(directory: dir, classCount: 13)
            #expect(loaded.train.labels == labels)
            #expect(loaded.test?.labels == [12, 1])
            #expect(loaded.test?.features.shape == [2, 1, 4, 5])
            #expect(loaded.train.classCount == 13 && loaded.test?.classCount == 13)
            // A stray label leaving classes without examples is an error naming it.
            try IDX.writeLabels([3, 200, 9], to: dir + "/stray-labels")
            try IDX.write(images: images, labels: labels, imagesPath: dir + "/stray-images", labelsPath: dir + "/unused-labels")
            #expect(error { try IDX.load(images: dir + "/stray-images", labels: dir + "/stray-labels") }
                    == "\(dir)/stray-labels, label 1 at byte 9: label 200 (1 example) leaves classes 10 to 199 without examples; "
                        + "class labels must be 0…C-1 (state the number of classes if empty classes are intended)")

            try FileManager.default.removeItem(atPath: dir + "/t10k-labels-idx1-ubyte")
            #expect(error { try IDX.load(directory: dir) } == "\(dir): found t10k-images-idx3-ubyte but not t10k-labels-idx1-ubyte[.gz]")
            try FileManager.default.removeItem(atPath: dir + "/t10k-images-idx3-ubyte")
            try IDX.write(images: testImages, labels: [12, 1], imagesPath: dir + "/t10k-images-idx3-ubyte",
                          labelsPath: dir + "/t10k-labels-idx1-ubyte")
            try FileManager.default.removeItem(atPath: dir + "/train-images-idx3-ubyte.gz")
            try FileManager.default.removeItem(atPath: dir + "/train-labels-idx1-ubyte.gz")
            #expect(error { try IDX.load(directory: dir) }
                    == "\(dir): found test files (t10k-…) but no train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]")
        }
    }

    @Test func directoryWithoutFilesSaysWhatItLookedFor() throws {
        try withTemporaryDirectory { dir in
            #expect(error { try IDX.load(directory: dir) } == "\(dir): no MNIST IDX files found; looked for "
                + "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]")
            #expect(error { try IDX.load(directory: dir + "/missing") } == "\(dir)/missing: no such directory")
        }
    }

    @Test func badImagesFiles() {
        func images(_ bytes: [UInt8]) -> String { error { try IDX.parseImages(bytes, file: "i") } }
        #expect(images(header([2051, 1])) == "i, byte 8: file ends inside the 16-byte header of IDX images")
        #expect(images([0, 0]) == "i, byte 2: file ends inside the 16-byte header of IDX images")
        #expect(images(header([2049, 3]) + [1, 2, 3])
                == "i, byte 0: magic number 2049 (0x00000801, an IDX labels file), expected 2051 (0x00000803) for IDX images")
        #expect(images(header([0x1234, 1, 1, 1]) + [0])
                == "i, byte 0: magic number 4660 (0x00001234), expected 2051 (0x00000803) for IDX images")
        #expect(images(header([2051, 5, 2, 2]) + [UInt8](repeating: 7, count: 13))
                == "i, image 3 at byte 28: file ends after 3 of the 5 images the header announces (29 bytes, expected 36)")
        #expect(images(header([2051, 5, 2, 2]) + [UInt8](repeating: 7, count: 22))
                == "i, byte 36: 2 bytes after the 5 images the header announces (38 bytes, expected 36)")
        #expect(images(header([2051, 1, 0, 28])) == "i, byte 8: image size 0×28, expected positive rows and columns")
        #expect(images(header([2051, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF]))
                == "i, byte 8: image size 4294967295×4294967295 is too large for any file")
        #expect(images(header([2051, 0xFFFF_FFFF, 0xFFFF_FFFF, 0x7FFF_FFFF]))
                == "i, byte 4: the header announces 4294967295 images of 9223372030412324865 bytes, more than any file holds")
    }

    @Test func badLabelsFiles() {
        func labels(_ bytes: [UInt8]) -> String { error { try IDX.parseLabels(bytes, file: "l") } }
        #expect(labels(header([2049])) == "l, byte 4: file ends inside the 8-byte header of IDX labels")
        #expect(labels(header([2051, 1, 1, 1]) + [0])
                == "l, byte 0: magic number 2051 (0x00000803, an IDX images file), expected 2049 (0x00000801) for IDX labels")
        #expect(labels(header([2049, 4]) + [1, 2])
                == "l, label 2 at byte 10: file ends after 2 of the 4 labels the header announces (10 bytes, expected 12)")
        #expect(labels(header([2049, 1]) + [1, 2]) == "l, byte 9: 1 byte after the 1 labels the header announces (10 bytes, expected 9)")
        #expect((try? IDX.parseLabels(header([2049, 3]) + [0, 255, 7], file: "l")) == [0, 255, 7])
    }

    @Test func mismatchedAndDamagedFiles() throws {
        try withTemporaryDirectory { dir in
            let imagesPath = dir + "/images", labelsPath = dir + "/labels"
            try IDX.writeImages(images, to: imagesPath)
            try IDX.writeLabels([1, 2], to: labelsPath)
            #expect(error { try IDX.load(images: imagesPath, labels: labelsPath) } == "\(labelsPath): 2 labels, but \(imagesPath) has 3 images")
            #expect(error { try IDX.load(images: labelsPath, labels: imagesPath) }
                    == "\(labelsPath), byte 0: magic number 2049 (0x00000801, an IDX labels file), expected 2051 (0x00000803) for IDX images")

            // A gzip file cut short: Gzip names the file and says it is truncated.
            try IDX.writeImages(images, to: imagesPath + ".gz", gzip: true)
            let zipped = try Data(contentsOf: URL(fileURLWithPath: imagesPath + ".gz"))
            try zipped.prefix(zipped.count - 10).write(to: URL(fileURLWithPath: dir + "/cut.gz"))
            #expect(error { try IDX.readImages(dir + "/cut.gz") }.hasPrefix("\(dir)/cut.gz, byte "))
            #expect(error { try IDX.readImages(dir + "/cut.gz") }.contains("truncated"))

            // A raw file cut short inside its data: the place and the counts are named.
            let raw = try Data(contentsOf: URL(fileURLWithPath: imagesPath))
            try raw.prefix(16 + 30).write(to: URL(fileURLWithPath: dir + "/cut"))
            #expect(error { try IDX.readImages(dir + "/cut") }
                    == "\(dir)/cut, image 1 at byte 36: file ends after 1 of the 3 images the header announces (46 bytes, expected 76)")
        }
    }
}
