import CZlib
import Foundation

/// MNIST's IDX files, raw or gzip-compressed.
///
/// Format (all integers big-endian unsigned 32-bit):
/// - images (`*-images-idx3-ubyte`): magic 2051 (`0x00000803`: unsigned bytes, 3 dimensions), image
///   count, rows, columns — a 16-byte header — then count · rows · columns pixel bytes, each image
///   row-major.
/// - labels (`*-labels-idx1-ubyte`): magic 2049 (`0x00000801`: unsigned bytes, 1 dimension), label
///   count — an 8-byte header — then one byte per label.
///
/// The file must hold exactly what its header announces. Byte offsets in errors count in the
/// decompressed data. Images load as `[N, 1, rows, columns]` `Float` pixel values 0–255; a loaded
/// data set keeps them as bytes (`Dataset.isCompact`).
public enum IDX {
    static let imagesMagic = 2051
    static let labelsMagic = 2049

    /// The images of an `idx3-ubyte` file as `[N, 1, rows, columns]` floats 0–255.
    /// - Throws: `DataError` for a missing, truncated or overlong file or a wrong magic number.
    public static func readImages(_ path: String) throws -> Tensor {
        try parseImages(Gzip.readFile(path), file: path)
    }

    /// The labels of an `idx1-ubyte` file.
    /// - Throws: `DataError` for a missing, truncated or overlong file or a wrong magic number.
    public static func readLabels(_ path: String) throws -> [Int] {
        try parseLabels(Gzip.readFile(path), file: path)
    }

    /// Loads an images file and its labels file as one data set: MNIST's ten classes "0"…"9", or
    /// more when a label is higher (as in EMNIST), provided every class up to it has examples.
    /// - Parameter classCount: the number of classes when known: labels must lie below it.
    /// - Throws: `DataError` for either file, when their counts differ, or for a label that leaves
    ///   classes above 9 without examples (200 among 0–9) or is not below `classCount`.
    public static func load(images imagesPath: String, labels labelsPath: String, classCount: Int? = nil) throws -> Dataset {
        let (pixels, shape) = try parseImageBytes(Gzip.readFile(imagesPath), file: imagesPath)
        let labels = try readLabels(labelsPath)
        guard labels.count == shape[0] else {
            throw DataError(file: labelsPath, "\(labels.count) labels, but \(imagesPath) has \(shape[0]) images")
        }
        let classes = try ClassLabels.check(labels, file: labelsPath, classCount: classCount, minimumCount: 10) {
            "label \($0) at byte \(8 + $0)"
        }
        return Dataset(bytes: pixels, exampleShape: Array(shape.dropFirst()), labels: labels, classNames: (0..<classes).map(String.init))
    }

    /// Loads MNIST from a directory holding `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`
    /// and, if present, `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each raw or `.gz`.
    /// Both splits get the same class names.
    /// - Parameter classCount: the number of classes when known; else the training labels decide
    ///   (see `load(images:labels:classCount:)`) and test labels must lie among them.
    /// - Throws: `DataError` when no file is found (listing what was looked for), when the training
    ///   pair or one file of a pair is missing, or for a bad file.
    public static func load(directory: String, classCount: Int? = nil) throws -> (train: Dataset, test: Dataset?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(file: directory, "no such directory")
        }
        let names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        let found = names.map { name in
            [name, name + ".gz"].map { (directory as NSString).appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0) }
        }
        guard found.contains(where: { $0 != nil }) else {
            throw DataError(file: directory, "no MNIST IDX files found; looked for \(names.map { $0 + "[.gz]" }.joined(separator: ", "))")
        }
        for pair in [0, 2] where (found[pair] == nil) != (found[pair + 1] == nil) {
            let (have, missing) = found[pair] == nil ? (pair + 1, pair) : (pair, pair + 1)
            throw DataError(file: directory, "found \((found[have]! as NSString).lastPathComponent) but not \(names[missing])[.gz]")
        }
        guard let trainImages = found[0], let trainLabels = found[1] else {
            throw DataError(file: directory, "found test files (t10k-…) but no \(names[0])[.gz] and \(names[1])[.gz]")
        }
        let train = try load(images: trainImages, labels: trainLabels, classCount: classCount)
        guard let testImages = found[2], let testLabels = found[3] else { return (train, nil) }
        let test = try load(images: testImages, labels: testLabels, classCount: train.classCount)
        return (train, test)
    }

    /// Parses the bytes of an images file.
    public static func parseImages(_ bytes: [UInt8], file: String) throws -> Tensor {
        let (pixels, shape) = try parseImageBytes(bytes, file: file)
        let images = Tensor(uninitializedShape: shape, dtype: .float32)
        let destination = images.pointer(Float.self)
        for i in 0..<pixels.count { destination[i] = Float(pixels[i]) }
        return images
    }

    /// The pixel bytes of an images file and their shape `[N, 1, rows, columns]`.
    static func parseImageBytes(_ bytes: [UInt8], file: String) throws -> (pixels: [UInt8], shape: [Int]) {
        let count = try header(bytes, file: file, magic: imagesMagic, kind: "images", headerSize: 16)
        let rows = readUInt32(bytes, 8), columns = readUInt32(bytes, 12)
        guard rows > 0 && columns > 0 else {
            throw DataError(file: file, location: "byte 8", "image size \(rows)×\(columns), expected positive rows and columns")
        }
        let (imageSize, tooBig) = rows.multipliedReportingOverflow(by: columns)
        guard !tooBig else {
            throw DataError(file: file, location: "byte 8", "image size \(rows)×\(columns) is too large for any file")
        }
        try checkSize(bytes.count, file: file, header: 16, count: count, recordSize: imageSize, kind: "images")
        return (Array(bytes[16...]), [count, 1, rows, columns])
    }

    /// Parses the bytes of a labels file.
    public static func parseLabels(_ bytes: [UInt8], file: String) throws -> [Int] {
        let count = try header(bytes, file: file, magic: labelsMagic, kind: "labels", headerSize: 8)
        try checkSize(bytes.count, file: file, header: 8, count: count, recordSize: 1, kind: "labels")
        return bytes[8...].map { Int($0) }
    }

    /// Writes `images` (`[N, rows, columns]` or `[N, 1, rows, columns]`, whole numbers 0–255) and
    /// `labels` (0–255) as an IDX pair, gzip-compressed when `gzip` is set.
    public static func write(images: Tensor, labels: [Int], imagesPath: String, labelsPath: String, gzip: Bool = false) throws {
        precondition(images.shape[0] == labels.count, "IDX.write: \(labels.count) labels for images of shape \(images.shape)")
        try writeImages(images, to: imagesPath, gzip: gzip)
        try writeLabels(labels, to: labelsPath, gzip: gzip)
    }

    /// Writes an images file. See `write(images:labels:imagesPath:labelsPath:gzip:)`.
    public static func writeImages(_ images: Tensor, to path: String, gzip: Bool = false) throws {
        let shape = images.shape
        precondition((shape.count == 3 || (shape.count == 4 && shape[1] == 1)) && shape.last! > 0 && shape[shape.count - 2] > 0,
                     "IDX.writeImages: images must be [N, rows, columns] or [N, 1, rows, columns], not \(shape)")
        var bytes = [UInt8]()
        bytes.reserveCapacity(16 + images.count)
        for value in [imagesMagic, shape[0], shape[shape.count - 2], shape[shape.count - 1]] { appendUInt32(&bytes, value) }
        bytes += images.doubles.map(pixelByte)
        try writeDataFile(bytes, to: path, gzip: gzip)
    }

    /// Writes a labels file. See `write(images:labels:imagesPath:labelsPath:gzip:)`.
    public static func writeLabels(_ labels: [Int], to path: String, gzip: Bool = false) throws {
        precondition(labels.allSatisfy { (0...255).contains($0) }, "IDX.writeLabels: labels must lie in 0...255")
        var bytes = [UInt8]()
        for value in [labelsMagic, labels.count] { appendUInt32(&bytes, value) }
        bytes += labels.map { UInt8($0) }
        try writeDataFile(bytes, to: path, gzip: gzip)
    }

    /// Checks the magic number and the header's length; returns the record count.
    private static func header(_ bytes: [UInt8], file: String, magic: Int, kind: String, headerSize: Int) throws -> Int {
        if bytes.count >= 4 {
            let found = readUInt32(bytes, 0)
            guard found == magic else {
                let what = found == imagesMagic ? ", an IDX images file" : found == labelsMagic ? ", an IDX labels file" : ""
                throw DataError(file: file, location: "byte 0",
                                "magic number \(found) (\(hex(found))\(what)), expected \(magic) (\(hex(magic))) for IDX \(kind)")
            }
        }
        guard bytes.count >= headerSize else {
            throw DataError(file: file, location: "byte \(bytes.count)", "file ends inside the \(headerSize)-byte header of IDX \(kind)")
        }
        return readUInt32(bytes, 4)
    }

    /// Checks that the file holds exactly `count` records of `recordSize` bytes after the header.
    private static func checkSize(_ size: Int, file: String, header: Int, count: Int, recordSize: Int, kind: String) throws {
        let (data, overflow) = count.multipliedReportingOverflow(by: recordSize)
        guard !overflow && data <= Int.max - header else {
            throw DataError(file: file, location: "byte 4", "the header announces \(count) \(kind) of \(recordSize) bytes, more than any file holds")
        }
        let expected = header + data
        let record = kind == "images" ? "image" : "label"
        if size < expected {
            let whole = (size - header) / recordSize
            throw DataError(file: file, location: "\(record) \(whole) at byte \(header + whole * recordSize)",
                            "file ends after \(whole) of the \(count) \(kind) the header announces (\(size) bytes, expected \(expected))")
        }
        if size > expected {
            throw DataError(file: file, location: "byte \(expected)",
                            "\(size - expected == 1 ? "1 byte" : "\(size - expected) bytes") after the \(count) \(kind) the header announces (\(size) bytes, expected \(expected))")
        }
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> Int {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
    }

    private static func appendUInt32(_ bytes: inout [UInt8], _ value: Int) {
        precondition(value >= 0 && value <= Int(UInt32.max), "IDX: \(value) does not fit a 32-bit header field")
        bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
    }

    private static func hex(_ value: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

/// A pixel value as a byte: a whole number 0–255.
func pixelByte(_ value: Double) -> UInt8 {
    precondition(value >= 0 && value <= 255 && value == value.rounded(), "pixel value \(value) is not a whole number in 0...255")
    return UInt8(value)
}

/// Writes `bytes` to `path`, gzip-compressed (through zlib's gz* functions) when `gzip` is set.
/// - Throws: `DataError` naming the file when it cannot be written.
func writeDataFile(_ bytes: [UInt8], to path: String, gzip: Bool) throws {
    guard gzip else {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch {
            throw DataError(file: path, "cannot be written: \(error.localizedDescription)")
        }
        return
    }
    guard let file = gzopen(path, "wb") else { throw DataError(file: path, "cannot be opened for writing") }
    var written = 0
    let chunk = 1 << 24
    bytes.withUnsafeBytes { buffer in
        while written < buffer.count {
            let n = min(chunk, buffer.count - written)
            let result = gzwrite(file, buffer.baseAddress! + written, UInt32(n))
            if result <= 0 { break }
            written += Int(result)
        }
    }
    let closed = gzclose(file)
    guard written == bytes.count && closed == Z_OK else {
        throw DataError(file: path, "cannot be written: zlib wrote \(written) of \(bytes.count) bytes")
    }
}
