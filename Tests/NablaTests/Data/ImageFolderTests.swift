import Foundation
import Testing
@testable import Nabla

/// Image folders written by the tests through libpng and libjpeg-turbo, read back as data sets.
@Suite struct ImageFolderTests {
    /// A fresh temporary folder, removed afterwards.
    func withFolder(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-images-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    func write(_ bytes: [UInt8], _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AtomicFile.write(bytes, to: path)
    }

    func error(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    /// A grey image whose pixels are `seed + 7 · index`, wrapping.
    func grey(_ width: Int, _ height: Int, seed: Int) -> DecodedImage {
        DecodedImage(width: width, height: height, channels: 1, pixels: (0..<(width * height)).map { UInt8((seed + 7 * $0) % 256) })
    }

    @Test func mnistDigitsAsPNGsReadBackAsTheSameBytes() throws {
        try withFolder { dir in
            let digits = try Datasets.load("mnist-5k").subset(Array(0..<40))
            let pixels = digits.features.floats.map { UInt8($0) }
            for i in 0..<digits.count {
                let image = DecodedImage(width: 28, height: 28, channels: 1, pixels: Array(pixels[(i * 784)..<((i + 1) * 784)]))
                try write(ImageCodecs.encodePNG(image), dir + "/digits/\(digits.labels[i])/\(String(format: "%03d", i)).png")
            }
            let contents = try ImageFolder.load(dir + "/digits")
            #expect(contents.validation == nil && contents.test == nil && contents.skipped.isEmpty)
            let data = contents.train
            #expect(data.exampleShape == [1, 28, 28] && data.isCompact)
            #expect(data.classNames == Set(digits.labels).sorted().map(String.init))
            // Sorted by class, then file name: the same examples in another order.
            let order = (0..<40).sorted { (digits.labels[$0], $0) < (digits.labels[$1], $1) }
            #expect(data.labels == order.map { data.classNames.firstIndex(of: String(digits.labels[$0]))! })
            #expect(data.features.floats == digits.subset(order).features.floats)
        }
    }

    @Test func trainValTestFoldersJPEGsAndColour() throws {
        try withFolder { dir in
            let red = DecodedImage(width: 8, height: 6, channels: 3, pixels: (0..<48).flatMap { _ in [200, 30, 60] as [UInt8] })
            for split in ["train", "val", "test"] {
                try write(ImageCodecs.encodePNG(grey(8, 6, seed: 1)), dir + "/p/\(split)/cat/a.png")
                try write(ImageCodecs.encodeJPEG(red, quality: 95), dir + "/p/\(split)/dog/b.JPG")
                try write(ImageCodecs.encodeJPEG(grey(8, 6, seed: 2).rgb()), dir + "/p/\(split)/dog/c.jpeg")
            }
            try write(Array("notes".utf8), dir + "/p/train/cat/readme.txt")
            #expect(ImageFolder.isImageFolder(dir + "/p") && !ImageFolder.isImageFolder(dir))
            let contents = try ImageFolder.load(dir + "/p")
            for data in [contents.train, try #require(contents.validation), try #require(contents.test)] {
                #expect(data.classNames == ["cat", "dog"] && data.labels == [0, 1, 1])
                #expect(data.exampleShape == [3, 6, 8])
                let f = data.features.floats
                // The grey PNG repeated in three planes, exactly; the red JPEG within JPEG's error.
                #expect(Array(f[0..<48]) == grey(8, 6, seed: 1).pixels.map(Float.init))
                #expect(Array(f[96..<144]) == Array(f[0..<48]))
                #expect(f[144..<192].allSatisfy { abs($0 - 200) <= 4 } && f[192..<240].allSatisfy { abs($0 - 30) <= 4 })
            }
        }
    }

    @Test func imagesOfOtherSizesAreResizedOrRefused() throws {
        try withFolder { dir in
            try write(ImageCodecs.encodePNG(grey(4, 4, seed: 0)), dir + "/p/a/1.png")
            let wide = DecodedImage(width: 8, height: 4, channels: 1, pixels: (0..<32).map { UInt8(($0 % 8) * 10) })
            try write(ImageCodecs.encodePNG(wide), dir + "/p/b/2.png")
            #expect(error { try ImageFolder.load(dir + "/p") }
                    == "\(dir)/p/b/2.png: a 8×4 image, but \(dir)/p/a/1.png is 4×4: all images must have one size, or be resized to one (image size option)")
            let data = try ImageFolder.load(dir + "/p", options: .init(imageSize: 4)).train
            #expect(data.exampleShape == [1, 4, 4])
            // Halving the width averages neighbouring columns: 0,10 → 5; 20,30 → 25; …
            #expect(Array(data.features.floats[16..<20]) == [5, 25, 45, 65])
        }
    }

    @Test func badFoldersAndImagesAreOneLineErrors() throws {
        try withFolder { dir in
            let png = ImageCodecs.encodePNG(grey(4, 4, seed: 3))
            try write(png, dir + "/p/a/1.png")
            try FileManager.default.createDirectory(atPath: dir + "/p/b", withIntermediateDirectories: true)
            #expect(error { try ImageFolder.load(dir + "/p") } == "\(dir)/p/b: empty class folder: no .png, .jpg or .jpeg images")
            try write(Array(png.prefix(40)), dir + "/p/b/cut.png")
            try write(Array("hello".utf8), dir + "/p/b/text.jpg")
            try write(png, dir + "/p/b/ok.png")
            try write(Array(ImageCodecs.encodeJPEG(grey(4, 4, seed: 1)).prefix(20)), dir + "/p/b/short.jpg")
            let message = error { try ImageFolder.load(dir + "/p") }
            #expect(message.hasPrefix("\(dir)/p/b/cut.png: corrupt or truncated PNG image (libpng: "))
            #expect(message.hasSuffix(") (and 2 more unreadable images)") && !message.contains("\n"))
            let skipping = try ImageFolder.load(dir + "/p", options: .init(skipBad: true))
            #expect(skipping.train.count == 2 && skipping.train.labels == [0, 1])
            #expect(skipping.skipped.count == 3)
            #expect(skipping.skipped[1].hasPrefix("\(dir)/p/b/short.jpg: corrupt or truncated JPEG image (libjpeg: "))
            #expect(skipping.skipped.last == "\(dir)/p/b/text.jpg: not a PNG or JPEG image (its first bytes are neither signature)")

            try write(png, dir + "/q/train/a/1.png")
            try write(png, dir + "/q/train/b/1.png")
            try write(png, dir + "/q/test/a/1.png")
            try write(png, dir + "/q/test/c/1.png")
            #expect(error { try ImageFolder.load(dir + "/q") } == "\(dir)/q/test: its classes (a, c) differ from \(dir)/q/train's (a, b)")
            try FileManager.default.createDirectory(atPath: dir + "/r", withIntermediateDirectories: true)
            #expect(error { try ImageFolder.load(dir + "/r") } == "\(dir)/r: no class folders (expected \(dir)/r/<class>/*.png, .jpg or .jpeg)")
        }
    }
}
