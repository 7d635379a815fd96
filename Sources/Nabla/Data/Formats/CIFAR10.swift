import Foundation

/// CIFAR-10's binary batches (the "binary version" of the data set).
///
/// Format: no header, only 3073-byte records: 1 label byte (0–9), then 1024 red, 1024 green and
/// 1024 blue bytes, each plane a 32×32 image in row-major order — exactly the `[3, 32, 32]` layout of
/// one example. The data set ships as `data_batch_1.bin` … `data_batch_5.bin` (training) and
/// `test_batch.bin`, 10,000 records (30,730,000 bytes) each, in a `cifar-10-batches-bin/` folder
/// with `batches.meta.txt`, the class names one per line. Images load as `[N, 3, 32, 32]` `Float`
/// pixel values 0–255.
public enum CIFAR10 {
    /// Bytes per record: the label and 3 × 32 × 32 pixels.
    public static let recordSize = 3073
    /// The training batches' file names.
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    /// The test batch's file name.
    public static let testFile = "test_batch.bin"
    /// The class names file.
    public static let metaFile = "batches.meta.txt"
    static let pixelsPerImage = 3 * 32 * 32

    /// Loads batch files (raw or gzip) into one data set, in the order given.
    /// - Parameter classNames: the ten class names; "0"…"9" when nil.
    /// - Throws: `DataError` naming the file and record for an empty or truncated file (one whose size
    ///   is not a multiple of 3073) or a label above 9.
    public static func load(batches paths: [String], classNames: [String]? = nil) throws -> Dataset {
        precondition(classNames == nil || classNames!.count == 10, "CIFAR10.load: 10 class names expected")
        let files = try paths.map { path in
            let bytes = try Gzip.readFile(path)
            try check(bytes, file: path)
            return bytes
        }
        let count = files.reduce(0) { $0 + $1.count / recordSize }
        // Kept as bytes (see `Dataset`): 3 KB per image instead of 12.
        var pixels = [UInt8]()
        pixels.reserveCapacity(count * pixelsPerImage)
        var labels = [Int]()
        labels.reserveCapacity(count)
        for bytes in files {
            for start in stride(from: 0, to: bytes.count, by: recordSize) {
                labels.append(Int(bytes[start]))
                pixels.append(contentsOf: bytes[(start + 1)..<(start + recordSize)])
            }
        }
        return Dataset(bytes: pixels, exampleShape: [3, 32, 32], labels: labels, classNames: classNames ?? (0..<10).map(String.init))
    }

    /// Loads CIFAR-10 from a directory holding the batch files, or from its `cifar-10-batches-bin/`
    /// subfolder: train from the `data_batch_*.bin` present, test from `test_batch.bin` if present,
    /// class names from `batches.meta.txt` if present.
    /// - Throws: `DataError` when no training batch is found (listing what was looked for), for a
    ///   `batches.meta.txt` without exactly 10 names, or for a bad batch file.
    public static func load(directory: String) throws -> (train: Dataset, test: Dataset?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(file: directory, "no such directory")
        }
        let exists = { (name: String, folder: String) in
            FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(name))
        }
        let folder = [directory, (directory as NSString).appendingPathComponent("cifar-10-batches-bin")]
            .first { folder in trainFiles.contains { exists($0, folder) } }
        guard let folder else {
            throw DataError(file: directory, "no CIFAR-10 training batches found; looked for \(trainFiles.joined(separator: ", ")) "
                            + "(and \(testFile), \(metaFile)) here and in cifar-10-batches-bin/")
        }
        let path = { (name: String) in (folder as NSString).appendingPathComponent(name) }
        let names = exists(metaFile, folder) ? try readClassNames(path(metaFile)) : nil
        let train = try load(batches: trainFiles.filter { exists($0, folder) }.map(path), classNames: names)
        let test = exists(testFile, folder) ? try load(batches: [path(testFile)], classNames: names) : nil
        return (train, test)
    }

    /// The class names in a `batches.meta.txt`: ten lines (blank lines are skipped).
    public static func readClassNames(_ path: String) throws -> [String] {
        let text = String(decoding: try Gzip.readFile(path), as: UTF8.self)
        let names = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard names.count == 10 else {
            throw DataError(file: path, "expected 10 class names, one per line, found \(names.count)")
        }
        return names
    }

    /// Checks a batch: a positive whole number of records, labels 0–9.
    static func check(_ bytes: [UInt8], file: String) throws {
        guard !bytes.isEmpty else {
            throw DataError(file: file, "empty file, expected 3073-byte records (1 label byte and 3072 pixel bytes)")
        }
        let whole = bytes.count / recordSize, over = bytes.count % recordSize
        guard over == 0 else {
            throw DataError(file: file, location: "record \(whole) at byte \(whole * recordSize)",
                            "file ends inside a record: \(bytes.count) bytes are not a whole number of 3073-byte records (the last has \(over) of its 3073 bytes)")
        }
        for record in 0..<whole where bytes[record * recordSize] > 9 {
            throw DataError(file: file, location: "record \(record) at byte \(record * recordSize)",
                            "label \(bytes[record * recordSize]), expected 0–9")
        }
    }

    /// Writes a batch file: `images` `[N, 3, 32, 32]` of whole numbers 0–255, `labels` 0–9.
    public static func write(images: Tensor, labels: [Int], to path: String, gzip: Bool = false) throws {
        precondition(images.shape == [labels.count, 3, 32, 32],
                     "CIFAR10.write: images must be [\(labels.count), 3, 32, 32], not \(images.shape)")
        precondition(labels.allSatisfy { (0...9).contains($0) }, "CIFAR10.write: labels must lie in 0...9")
        let pixels = images.doubles
        var bytes = [UInt8]()
        bytes.reserveCapacity(labels.count * recordSize)
        for (i, label) in labels.enumerated() {
            bytes.append(UInt8(label))
            bytes += pixels[(i * pixelsPerImage)..<((i + 1) * pixelsPerImage)].map(pixelByte)
        }
        try writeDataFile(bytes, to: path, gzip: gzip)
    }
}
