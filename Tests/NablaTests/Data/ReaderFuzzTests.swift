import Foundation
import Testing
@testable import Nabla

/// Seeded fuzzing of every reader of untrusted files: valid IDX, CIFAR-10, CSV, `.npy` and
/// safetensors files (raw and gzip-compressed) are damaged in a few hundred ways each — bits
/// flipped, bytes overwritten, cut short, random bytes appended, header fields made huge — and each
/// read must either give sane data (finite features, labels below the class count, sizes that fit
/// the file) or throw the format's typed error as one line naming the file. A crash or an absurd
/// allocation would end the test process, so finishing is itself the main assertion.
@Suite struct ReaderFuzzTests {
    /// Damages per valid file; each reader gets at least 300.
    static let cases = 160

    /// One damaged copy of `bytes`, chosen by `random`.
    static func mutate(_ bytes: [UInt8], _ random: inout RandomGenerator) -> [UInt8] {
        var b = bytes
        let n = max(b.count, 1)
        switch random.next() % 6 {
        case 0:  // flip a few bits
            for _ in 0..<(1 + Int(random.next() % 8)) where !b.isEmpty { b[Int(random.next() % UInt64(b.count))] ^= 1 << (random.next() % 8) }
        case 1:  // overwrite a run of bytes, in the header more often than not
            let start = Int(random.next() % UInt64(random.next() % 2 == 0 ? min(n, 64) : n))
            for i in start..<min(b.count, start + 1 + Int(random.next() % 100)) { b[i] = UInt8(truncatingIfNeeded: random.next()) }
        case 2:  // truncate
            b = Array(b.prefix(Int(random.next() % UInt64(n))))
        case 3:  // append random bytes
            b += (0..<(1 + Int(random.next() % 50))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 4:  // a header byte set to an extreme
            if !b.isEmpty { b[Int(random.next() % UInt64(min(n, 32)))] = [0x00, 0xFF, 0x7F, 0x80][Int(random.next() % 4)] }
        default:  // replace everything with random bytes of a similar length
            b = (0..<Int(random.next() % UInt64(n + 1))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        return b
    }

    /// Writes each damaged version of `valid` (and, with `gzip`, of its gzip form) to a file and
    /// reads it with `read`, which returns what it loaded; checks the outcome as the suite describes.
    static func fuzz(_ name: String, _ valid: [UInt8], seed: UInt64, gzip: Bool = true, someLoad: Bool = true,
                     read: (String) throws -> Dataset?) throws {
        var random = RandomGenerator(seed: seed)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + name, gzPath = path + ".gz"
        try writeDataFile(valid, to: gzPath, gzip: true)
        let gzipped = SerializationFixtures.contents(gzPath)
        var outcomes = (loaded: 0, refused: 0)
        for index in 0..<(2 * cases) {
            // Half damage the file itself, a quarter its gzip form, a quarter the data inside the gzip.
            let (original, file, compress) = !gzip ? (valid, path, false) : index % 4 == 1 ? (gzipped, gzPath, false)
                : index % 4 == 3 ? (valid, gzPath, true) : (valid, path, false)
            let damaged = mutate(original, &random)
            if compress { try writeDataFile(damaged, to: file, gzip: true) } else { try Data(damaged).write(to: URL(fileURLWithPath: file)) }
            do {
                if let data = try read(file) { try checkSane(data, fileSize: damaged.count, case: "\(name) case \(index)") }
                outcomes.loaded += 1
            } catch let error as DataError {
                try checkMessage("\(error)", names: file, case: "\(name) case \(index)")
                outcomes.refused += 1
            } catch let error as SerializationError {
                try checkMessage("\(error)", names: file, case: "\(name) case \(index)")
                outcomes.refused += 1
            } catch {
                Issue.record("\(name) case \(index): an untyped error \(type(of: error)): \(error)")
            }
        }
        // Both outcomes occur: the mutations neither all miss nor all break the format.
        #expect(outcomes.refused > cases / 4, "\(name): \(outcomes)")
        if someLoad { #expect(outcomes.loaded > 0, "\(name): \(outcomes)") }
    }

    static func checkMessage(_ message: String, names file: String, case label: String) throws {
        #expect(!message.contains("\n"), "\(label): \(message)")
        #expect(message.contains(file) || message.contains((file as NSString).deletingLastPathComponent), "\(label): \(message)")
        #expect(message.count < 600, "\(label): \(message.count) characters")
    }

    static func checkSane(_ data: Dataset, fileSize: Int, case label: String) throws {
        #expect(data.labels.allSatisfy { (0..<data.classCount).contains($0) }, "\(label)")
        #expect(data.classCount <= max(10, data.count), "\(label): \(data.classCount) classes")
        // Decompressed data can exceed the file, but not absurdly: nothing reads more than it has.
        #expect(data.storageByteCount <= 64 * max(fileSize, 1) + 4096, "\(label): \(data.storageByteCount) bytes from \(fileSize)")
        if !data.isCompact { #expect(data.features.firstNonFiniteIndex() == nil, "\(label): non-finite features") }
    }

    // MARK: - The formats

    static func images(_ count: Int, _ shape: [Int], seed: UInt64) -> Tensor {
        var random = RandomGenerator(seed: seed)
        let values = (0..<(count * shape.reduce(1, *))).map { _ in Double(random.next() % 256) }
        return Tensor(values, shape: [count] + shape, dtype: .float32)
    }

    @Test func idxFilesNeverCrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-fuzz-idx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let labels = (0..<12).map { $0 % 10 }
        try IDX.write(images: Self.images(12, [1, 5, 4], seed: 1), labels: labels,
                      imagesPath: dir + "/images", labelsPath: dir + "/labels")
        let imageBytes = SerializationFixtures.contents(dir + "/images"), labelBytes = SerializationFixtures.contents(dir + "/labels")
        try Self.fuzz("images-idx3-ubyte", imageBytes, seed: 11) { try IDX.load(images: $0, labels: dir + "/labels") }
        try Self.fuzz("labels-idx1-ubyte", labelBytes, seed: 12) { try IDX.load(images: dir + "/images", labels: $0) }
    }

    @Test func cifarBatchesNeverCrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-fuzz-cifar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CIFAR10.write(images: Self.images(3, [3, 32, 32], seed: 2), labels: [0, 9, 4], to: dir + "/batch.bin")
        try Self.fuzz("data_batch_1.bin", SerializationFixtures.contents(dir + "/batch.bin"), seed: 21) { try CIFAR10.load(batches: [$0]) }
    }

    @Test func csvFilesNeverCrash() throws {
        var csv = "a,b,c,label\n"
        for i in 0..<12 { csv += "\(i),\(Double(i) * 0.5 - 2),1e\(i % 5),\(i % 3)\n" }
        try Self.fuzz("data.csv", Array(csv.utf8), seed: 31) { try CSVReader.load($0) }
        try Self.fuzz("data.csv", Array(csv.utf8), seed: 32) { try CSVReader.load($0, labelColumn: .name("label"), classCount: 4) }
    }

    @Test func npyFilesNeverCrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-fuzz-npy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NPY.write(Tensor((0..<24).map { Double($0) / 3 }, shape: [6, 2, 2], dtype: .float32), to: dir + "/x.npy")
        try NPY.write(labels: [0, 1, 2, 0, 1, 2], to: dir + "/y.npy")
        let bytes = NPY.encode(descr: "|u1", shape: [6, 4], data: (0..<24).map { UInt8($0 * 10) })
        try Self.fuzz("x.npy", SerializationFixtures.contents(dir + "/x.npy"), seed: 41) { try NPY.load(features: $0, labels: dir + "/y.npy") }
        try Self.fuzz("x.npy", bytes, seed: 42) { try NPY.load(features: $0, labels: dir + "/y.npy") }
        try Self.fuzz("y.npy", SerializationFixtures.contents(dir + "/y.npy"), seed: 43) { try NPY.load(features: dir + "/x.npy", labels: $0) }
    }

    @Test func safetensorsFilesNeverCrash() throws {
        let tensors = ["0.weight": Self.images(1, [3, 4], seed: 5), "0.bias": Tensor([0.5, -1, 2]),
                       "stats": Tensor([1, 2], shape: [2], dtype: .float64)]
        for (seed, checksum) in [(51 as UInt64, true), (52, false)] {
            let bytes = try Safetensors.encode(tensors, metadata: ["epoch": "3"], checksum: checksum)
            try Self.fuzz("model.safetensors", bytes, seed: seed, gzip: false, someLoad: !checksum) { path in
                let (loaded, _) = try Safetensors.read(path)
                #expect(loaded.values.allSatisfy { $0.count <= bytes.count }, "\(path)")
                // While the checksum is intact in the header, whatever loads holds the values unchanged
                // (a flip in its key makes a file without one: metadata protects no better than that).
                let record = Array("\"\(Safetensors.checksumKey)\":\"\(Safetensors.dataChecksum(tensors.values.map { $0 }))\"".utf8)
                let damaged = SerializationFixtures.contents(path)
                if checksum && (0...(damaged.count - record.count)).contains(where: { damaged[$0..<($0 + record.count)].elementsEqual(record) }) {
                    #expect(loaded.values.allSatisfy { t in tensors.values.contains { $0.doubles == t.doubles } }, "\(path)")
                }
                return nil
            }
        }
    }

    // MARK: - Huge header fields are refused before anything is allocated

    /// A header announcing about 2^60 elements (or bytes) must be refused from the header alone: had
    /// a reader tried to allocate it, this test would have crashed.
    @Test func headersClaimingAbsurdSizesAreRefusedBeforeAllocating() throws {
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        let idx: [UInt8] = [0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 1, 2, 3]
        #expect(message { try IDX.parseImages(idx, file: "huge-idx3-ubyte") }.contains("huge-idx3-ubyte, byte 4: the header announces"))
        let labels: [UInt8] = [0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF, 7]
        #expect(message { try IDX.parseLabels(labels, file: "huge-idx1-ubyte") }.contains("file ends after"))

        let npy = NPY.encode(descr: "|u1", shape: [1 << 20, 1 << 20, 1 << 20], data: [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(message { try NPY.parse(npy, file: "huge.npy") }.contains("huge.npy, element 8 at byte 136: data ends after 8 of the"))
        let overflow = NPY.encode(descr: "<f8", shape: [1 << 30, 1 << 30], data: [])
        #expect(message { try NPY.parse(overflow, file: "overflow.npy") }.contains("is too large for any file"))

        let header = #"{"w":{"dtype":"F32","shape":[1152921504606846976],"data_offsets":[0,4611686018427387904]}}"#
        let safetensors = SerializationFixtures.file(header: header, data: [1, 2, 3, 4])
        #expect(message { try Safetensors.decode(safetensors, file: "huge.safetensors") }.contains("huge.safetensors: tensor 'w'"))
        var length = try Safetensors.encode(["w": Tensor([1])])
        length.replaceSubrange(0..<8, with: SerializationFixtures.littleEndian(UInt64(1) << 60))
        #expect(message { try Safetensors.decode(length, file: "long.safetensors") }.contains("long.safetensors: the header length"))
    }
}
