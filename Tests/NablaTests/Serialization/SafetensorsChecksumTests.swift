import Foundation
import Testing
@testable import Nabla

/// Every safetensors file Nabla writes records the SHA-256 of its data section, and reading checks
/// it: a damaged file is a one-line error naming it, never tensors that are silently wrong.
@Suite struct SafetensorsChecksumTests {
    typealias F = SerializationFixtures

    static let tensors: [String: Tensor] = [
        "0.weight": SafetensorsTests.tensor([4, 30], .float32, offset: 1),
        "0.bias": SafetensorsTests.tensor([4], .float32, offset: 2),
        "stats": SafetensorsTests.tensor([3], .float64, offset: 3),
    ]

    /// The header's metadata and the data section of a safetensors file, split by hand.
    static func split(_ bytes: [UInt8]) throws -> (metadata: [String: String], data: [UInt8]) {
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any]
        return (header?["__metadata__"] as? [String: String] ?? [:], Array(bytes[(8 + length)...]))
    }

    /// The checksum is what `sha256sum` (coreutils) says of the data section, so Python's
    /// `hashlib` and any other tool can check a file.
    @Test func writtenFilesRecordTheSHA256OfTheirData() throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/weights.safetensors"
            try Safetensors.write(Self.tensors, metadata: ["epoch": "2"], to: path)
            let (metadata, data) = try Self.split(F.contents(path))
            #expect(metadata["epoch"] == "2")
            #expect(FileManager.default.createFile(atPath: dir + "/data", contents: Data(data)))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["sha256sum", dir + "/data"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(metadata[Safetensors.checksumKey] == printed.split(separator: " ").first.map(String.init))
        }
    }

    @Test func aFileWithOverwrittenBytesIsAnErrorNamingIt() throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/checkpoint.safetensors"
            try Safetensors.write(Self.tensors, metadata: ["epoch": "2"], to: path)
            var bytes = F.contents(path)
            // 100 bytes of the data section overwritten, as a bad disk block or a stray write would.
            let start = bytes.count - 300
            for i in start..<(start + 100) { bytes[i] = UInt8(truncatingIfNeeded: i * 7) }
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))

            #expect(throws: SerializationError.checksumMismatch(path: path)) { try Safetensors.read(path) }
            let message = SerializationError.checksumMismatch(path: path).description
            #expect(message.hasPrefix(path + ": checksum mismatch: the file is damaged"))
            #expect(!message.contains("\n"))
            #expect(throws: SerializationError.checksumMismatch(path: path)) { try Checkpoint.read(path) }
        }
    }

    /// Files written before checksums existed, and PyTorch's, have none: they load as before.
    @Test func filesWithoutAChecksumStillLoad() throws {
        let bytes = try Safetensors.encode(Self.tensors, metadata: ["epoch": "2"])
        #expect(try Self.split(bytes).metadata[Safetensors.checksumKey] == nil)
        let (tensors, metadata) = try Safetensors.decode(bytes)
        #expect(tensors == Self.tensors)
        #expect(metadata == ["epoch": "2"])
    }

    /// Reading gives back the metadata that was written, without the checksum, and a file read and
    /// written again gets the checksum of its (unchanged) data.
    @Test func theChecksumStaysOutOfTheMetadataReadBack() throws {
        let bytes = try Safetensors.encode(Self.tensors, metadata: ["epoch": "2"], checksum: true)
        let (tensors, metadata) = try Safetensors.decode(bytes, file: "m.safetensors")
        #expect(metadata == ["epoch": "2"])
        #expect(try Safetensors.encode(tensors, metadata: metadata, checksum: true) == bytes)
        // A checksum passed in as metadata is replaced by the true one, never written as given.
        let forged = try Safetensors.encode(tensors, metadata: metadata.merging([Safetensors.checksumKey: "0"]) { $1 }, checksum: true)
        #expect(forged == bytes)
    }

    @Test func aDamagedModelFileIsRefusedByModuleLoad() throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/model.safetensors"
            let model = Sequential(Linear(3, 2))
            try model.save(to: path)
            var bytes = F.contents(path)
            bytes[bytes.count - 1] ^= 0x01   // one bit of one weight
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            #expect(throws: SerializationError.checksumMismatch(path: path)) { try Sequential(Linear(3, 2)).load(from: path) }
        }
    }
}

extension SafetensorsChecksumTests {
    /// The checksum of a 50 MB checkpoint costs tens of milliseconds (about 1.5 GB/s with the SHA
    /// instructions, ~0.4 GB/s without): far less than writing the file with its `fsync`.
    @Test func checksummingFiftyMegabytesTakesWellUnderASecond() throws {
        let tensor = Tensor.zeros([50 * 1024 * 1024 / 4])
        let started = Date()
        let digest = Safetensors.dataChecksum([tensor])
        let seconds = Date().timeIntervalSince(started)
        print("SHA-256 of 50 MB: \(Int(seconds * 1000)) ms (\(Int(50 / seconds)) MB/s)")
        #expect(digest.count == 64)
        #expect(seconds < 1)
    }
}
