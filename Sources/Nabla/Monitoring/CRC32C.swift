/// CRC-32C (Castagnoli), the checksum of TFRecord files: reflected polynomial 0x82F63B78, initial
/// value and final xor 0xFFFFFFFF, computed a byte at a time from a 256-entry table.
///
/// `CRC32C.checksum(Array("123456789".utf8)) == 0xE3069283` (the standard check value).
public enum CRC32C {
    /// The remainder of every byte value, shifted through the reflected polynomial eight times.
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked CRC: rotated right by 15 bits plus a constant, because a CRC stored next to
    /// the data it covers is a weak check when the data itself holds CRCs.
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
