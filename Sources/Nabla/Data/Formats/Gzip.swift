import CZlib
import Foundation

/// Reading files that may be gzip-compressed, through zlib.
public enum Gzip {
    /// The bytes of `path`, decompressed if the file is gzip data (by its magic bytes), else as is.
    /// - Throws: `DataError` naming the file for a missing file or corrupt or truncated gzip data.
    public static func readFile(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(file: path, "no such file")
        }
        guard let raw = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, "cannot be read")
        }
        let bytes = [UInt8](raw)
        return bytes.starts(with: [0x1f, 0x8b]) ? try inflate(bytes, file: path) : bytes
    }

    /// Decompresses gzip data (one or more members).
    public static func inflate(_ compressed: [UInt8], file: String) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: the largest window, with gzip/zlib header detection.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(file: file, "zlib could not start decompressing")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(compressed.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var input = compressed
        let total = input.count
        try input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(total)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                if status == Z_STREAM_END {
                    // Concatenated gzip members continue the same file.
                    if stream.avail_in > 0 && inflateReset(&stream) == Z_OK { continue }
                    return
                }
                let offset = total - Int(stream.avail_in)
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw DataError(file: file, location: "byte \(offset) of the compressed data",
                                    "gzip data is truncated (ends before the end of the stream)")
                }
                guard status == Z_OK else {
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw DataError(file: file, location: "byte \(offset) of the compressed data", "corrupt gzip data: \(reason)")
                }
            }
        }
        return output
    }
}
