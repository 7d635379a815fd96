/// Reads and writes the safetensors format (Hugging Face): named tensors in one file that PyTorch,
/// NumPy, JAX and Nabla all load, with no code run on loading.
///
/// Layout:
/// ```
/// bytes 0..<8      N, the header length: UInt64, little-endian
/// bytes 8..<8+N    the header: UTF-8 JSON, padded with spaces
///                  {"__metadata__": {"key": "value", …},                        (optional, strings only)
///                   "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, …}
/// bytes 8+N...     the data section: each tensor's elements, row-major, little-endian;
///                  data_offsets are [begin, end) byte positions within this section
/// ```
/// The tensors must tile the data section exactly: no gaps, no overlaps, nothing after the last.
///
/// Writing follows the Python library byte for byte: tensors with larger elements first (`F64`
/// before `F32`), then by name, so that each one starts at a multiple of its element size; the
/// header has no spaces, lists each tensor's fields as `dtype`, `shape`, `data_offsets`, and is
/// padded with spaces to a multiple of 8 bytes. Metadata keys are written sorted.
///
/// `write` also records a SHA-256 of the data section in the metadata (`nabla.data_sha256`, see
/// `checksumKey`), which reading checks: a damaged file is a `SerializationError.checksumMismatch`
/// naming it, not tensors that are silently wrong. Files without one (older runs, PyTorch's) load as
/// before, and Python reads the files as any others.
///
/// Reading checks everything and throws `SerializationError.invalidFile`, naming the file and the
/// problem, for any file that is not valid. It reads `F32` and `F64` as they are, widens `F16` and
/// `BF16` to `float32` exactly, and reads integer and boolean tensors as `float64` (an error for a
/// 64-bit integer beyond 2^53, which a `Double` cannot hold exactly).
///
/// ```swift
/// try Safetensors.write(["w": w, "b": b], metadata: ["epoch": "3"], to: "model.safetensors")
/// let (tensors, metadata) = try Safetensors.read("model.safetensors")
/// ```
public enum Safetensors {
    /// Writes `tensors` and `metadata`, with the checksum of the tensors' data, to `path` atomically
    /// (see `AtomicFile`), creating its directory if needed.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata, checksum: true), to: path)
    }

    /// Reads the tensors and metadata of the safetensors file at `path`.
    public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try decode(FileBytes.read(path), file: path)
    }

    /// The bytes of a safetensors file holding `tensors` and `metadata`, as the Python library
    /// writes them; with `checksum`, the metadata also holds the SHA-256 of the data section.
    ///
    /// - Throws: `SerializationError.invalidTensorName` for a tensor named `__metadata__`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:], checksum: Bool = false) throws -> [UInt8] {
        if tensors["__metadata__"] != nil { throw SerializationError.invalidTensorName("__metadata__") }
        var metadata = metadata
        metadata[checksumKey] = nil
        // Names compare by UTF-8 bytes, as the (Rust) reference implementation compares them.
        let ordered = tensors.sorted { a, b in
            a.value.dtype.byteSize != b.value.dtype.byteSize
                ? a.value.dtype.byteSize > b.value.dtype.byteSize
                : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        var entries: [SafetensorsEntry] = []
        var offset = 0
        for (name, tensor) in ordered {
            let byteCount = tensor.count * tensor.dtype.byteSize
            entries.append(SafetensorsEntry(name: name, dtype: SafetensorsDType(tensor.dtype), shape: tensor.shape,
                                            count: tensor.count, begin: offset, end: offset + byteCount))
            offset += byteCount
        }
        if checksum { metadata[checksumKey] = dataChecksum(ordered.map(\.value)) }
        var header = Array(SafetensorsHeader.json(entries, metadata: metadata).utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        bytes += header
        for (_, tensor) in ordered { appendLittleEndian(tensor, to: &bytes) }
        return bytes
    }

    /// The tensors and metadata in the bytes of a safetensors file.
    ///
    /// - Parameter file: the name used in error messages.
    public static func decode(_ bytes: [UInt8], file: String = "safetensors data") throws
        -> (tensors: [String: Tensor], metadata: [String: String]) {
        try bytes.withUnsafeBytes { try decode($0, file: file) }
    }

    static func decode(_ raw: UnsafeRawBufferPointer, file: String) throws
        -> (tensors: [String: Tensor], metadata: [String: String]) {
        func invalid(_ reason: String) -> SerializationError { .invalidFile(path: file, reason: reason) }

        guard raw.count >= 8 else {
            throw invalid("the file is \(raw.count) bytes long, too short for the 8-byte header length "
                          + "(truncated, or not a safetensors file)")
        }
        let headerLength = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(raw.count - 8) else {
            throw invalid("the header length \(headerLength) goes beyond the \(raw.count - 8) bytes that follow it "
                          + "(truncated, or not a safetensors file)")
        }
        let dataStart = 8 + Int(headerLength)
        let header: (entries: [SafetensorsEntry], metadata: [String: String])
        do {
            header = try SafetensorsHeader.parse(UnsafeRawBufferPointer(rebasing: raw[8..<dataStart]))
        } catch let problem as SafetensorsProblem {
            throw invalid(problem.reason)
        }

        let data = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
        for e in header.entries where e.end > data.count {
            throw invalid("tensor '\(e.name)': data_offsets [\(e.begin), \(e.end)] run past the end of the "
                          + "\(data.count)-byte data section (truncated file?)")
        }
        // The tensors, in order of position, must tile the data section.
        var position = 0
        var previous: SafetensorsEntry?
        for e in header.entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            if let previous, e.begin < position {
                throw invalid("tensors '\(previous.name)' [\(previous.begin), \(previous.end)] and "
                              + "'\(e.name)' [\(e.begin), \(e.end)] overlap in the data section")
            }
            if e.begin > position {
                throw invalid("bytes [\(position), \(e.begin)) of the data section belong to no tensor")
            }
            position = e.end
            previous = e
        }
        guard position == data.count else {
            throw invalid("the data section has \(data.count - position) bytes after the last tensor "
                          + "(it is \(data.count) bytes, the tensors end at \(position))")
        }

        let metadata = try verifiedMetadata(header.metadata, data: data, file: file)
        var tensors: [String: Tensor] = [:]
        for e in header.entries {
            do {
                tensors[e.name] = try e.dtype.tensor(
                    shape: e.shape, count: e.count, from: UnsafeRawBufferPointer(rebasing: data[e.begin..<e.end]))
            } catch let problem as SafetensorsProblem {
                throw invalid("tensor '\(e.name)': \(problem.reason)")
            }
        }
        return (tensors, metadata)
    }

    /// Appends the tensor's elements, little-endian.
    static func appendLittleEndian(_ tensor: Tensor, to bytes: inout [UInt8]) {
        #if _endian(little)
        bytes += UnsafeRawBufferPointer(start: tensor.storage.raw, count: tensor.count * tensor.dtype.byteSize)
        #else
        switch tensor.dtype {
        case .float32:
            for x in tensor.floats { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
        case .float64:
            for x in tensor.doubles { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
        }
        #endif
    }
}
