import Foundation

/// NumPy's `.npy` array files (what `np.save` writes), format versions 1.0, 2.0 and 3.0.
///
/// Format: the magic string `\x93NUMPY`, two version bytes (major, minor), the header length as a
/// little-endian u16 (version 1) or u32 (versions 2 and 3), then the header: a Python dict literal
/// such as `{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }`, padded with spaces and
/// ending in a newline. The data follows: the elements in C (row-major) order, nothing after them.
/// Supported element types (`descr`): `<f4`, `<f8`, `|u1`, `<i4`, `<i8`; `fortran_order` must be
/// False. Files may be gzip-compressed.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// Labels above this are taken for a mistake (the data set would have that many classes).
    static let maxLabel = 1_000_000

    /// Reads a `.npy` file.
    /// - Throws: `DataError` naming the file and byte for a wrong magic string or version, a truncated
    ///   or malformed header, an unsupported dtype, Fortran order, or data shorter or longer than the
    ///   shape says.
    public static func read(_ path: String) throws -> NPYArray {
        try parse(Gzip.readFile(path), file: path)
    }

    /// Loads a data set from a features array `[N, …]` (as `Float`; `uint8` kept compact) and a labels array `[N]` (or
    /// `[N, 1]`) of non-negative integers (integer dtype, or floats that are whole numbers).
    /// - Parameters:
    ///   - classNames: the class names; "0" up to the largest label when nil.
    ///   - classCount: the number of classes when known (and no names are given): classes without
    ///     examples are then allowed; when nil, labels must cover `0…largest` (see `ClassLabels`).
    ///   - allowNonFinite: accept NaN and infinite features; by default they are errors naming the
    ///     element (a float64 beyond a 32-bit float's range counts as infinite).
    /// - Throws: `DataError` for either file, for a label that is not a non-negative integer (or has
    ///   no class name, or leaves classes empty), a non-finite feature, or when the files hold
    ///   different numbers of examples.
    public static func load(features featuresPath: String, labels labelsPath: String, classNames: [String]? = nil,
                            classCount: Int? = nil, allowNonFinite: Bool = false) throws -> Dataset {
        let features = try read(featuresPath)
        guard !features.shape.isEmpty else {
            throw DataError(file: featuresPath, "features must have at least one dimension (examples first), found shape ()")
        }
        let labelArray = try read(labelsPath)
        let labels = try labelArray.classLabels()
        guard labels.count == features.shape[0] else {
            throw DataError(file: labelsPath, "\(labels.count) labels, but \(featuresPath) has \(features.shape[0]) examples "
                            + "(shape \(pythonTuple(features.shape)))")
        }
        if let classNames, let i = labels.firstIndex(where: { $0 >= classNames.count }) {
            throw DataError(file: labelsPath, location: labelArray.location(i), "label \(labels[i]), but there are only \(classNames.count) class names")
        }
        let classes = try ClassLabels.check(labels, file: labelsPath, classCount: classNames?.count ?? classCount,
                                            location: labelArray.location)
        let names = classNames ?? (0..<classes).map(String.init)
        if features.elementType == .uint8 {
            // Image bytes stay bytes (see `Dataset`), converted a batch at a time.
            let values = Array(features.bytes[features.dataOffset..<(features.dataOffset + features.count)])
            return Dataset(bytes: values, exampleShape: Array(features.shape.dropFirst()), labels: labels, classNames: names)
        }
        let tensor = features.tensor()
        if !allowNonFinite, let i = tensor.firstNonFiniteIndex() {
            let value = features.element(i)
            throw DataError(file: featuresPath, location: "\(features.location(i)), index \(multiIndex(i, in: features.shape))",
                            value.isFinite ? "\(Tensor.format(value)) is too large for a 32-bit float" : "\(value) is not a finite number")
        }
        return Dataset(features: tensor, labels: labels, classNames: names)
    }

    /// Parses the bytes of a `.npy` file.
    public static func parse(_ bytes: [UInt8], file: String) throws -> NPYArray {
        if bytes.count >= 6 && !bytes.starts(with: magic) || bytes.count < 6 && !magic.starts(with: bytes) {
            throw DataError(file: file, location: "byte 0", "not a .npy file: expected the magic string \\x93NUMPY")
        }
        guard bytes.count >= 8 else {
            throw DataError(file: file, location: "byte \(bytes.count)", "file ends inside the .npy preamble (magic string and version)")
        }
        let lengthSize: Int
        switch (bytes[6], bytes[7]) {
        case (1, 0): lengthSize = 2
        case (2, 0), (3, 0): lengthSize = 4
        default:
            throw DataError(file: file, location: "byte 6", "unsupported .npy format version \(bytes[6]).\(bytes[7]), expected 1.0, 2.0 or 3.0")
        }
        let start = 8 + lengthSize
        guard bytes.count >= start else {
            throw DataError(file: file, location: "byte \(bytes.count)", "file ends inside the .npy preamble (header length)")
        }
        let headerLength = (0..<lengthSize).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard bytes.count >= start + headerLength else {
            throw DataError(file: file, location: "byte \(bytes.count)", "file ends inside the \(headerLength)-byte header")
        }
        var header = HeaderParser(text: bytes[start..<(start + headerLength)], file: file, i: start)
        let fields = try header.dictionary()
        let at = "byte \(start)"
        guard case .string(let descr)? = fields["descr"] else { throw DataError(file: file, location: at, "bad header: no 'descr' string") }
        guard case .bool(let fortranOrder)? = fields["fortran_order"] else {
            throw DataError(file: file, location: at, "bad header: no 'fortran_order' True or False")
        }
        guard case .tuple(let shape)? = fields["shape"] else { throw DataError(file: file, location: at, "bad header: no 'shape' tuple") }
        guard let type = NPYArray.ElementType(rawValue: descr) else {
            let supported = NPYArray.ElementType.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DataError(file: file, location: at, "unsupported dtype '\(DataError.excerpt(descr))'; supported: \(supported)")
        }
        guard !fortranOrder else {
            throw DataError(file: file, location: at, "fortran_order is True; only C-order arrays are supported (save np.ascontiguousarray(a))")
        }
        let dataStart = start + headerLength
        var count = 1, overflow = false
        for size in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: size) }
        let available = bytes.count - dataStart
        let (needed, tooBig) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow && !tooBig else {
            throw DataError(file: file, location: at, "shape \(pythonTuple(shape)) of '\(descr)' is too large for any file")
        }
        if available < needed {
            let whole = available / type.size
            throw DataError(file: file, location: "element \(whole) at byte \(dataStart + whole * type.size)",
                            "data ends after \(whole) of the \(count) elements that shape \(pythonTuple(shape)) of '\(descr)' needs "
                            + "(\(available) of \(needed) bytes)")
        }
        if available > needed {
            throw DataError(file: file, location: "byte \(dataStart + needed)",
                            "\(available - needed == 1 ? "1 byte" : "\(available - needed) bytes") after the \(count) elements that shape \(pythonTuple(shape)) of '\(descr)' needs")
        }
        return NPYArray(file: file, shape: shape, elementType: type, bytes: bytes, dataOffset: dataStart)
    }

    /// Writes `tensor` as a version 1.0 `.npy` file (`<f4` for float32, `<f8` for float64).
    public static func write(_ tensor: Tensor, to path: String) throws {
        let data = tensor.dtype == .float32
            ? tensor.floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            : tensor.doubles.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        try writeDataFile(encode(descr: tensor.dtype == .float32 ? "<f4" : "<f8", shape: tensor.shape, data: data), to: path, gzip: false)
    }

    /// Writes labels as a version 1.0 `.npy` file of shape `(N,)`, dtype `<i8`.
    public static func write(labels: [Int], to path: String) throws {
        let data = labels.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) }
        try writeDataFile(encode(descr: "<i8", shape: [labels.count], data: data), to: path, gzip: false)
    }

    /// The bytes of a `.npy` file with the given header fields and raw data.
    static func encode(descr: String, shape: [Int], data: [UInt8], fortranOrder: Bool = false, version: UInt8 = 1) -> [UInt8] {
        let header = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(pythonTuple(shape)), }"
        return encode(header: header, data: data, version: version)
    }

    /// The bytes of a `.npy` file with the given header text (padded as NumPy does, so that the data
    /// starts at a multiple of 64 bytes) and raw data.
    static func encode(header: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        let lengthSize = version == 1 ? 2 : 4
        var text = Array(header.utf8)
        let unpadded = 8 + lengthSize + text.count + 1
        text += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64) + [0x0A]
        let length = (0..<lengthSize).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) }
        return magic + [version, 0] + length + text + data
    }

    /// A shape as Python writes a tuple: `()`, `(3,)`, `(3, 4)`.
    static func pythonTuple(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

/// An array read from a `.npy` file: its shape, element type and data.
public struct NPYArray {
    /// The element types Nabla reads, by their NumPy `descr`.
    public enum ElementType: String, CaseIterable, Sendable {
        case float32 = "<f4", float64 = "<f8", uint8 = "|u1", int32 = "<i4", int64 = "<i8"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .uint8: 1
            case .float32, .int32: 4
            case .float64, .int64: 8
            }
        }
    }

    /// The file it was read from.
    public let file: String
    /// The size of each dimension, outermost first.
    public let shape: [Int]
    /// The element type.
    public let elementType: ElementType
    let bytes: [UInt8]
    let dataOffset: Int

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The elements as a tensor of `dtype`, converted in one pass.
    public func tensor(dtype: DType = .float32) -> Tensor {
        let result = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: fill(result.pointer(Float.self))
        case .float64: fill(result.pointer(Double.self))
        }
        return result
    }

    /// The elements as class labels: the array must be `[N]` or `[N, 1]` and hold non-negative
    /// integers (floats that are whole numbers are accepted).
    /// - Throws: `DataError` naming the file and element otherwise.
    public func classLabels() throws -> [Int] {
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
            throw DataError(file: file, "labels must have shape (N,) or (N, 1), found \(NPY.pythonTuple(shape))")
        }
        return try (0..<count).map { i in
            let value: Double
            switch elementType {
            case .int64: value = Double(Int64(littleEndian: load(i, as: Int64.self)))
            default: value = element(i)
            }
            guard value >= 0, value == value.rounded(), value <= Double(NPY.maxLabel) else {
                let text = elementType == .int64 ? String(Int64(littleEndian: load(i, as: Int64.self))) : Tensor.format(value)
                throw DataError(file: file, location: location(i),
                                value > Double(NPY.maxLabel) && value == value.rounded()
                                    ? "label \(text) is too large (class labels must be at most \(NPY.maxLabel))"
                                    : "label \(text) is not a non-negative integer")
            }
            return Int(value)
        }
    }

    /// "element i at byte b", for errors.
    func location(_ index: Int) -> String { "element \(index) at byte \(dataOffset + index * elementType.size)" }

    private func load<T>(_ index: Int, as type: T.Type) -> T {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: dataOffset + index * elementType.size, as: T.self) }
    }

    func element(_ index: Int) -> Double {
        switch elementType {
        case .float32: Double(Float(bitPattern: UInt32(littleEndian: load(index, as: UInt32.self))))
        case .float64: Double(bitPattern: UInt64(littleEndian: load(index, as: UInt64.self)))
        case .uint8: Double(bytes[dataOffset + index])
        case .int32: Double(Int32(littleEndian: load(index, as: Int32.self)))
        case .int64: Double(Int64(littleEndian: load(index, as: Int64.self)))
        }
    }

    private func fill<T: TensorScalar>(_ destination: UnsafeMutablePointer<T>) {
        switch elementType {
        case .float32: convert(destination) { (x: UInt32) in T(Float(bitPattern: UInt32(littleEndian: x))) }
        case .float64: convert(destination) { (x: UInt64) in T(Double(bitPattern: UInt64(littleEndian: x))) }
        case .uint8: convert(destination) { (x: UInt8) in T(x) }
        case .int32: convert(destination) { (x: Int32) in T(Int32(littleEndian: x)) }
        case .int64: convert(destination) { (x: Int64) in T(Int64(littleEndian: x)) }
        }
    }

    /// Converts every element, read as `Source`, into `destination`.
    @inline(__always)
    private func convert<Source, T>(_ destination: UnsafeMutablePointer<T>, _ transform: (Source) -> T) {
        let n = count
        bytes.withUnsafeBytes { raw in
            let source = raw.baseAddress! + dataOffset
            for i in 0..<n { destination[i] = transform(source.loadUnaligned(fromByteOffset: i * MemoryLayout<Source>.size, as: Source.self)) }
        }
    }
}

/// Reads the Python dict literal of a `.npy` header: string keys; values that are strings, `True`,
/// `False` or tuples of non-negative integers.
private struct HeaderParser {
    enum Value { case string(String), bool(Bool), tuple([Int]) }

    let text: ArraySlice<UInt8>
    let file: String
    /// The position in `text`, whose indices are the file's byte offsets.
    var i: Int

    mutating func dictionary() throws -> [String: Value] {
        var fields: [String: Value] = [:]
        try expect("{")
        while true {
            skipSpace()
            if peek == UInt8(ascii: "}") { break }
            let keyStart = i
            let key = try string()
            guard ["descr", "fortran_order", "shape"].contains(key) else {
                throw DataError(file: file, location: "byte \(keyStart)", "bad header: unexpected key '\(DataError.excerpt(key))'; expected 'descr', 'fortran_order' and 'shape'")
            }
            try expect(":")
            skipSpace()
            if key == "descr" && peek == UInt8(ascii: "[") {
                throw DataError(file: file, location: "byte \(i)", "unsupported dtype: structured arrays (a list 'descr') are not supported")
            }
            fields[key] = try value()
            skipSpace()
            if peek == UInt8(ascii: ",") { i += 1 } else if peek != UInt8(ascii: "}") { throw failure("',' or '}'") }
        }
        i += 1
        skipSpace()
        guard i == text.endIndex else { throw failure("the end of the header after '}'") }
        return fields
    }

    private var peek: UInt8? { i < text.endIndex ? text[i] : nil }

    private mutating func skipSpace() {
        while let c = peek, c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D { i += 1 }
    }

    private func failure(_ expected: String) -> DataError {
        DataError(file: file, location: "byte \(i)", "bad header: expected \(expected)")
    }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard peek == c.asciiValue else { throw failure("'\(c)'") }
        i += 1
    }

    private mutating func string() throws -> String {
        skipSpace()
        guard let quote = peek, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { throw failure("a quoted string") }
        let start = i + 1
        i = start
        while let c = peek, c != quote { i += 1 }
        guard peek == quote else { throw failure("a closing quote") }
        i += 1
        return String(decoding: text[start..<(i - 1)], as: UTF8.self)
    }

    private mutating func value() throws -> Value {
        skipSpace()
        for (word, flag) in [("True", true), ("False", false)] where text[i...].starts(with: word.utf8) {
            i += word.utf8.count
            return .bool(flag)
        }
        if peek == UInt8(ascii: "(") {
            i += 1
            var sizes: [Int] = []
            while true {
                skipSpace()
                if peek == UInt8(ascii: ")") { i += 1; return .tuple(sizes) }
                var size = 0, digits = 0
                while let c = peek, c >= 0x30 && c <= 0x39, size < Int.max / 100 { size = size * 10 + Int(c - 0x30); digits += 1; i += 1 }
                guard digits > 0 else { throw failure("a non-negative integer in the shape") }
                if peek == UInt8(ascii: "L") { i += 1 }  // Python 2's long integers
                sizes.append(size)
                skipSpace()
                if peek == UInt8(ascii: ",") { i += 1 } else if peek != UInt8(ascii: ")") { throw failure("',' or ')' in the shape") }
            }
        }
        guard peek == UInt8(ascii: "'") || peek == UInt8(ascii: "\"") else { throw failure("a string, True, False or a tuple") }
        return .string(try string())
    }
}
