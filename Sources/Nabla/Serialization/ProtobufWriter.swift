/// Just enough of the protocol-buffers wire format to write TensorBoard's messages: each field is
/// a key (`field number << 3 | wire type`, as a varint) followed by its value — a varint (wire
/// type 0), 8 little-endian bytes (1), a varint length and that many bytes (2), or 4 little-endian
/// bytes (5). Fields are written in the order given; readers accept any order.
struct ProtobufWriter {
    /// The message so far.
    private(set) var bytes: [UInt8] = []

    /// Base-128, least significant group first, high bit set on all but the last byte.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    private mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// An `int64` field (negative numbers take ten bytes, as the format says).
    mutating func int64(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    /// A `double` field.
    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        littleEndian(value.bitPattern)
    }

    /// A `float` field.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        littleEndian(value.bitPattern)
    }

    /// A length-delimited field: a `bytes` field or an embedded message.
    mutating func lengthDelimited<C: Collection>(_ field: Int, _ value: C) where C.Element == UInt8 {
        key(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    /// A `string` field, in UTF-8.
    mutating func string(_ field: Int, _ value: String) { lengthDelimited(field, Array(value.utf8)) }

    /// An embedded message.
    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        lengthDelimited(field, inner.bytes)
    }

    /// A packed `repeated double` field: one length-delimited run of 8-byte values.
    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        key(field, 2)
        varint(UInt64(values.count * 8))
        for v in values { littleEndian(v.bitPattern) }
    }
}
