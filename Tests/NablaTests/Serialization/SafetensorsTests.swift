import Foundation
import Testing
@testable import Nabla

@Suite struct SafetensorsTests {
    typealias F = SerializationFixtures

    /// Values that a lossy path would change: signed zero, infinities, NaN, extremes, subnormals.
    static let awkward: [Double] = [0, -0.0, 1, -1.5, .pi, 1e-30, -3e30, .infinity, -.infinity, .nan,
                                    Double(Float.leastNonzeroMagnitude), Double(Float.greatestFiniteMagnitude)]

    static func tensor(_ shape: [Int], _ dtype: DType, offset: Int) -> Tensor {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { awkward[($0 + offset) % awkward.count] * Double($0 % 5 + 1) }
        return Tensor(values, shape: shape, dtype: dtype)
    }

    @Test(arguments: [DType.float32, .float64])
    func roundTripKeepsEveryBitShapeAndMetadata(_ dtype: DType) throws {
        let shapes: [[Int]] = [[], [1], [7], [2, 3], [0, 3], [2, 1, 4], [2, 3, 1, 2], [1, 1, 1, 1]]
        var tensors: [String: Tensor] = [:]
        for (i, shape) in shapes.enumerated() { tensors["layer.\(i).rank\(shape.count)"] = Self.tensor(shape, dtype, offset: i) }
        tensors["other.dtype"] = Self.tensor([3], dtype == .float32 ? .float64 : .float32, offset: 5)
        let metadata = ["epoch": "3", "note": "line\n\"quoted\" \\ ünïcødé \u{01} 🚀", "": "empty key"]

        try F.withTemporaryDirectory { dir in
            let path = dir + "/weights.safetensors"
            try Safetensors.write(tensors, metadata: metadata, to: path)
            let (loaded, loadedMetadata) = try Safetensors.read(path)
            #expect(loadedMetadata == metadata)
            #expect(loaded.keys.sorted() == tensors.keys.sorted())
            for (name, tensor) in tensors {
                // `==` compares shape, dtype and raw bytes, so NaN and -0 must survive exactly.
                #expect(loaded[name] == tensor, "\(name)")
            }
            #expect(try Safetensors.decode(F.contents(path)).tensors == loaded)
        }
    }

    @Test func emptyTensorSetRoundTrips() throws {
        let bytes = try Safetensors.encode([:])
        #expect(bytes == F.littleEndian(UInt64(8)) + Array("{}      ".utf8))
        let (tensors, metadata) = try Safetensors.decode(bytes)
        #expect(tensors.isEmpty && metadata.isEmpty)
    }

    /// The exact bytes the Python library (safetensors 0.8, `safetensors.numpy.save`) writes.
    @Test func layoutMatchesTheReferenceByteForByte() throws {
        let bytes = try Safetensors.encode(["w": Tensor([1, 2])])
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"# + "  "
        #expect(bytes == [56, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])
    }

    /// F64 before F32 (larger elements first, so each stays aligned), then by name; metadata first.
    @Test func mixedDtypesAreOrderedAsTheReferenceOrdersThem() throws {
        let tensors = ["a": Tensor.scalar(2, dtype: .float32), "b": Tensor([-1.5], shape: [1], dtype: .float64)]
        let bytes = try Safetensors.encode(tensors, metadata: ["a": "b"])
        let header = #"{"__metadata__":{"a":"b"},"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"#
            + #""a":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}"# + "    "
        #expect(header.utf8.count == 136)
        #expect(bytes == F.littleEndian(UInt64(136)) + Array(header.utf8) + [0, 0, 0, 0, 0, 0, 0xf8, 0xbf, 0, 0, 0, 0x40])
    }

    @Test func headerIsPaddedToAMultipleOfEightAndEscaped() throws {
        for length in 0..<9 {
            let name = String(repeating: "x", count: length) + "\"\n\u{1f}é"
            let bytes = try Safetensors.encode([name: Tensor([1])])
            let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
            #expect(headerLength % 8 == 0)
            let text = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
            #expect(text.contains(#"\"\n\u001fé"#))
            #expect(try Safetensors.decode(bytes).tensors[name] == Tensor([1]))
        }
    }

    @Test func aTensorNamedMetadataCannotBeWritten() {
        #expect(throws: SerializationError.invalidTensorName("__metadata__")) {
            try Safetensors.encode(["__metadata__": Tensor([1])])
        }
    }

    /// Other frameworks' dtypes: half precision widens to float32, integers become float64.
    @Test func readsHalfPrecisionIntegersAndBooleans() throws {
        let f16: [UInt16] = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x3800, 0x7c00, 0x8000]
        let bf16: [UInt16] = [0x3f80, 0xc2f7, 0x0000]
        let i8: [Int8] = [-128, 127], u16: [UInt16] = [65535], i64: [Int64] = [-(1 << 53), 42]
        var data = f16.flatMap(F.littleEndian) + bf16.flatMap(F.littleEndian)
        data += i8.flatMap(F.littleEndian) + u16.flatMap(F.littleEndian) + i64.flatMap(F.littleEndian) + [0, 1, 7]
        let header = #"{"h":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},"#
            + #""bf":{"dtype":"BF16","shape":[3],"data_offsets":[14,20]},"#
            + #""i8":{"dtype":"I8","shape":[2],"data_offsets":[20,22]},"#
            + #""u16":{"dtype":"U16","shape":[1,1],"data_offsets":[22,24]},"#
            + #""i64":{"dtype":"I64","shape":[2],"data_offsets":[24,40]},"#
            + #""flags":{"dtype":"BOOL","shape":[3],"data_offsets":[40,43]}}"#
        let tensors = try Safetensors.decode(F.file(header: header, data: data)).tensors
        #expect(tensors["h"] == Tensor([1, -2, 65504, 0x1p-24, 0.5, .infinity, -0.0], shape: [7]))
        #expect(tensors["bf"] == Tensor([1, -123.5, 0], shape: [3]))
        #expect(tensors["i8"] == Tensor([-128, 127], shape: [2], dtype: .float64))
        #expect(tensors["u16"] == Tensor([65535], shape: [1, 1], dtype: .float64))
        #expect(tensors["i64"] == Tensor([-9_007_199_254_740_992, 42], shape: [2], dtype: .float64))
        #expect(tensors["flags"] == Tensor([0, 1, 1], shape: [3], dtype: .float64))
    }

    @Test func halfPrecisionNaNStaysNaN() throws {
        let bytes = F.file(header: #"{"n":{"dtype":"F16","shape":[],"data_offsets":[0,2]}}"#, data: [0x01, 0x7e])
        #expect(try Safetensors.decode(bytes).tensors["n"]!.scalar.isNaN)
    }
}
