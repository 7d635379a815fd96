import Foundation
import Testing
@testable import Nabla

/// Every kind of broken file gives an error that names the file and the problem, never a crash.
@Suite struct SafetensorsValidationTests {
    typealias F = SerializationFixtures

    struct BadFile: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        /// A phrase the error message must contain.
        let expected: String
        var testDescription: String { name }

        init(_ name: String, _ bytes: [UInt8], _ expected: String) {
            self.name = name
            self.bytes = bytes
            self.expected = expected
        }

        init(_ name: String, header: String, data: [UInt8] = [], _ expected: String) {
            self.init(name, F.file(header: header, data: data), expected)
        }
    }

    static let valid: [UInt8] = try! Safetensors.encode(
        ["a": Tensor([1, 2, 3]), "b": Tensor([4], shape: [1], dtype: .float64)], metadata: ["k": "v"])
    static func entry(_ name: String, _ dtype: String = "F32", shape: String = "[1]", offsets: String = "[0,4]") -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
    }
    static let four: [UInt8] = [0, 0, 128, 63]

    static let cases: [BadFile] = [
        BadFile("empty file", [], "0 bytes long, too short"),
        BadFile("five bytes", [1, 2, 3, 4, 5], "5 bytes long, too short"),
        BadFile("header length beyond the file", F.littleEndian(UInt64(1000)) + Array("{}".utf8), "header length 1000 goes beyond the 2 bytes"),
        BadFile("huge header length", F.littleEndian(UInt64.max) + [0], "goes beyond"),
        BadFile("truncated inside the header", Array(valid[..<40]), "goes beyond"),
        BadFile("truncated data", Array(valid.dropLast()), "run past the end of the 19-byte data section"),
        BadFile("not UTF-8", F.littleEndian(UInt64(2)) + [0xff, 0xfe], "not valid UTF-8"),
        BadFile("malformed JSON", header: #"{"a": {"dtype": "#, "not valid JSON"),
        BadFile("empty header", header: "", "not valid JSON"),
        BadFile("zip file", [0x50, 0x4b, 0x03, 0x04] + [UInt8](repeating: 0, count: 60), "goes beyond"),
        BadFile("JSON array", header: "[1, 2]", "must be a JSON object, found an array"),
        BadFile("entry not an object", header: #"{"a": 3}"#, "tensor 'a': expected an object, found a number"),
        BadFile("missing dtype", header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, data: four, "tensor 'a': \"dtype\" must be a string, found nothing"),
        BadFile("dtype not a string", header: "{" + entry("a").replacingOccurrences(of: #""F32""#, with: "32") + "}", data: four, "\"dtype\" must be a string, found a number"),
        BadFile("unsupported dtype", header: "{" + entry("a", "F8_E4M3", offsets: "[0,1]") + "}", data: [0], "tensor 'a': unsupported dtype 'F8_E4M3' (Nabla reads F32 and F64"),
        BadFile("unknown dtype", header: "{" + entry("a", "Q7") + "}", data: four, "unsupported dtype 'Q7'"),
        BadFile("negative dimension", header: "{" + entry("a", shape: "[-1]") + "}", data: four, "\"shape\" must be an array of non-negative integers, found [-1]"),
        BadFile("fractional dimension", header: "{" + entry("a", shape: "[1.5]") + "}", data: four, "found [1.5]"),
        BadFile("boolean dimension", header: "{" + entry("a", shape: "[true]") + "}", data: four, "found [true]"),
        BadFile("shape not an array", header: "{" + entry("a", shape: "\"1\"") + "}", data: four, "\"shape\" must be an array"),
        BadFile("missing shape", header: #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, data: four, "found nothing"),
        BadFile("one offset", header: "{" + entry("a", offsets: "[4]") + "}", data: four, "\"data_offsets\" must be [begin, end]"),
        BadFile("offsets backwards", header: "{" + entry("a", offsets: "[4,0]") + "}", data: four, "found [4, 0]"),
        BadFile("negative offset", header: "{" + entry("a", offsets: "[-4,0]") + "}", data: four, "\"data_offsets\""),
        BadFile("size mismatch", header: "{" + entry("a", shape: "[2]") + "}", data: four, "tensor 'a': shape [2] of F32 needs 8 bytes, but data_offsets [0, 4] span 4"),
        BadFile("shape overflow", header: "{" + entry("a", shape: "[4611686018427387904,4]") + "}", data: four, "too many elements"),
        BadFile("byte count overflow", header: "{" + entry("a", "F64", shape: "[2305843009213693952]") + "}", data: four, "needs too many bytes"),
        BadFile("offsets beyond the data", header: "{" + entry("a", offsets: "[100,104]") + "}", data: four, "run past the end"),
        BadFile("overlap", header: "{" + entry("a", shape: "[2]", offsets: "[0,8]") + "," + entry("b", shape: "[2]", offsets: "[4,12]") + "}",
                data: [UInt8](repeating: 0, count: 12), "tensors 'a' [0, 8] and 'b' [4, 12] overlap"),
        BadFile("gap", header: "{" + entry("a") + "," + entry("b", offsets: "[8,12]") + "}",
                data: [UInt8](repeating: 0, count: 12), "bytes [4, 8) of the data section belong to no tensor"),
        // The JSON parser keeps one of the two entries; the other's bytes then belong to no tensor.
        BadFile("duplicate name", header: "{" + entry("a") + "," + entry("a", offsets: "[4,8]") + "}", data: four + four, "4 bytes after the last tensor"),
        BadFile("trailing bytes", header: "{" + entry("a") + "}", data: four + four, "4 bytes after the last tensor"),
        BadFile("metadata not an object", header: #"{"__metadata__": [1]}"#, "\"__metadata__\" must be an object of strings, found an array"),
        BadFile("metadata value not a string", header: #"{"__metadata__": {"epoch": 3}}"#, "\"__metadata__\" entry 'epoch' must be a string, found a number"),
        BadFile("I64 beyond 2^53", header: "{" + entry("a", "I64", offsets: "[0,8]") + "}",
                data: F.littleEndian(Int64(1) << 53 + 1), "tensor 'a': element 0 is 9007199254740993, which F64 cannot hold"),
    ]

    @Test(arguments: cases)
    func badFileGivesAnErrorNamingTheFile(_ bad: BadFile) throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/bad.safetensors"
            try AtomicFile.write(bad.bytes, to: path)
            let error = #expect(throws: SerializationError.self) { try Safetensors.read(path) }
            guard case .invalidFile(let file, let reason)? = error else {
                Issue.record("expected invalidFile, got \(String(describing: error))")
                return
            }
            #expect(file == path)
            #expect(reason.contains(bad.expected), "\(reason)")
            #expect(error!.description.hasPrefix(path + ": "))
        }
    }

    @Test func decodingBytesNamesTheGivenSource() {
        #expect(throws: SerializationError.invalidFile(path: "upload", reason:
            "the file is 3 bytes long, too short for the 8-byte header length (truncated, or not a safetensors file)")) {
            try Safetensors.decode([1, 2, 3], file: "upload")
        }
    }

    @Test func missingFileAndDirectoryGiveFileSystemErrors() {
        F.withTemporaryDirectory { dir in
            let missing = dir + "/absent.safetensors"
            #expect(throws: SerializationError.fileSystem(path: missing, reason: "cannot open: No such file or directory")) {
                try Safetensors.read(missing)
            }
            #expect(throws: SerializationError.fileSystem(path: dir, reason: "cannot read: it is a directory")) {
                try Safetensors.read(dir)
            }
        }
    }

    /// Every prefix of a valid file is rejected (a truncated download), none crashes.
    @Test func everyTruncationIsRejected() {
        for length in 0..<Self.valid.count {
            #expect(throws: SerializationError.self, "\(length) bytes") {
                try Safetensors.decode(Array(Self.valid[..<length]))
            }
        }
        #expect((try? Safetensors.decode(Self.valid)) != nil)
    }

    /// Flipping any single byte of the header never crashes: it reads or it throws.
    @Test func corruptedHeadersNeverCrash() {
        for index in 0..<Self.valid.count {
            for value: UInt8 in [0, 0x22, 0x7b, 0xff] {
                var bytes = Self.valid
                bytes[index] = value
                _ = try? Safetensors.decode(bytes)
            }
        }
    }
}
