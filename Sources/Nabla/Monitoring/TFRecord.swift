/// TFRecord framing, the container of TensorBoard's event files: each record is
///
/// ```
/// uint64 length            little-endian
/// uint32 masked_crc32c(length bytes)
/// byte   data[length]
/// uint32 masked_crc32c(data)
/// ```
public enum TFRecord {
    /// One record holding `data`.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var record: [UInt8] = []
        record.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        record += length
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(length)).littleEndian) { record += $0 }
        record += data
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(data)).littleEndian) { record += $0 }
        return record
    }

    /// The data of every record in `bytes`, checking both checksums of each.
    /// - Throws: `MonitoringError` at a truncated record or a checksum that does not match.
    public static func records(_ bytes: [UInt8]) throws -> [[UInt8]] {
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * $1) } }
        var result: [[UInt8]] = [], i = 0
        while i < bytes.count {
            guard i + 12 <= bytes.count else { throw MonitoringError("TFRecord: truncated header at byte \(i)") }
            let length = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * $1) })
            guard CRC32C.masked(CRC32C.checksum(bytes[i..<(i + 8)])) == u32(i + 8) else {
                throw MonitoringError("TFRecord: bad length checksum at byte \(i)")
            }
            guard length >= 0, i + 16 + length <= bytes.count else { throw MonitoringError("TFRecord: truncated record at byte \(i)") }
            let data = Array(bytes[(i + 12)..<(i + 12 + length)])
            guard CRC32C.masked(CRC32C.checksum(data)) == u32(i + 12 + length) else {
                throw MonitoringError("TFRecord: bad data checksum at byte \(i)")
            }
            result.append(data)
            i += 16 + length
        }
        return result
    }
}
