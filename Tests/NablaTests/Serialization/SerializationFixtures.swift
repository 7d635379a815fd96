import Foundation
import Testing
@testable import Nabla

/// Scratch directories and hand-made safetensors files for the serialization tests.
enum SerializationFixtures {
    /// A new empty directory under the system's temporary directory; `body` runs in it, and it is
    /// removed afterwards.
    static func withTemporaryDirectory<R>(_ body: (String) throws -> R) rethrows -> R {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("nabla-serialization-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    /// The bytes of a file with the given header text (not padded) and data section.
    static func file(header: String, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        return littleEndian(UInt64(json.count)) + json + data
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// The names in `directory`, sorted.
    static func listing(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static func contents(_ path: String) -> [UInt8] {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
    }
}
