/// The safetensors element types Nabla can read, with their sizes and the dtype each becomes.
/// Half precision widens exactly to `float32`; integers and booleans become `float64` (exact up to
/// 2^53, and a larger 64-bit integer is an error rather than a silent rounding).
enum SafetensorsDType: String, CaseIterable {
    case f32 = "F32", f64 = "F64", f16 = "F16", bf16 = "BF16"
    case bool = "BOOL", u8 = "U8", i8 = "I8", u16 = "U16", i16 = "I16"
    case u32 = "U32", i32 = "I32", u64 = "U64", i64 = "I64"

    init(_ dtype: DType) { self = dtype == .float32 ? .f32 : .f64 }

    /// Bytes per element.
    var size: Int {
        switch self {
        case .bool, .u8, .i8: return 1
        case .f16, .bf16, .u16, .i16: return 2
        case .f32, .u32, .i32: return 4
        case .f64, .u64, .i64: return 8
        }
    }

    /// The tensor dtype the elements are read into.
    var target: DType {
        switch self {
        case .f32, .f16, .bf16: return .float32
        default: return .float64
        }
    }

    /// For error messages.
    static let supportedList =
        "F32 and F64; F16 and BF16 (read as F32); BOOL, U8, I8, U16, I16, U32, I32, U64 and I64 (read as F64)"

    /// A tensor of `shape` from `count` little-endian elements of this type at `src`.
    func tensor(shape: [Int], count: Int, from src: UnsafeRawBufferPointer) throws -> Tensor {
        var out = Tensor(uninitializedShape: shape, dtype: target)
        guard count > 0 else { return out }
        switch self {
        case .f32, .f64:
            #if _endian(little)
            out.storage.raw.copyMemory(from: src.baseAddress!, byteCount: count * size)
            #else
            if self == .f32 {
                let dst = out.pointer(Float.self)
                for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: load(src, i))) }
            } else {
                let dst = out.pointer(Double.self)
                for i in 0..<count { dst[i] = Double(bitPattern: UInt64(littleEndian: load(src, i))) }
            }
            #endif
        case .f16:
            let dst = out.pointer(Float.self)
            for i in 0..<count { dst[i] = Self.float(half: UInt16(littleEndian: load(src, i))) }
        case .bf16:
            // bfloat16 is the top half of a float32.
            let dst = out.pointer(Float.self)
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: load(src, i))) << 16) }
        case .bool:
            let dst = out.pointer(Double.self)
            for i in 0..<count { dst[i] = src[i] == 0 ? 0 : 1 }
        case .u8: try integers(UInt8.self, src, count, &out)
        case .i8: try integers(Int8.self, src, count, &out)
        case .u16: try integers(UInt16.self, src, count, &out)
        case .i16: try integers(Int16.self, src, count, &out)
        case .u32: try integers(UInt32.self, src, count, &out)
        case .i32: try integers(Int32.self, src, count, &out)
        case .u64: try integers(UInt64.self, src, count, &out)
        case .i64: try integers(Int64.self, src, count, &out)
        }
        return out
    }

    private func load<T: FixedWidthInteger>(_ src: UnsafeRawBufferPointer, _ i: Int) -> T {
        src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
    }

    private func integers<T: FixedWidthInteger>(
        _: T.Type, _ src: UnsafeRawBufferPointer, _ count: Int, _ out: inout Tensor
    ) throws {
        let dst = out.pointer(Double.self)
        for i in 0..<count {
            let v = T(littleEndian: load(src, i))
            if T.bitWidth > 53 && v.magnitude > T.Magnitude(1) << 53 {
                throw SafetensorsProblem("element \(i) is \(v), which F64 cannot hold exactly (beyond 2^53)")
            }
            dst[i] = Double(v)
        }
    }

    /// IEEE half precision (1 sign, 5 exponent, 10 fraction bits) to `Float`, exactly.
    static func float(half h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1f
        let fraction = UInt32(h & 0x3ff)
        switch exponent {
        case 0:  // zero or subnormal: fraction · 2^-24
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1f:  // infinity or NaN
            return Float(bitPattern: sign | 0x7f80_0000 | fraction << 13)
        default:  // rebias the exponent from 15 to 127
            return Float(bitPattern: sign | (exponent + 112) << 23 | fraction << 13)
        }
    }
}
