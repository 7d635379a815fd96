import Foundation
import Testing
@testable import Nabla

@Suite struct CIFAR10Tests {
    /// Runs `body` with a fresh temporary directory, removed afterwards.
    func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-cifar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    func error(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    /// `n` images `[n, 3, 32, 32]` whose pixels differ by position, channel and image.
    func images(_ n: Int, seed: Int = 0) -> Tensor {
        Tensor((0..<(n * 3072)).map { Float(($0 * 31 + seed * 101 + 7) % 256) }, shape: [n, 3, 32, 32])
    }

    let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    @Test(arguments: [false, true]) func roundTrip(gzip: Bool) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/data_batch_1.bin"
            let pictures = images(3)
            try CIFAR10.write(images: pictures, labels: [0, 9, 4], to: path, gzip: gzip)
            let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            if gzip {
                #expect(raw.starts(with: [0x1f, 0x8b]))
            } else {
                // Record 1: label byte, then the red, green and blue planes, each row-major.
                #expect(raw.count == 3 * 3073)
                #expect(raw[3073] == 9)
                let (channel, row, column) = (1, 2, 5)
                #expect(Float(raw[3073 + 1 + channel * 1024 + row * 32 + column])
                        == pictures.floats[3072 + channel * 1024 + row * 32 + column])
            }
            let data = try CIFAR10.load(batches: [path])
            #expect(data.features.shape == [3, 3, 32, 32])
            #expect(data.features.floats == pictures.floats)
            #expect(data.labels == [0, 9, 4])
            #expect(data.classNames == (0..<10).map(String.init))
        }
    }

    @Test(arguments: [false, true]) func directory(inSubfolder: Bool) throws {
        try withTemporaryDirectory { top in
            let dir = inSubfolder ? top + "/cifar-10-batches-bin" : top
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try CIFAR10.write(images: images(2, seed: 1), labels: [1, 2], to: dir + "/data_batch_1.bin")
            try CIFAR10.write(images: images(1, seed: 3), labels: [3], to: dir + "/data_batch_3.bin")
            var loaded = try CIFAR10.load(directory: top)
            #expect(loaded.train.labels == [1, 2, 3] && loaded.test == nil)
            #expect(loaded.train.features.floats == images(2, seed: 1).floats + images(1, seed: 3).floats)

            try CIFAR10.write(images: images(2, seed: 5), labels: [8, 0], to: dir + "/test_batch.bin")
            try (names.joined(separator: "\n") + "\n").write(toFile: dir + "/batches.meta.txt", atomically: true, encoding: .utf8)
            loaded = try CIFAR10.load(directory: top)
            #expect(loaded.test?.labels == [8, 0])
            #expect(loaded.test?.features.shape == [2, 3, 32, 32])
            #expect(loaded.train.classNames == names && loaded.test?.classNames == names)
        }
    }

    @Test func directoryWithoutBatchesSaysWhatItLookedFor() throws {
        try withTemporaryDirectory { dir in
            let expected = "\(dir): no CIFAR-10 training batches found; looked for data_batch_1.bin, data_batch_2.bin, "
                + "data_batch_3.bin, data_batch_4.bin, data_batch_5.bin (and test_batch.bin, batches.meta.txt) here and in cifar-10-batches-bin/"
            #expect(error { try CIFAR10.load(directory: dir) } == expected)
            try CIFAR10.write(images: images(1), labels: [1], to: dir + "/test_batch.bin")
            #expect(error { try CIFAR10.load(directory: dir) } == expected)
        }
    }

    @Test func badBatches() {
        func check(_ bytes: [UInt8]) -> String { error { try CIFAR10.check(bytes, file: "b.bin") } }
        let record = [UInt8](repeating: 5, count: 3073)
        #expect(check(record + record) == "no error")
        #expect(check([]) == "b.bin: empty file, expected 3073-byte records (1 label byte and 3072 pixel bytes)")
        #expect(check(record + record + [1, 2, 3, 4, 5])
                == "b.bin, record 2 at byte 6146: file ends inside a record: 6151 bytes are not a whole number of 3073-byte records (the last has 5 of its 3073 bytes)")
        #expect(check(Array(record[0..<100]))
                == "b.bin, record 0 at byte 0: file ends inside a record: 100 bytes are not a whole number of 3073-byte records (the last has 100 of its 3073 bytes)")
        #expect(check(record + [10] + record.dropFirst()) == "b.bin, record 1 at byte 3073: label 10, expected 0–9")
    }

    @Test func badFilesOnDisk() throws {
        try withTemporaryDirectory { dir in
            try CIFAR10.write(images: images(2), labels: [1, 2], to: dir + "/data_batch_1.bin")
            let raw = try Data(contentsOf: URL(fileURLWithPath: dir + "/data_batch_1.bin"))
            try raw.prefix(3073 + 3000).write(to: URL(fileURLWithPath: dir + "/data_batch_2.bin"))
            #expect(error { try CIFAR10.load(directory: dir) } == "\(dir)/data_batch_2.bin, record 1 at byte 3073: "
                + "file ends inside a record: 6073 bytes are not a whole number of 3073-byte records (the last has 3000 of its 3073 bytes)")
            try FileManager.default.removeItem(atPath: dir + "/data_batch_2.bin")

            try "cat\ndog\n\nbird\n".write(toFile: dir + "/batches.meta.txt", atomically: true, encoding: .utf8)
            #expect(error { try CIFAR10.load(directory: dir) } == "\(dir)/batches.meta.txt: expected 10 class names, one per line, found 3")
            #expect(error { try CIFAR10.load(batches: [dir + "/data_batch_9.bin"]) } == "\(dir)/data_batch_9.bin: no such file")
        }
    }
}
