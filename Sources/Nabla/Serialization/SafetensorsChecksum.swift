/// The checksum that `Safetensors.write` records and reading verifies: the SHA-256 of the data
/// section (every byte after the header), as 64 lowercase hexadecimal digits under the metadata key
/// `nabla.data_sha256`. Python checks a file with its standard library alone:
///
/// ```python
/// n = int.from_bytes(raw[:8], "little")
/// ok = hashlib.sha256(raw[8 + n:]).hexdigest() == json.loads(raw[8:8 + n])["__metadata__"]["nabla.data_sha256"]
/// ```
///
/// SHA-256 rather than CRC32C: libcrypto (linked already) uses the CPU's SHA instructions where
/// they exist and picks them at run time, at about 1.5 GB/s here (a 50 MB checkpoint in ~35 ms);
/// a CRC32C at that speed needs SSE4.2 chosen at compile time (Swift cannot dispatch on it at run
/// time, and the table-driven one runs at ~0.4 GB/s), and Python has no CRC32C of its own.
extension Safetensors {
    /// The metadata key of the checksum.
    public static let checksumKey = "nabla.data_sha256"

    /// The checksum of the data section that `tensors`, in file order, make up.
    static func dataChecksum(_ tensors: [Tensor]) -> String {
        let sha = SHA256()
        for tensor in tensors {
            #if _endian(little)
            sha.update(UnsafeRawBufferPointer(start: tensor.storage.raw, count: tensor.count * tensor.dtype.byteSize))
            #else
            var bytes: [UInt8] = []
            appendLittleEndian(tensor, to: &bytes)
            bytes.withUnsafeBytes { sha.update($0) }
            #endif
        }
        return sha.hexDigest()
    }

    /// The metadata without the checksum, once the checksum (if there is one) matches `data`.
    ///
    /// - Throws: `SerializationError.checksumMismatch` naming `file` when it does not.
    static func verifiedMetadata(_ metadata: [String: String], data: UnsafeRawBufferPointer, file: String) throws -> [String: String] {
        guard let recorded = metadata[checksumKey] else { return metadata }
        guard SHA256.hexDigest(data) == recorded.lowercased() else { throw SerializationError.checksumMismatch(path: file) }
        var rest = metadata
        rest[checksumKey] = nil
        return rest
    }
}
