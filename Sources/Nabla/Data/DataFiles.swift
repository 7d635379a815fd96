import Foundation

/// Reading a recipe's `source`: which format it is, and its parts.
extension DataRecipe {
    /// The data set's parts as its files give them, raw.
    /// - Throws: `DataError` naming the file or folder, `SettingError` for options that do not
    ///   suit the source (an image size for a CSV file).
    public func loadParts() throws -> DataParts {
        if Datasets.names.contains(source) {
            try refuseImageOptions()
            return DataParts(train: try fixedClassCount(Datasets.load(source)), isImageBytes: true, format: "shipped data set")
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory)
        if !exists, let known = Datasets.known(source) {
            var parts = try loadFolder(try Datasets.folder(of: known))
            _ = try fixedClassCount(parts.train)
            parts.format = "\(known.title) (\(parts.format))"
            // The files number their classes; the data set's documentation names them.
            let numbered = (0..<known.classNames.count).map(String.init)
            func name(_ data: inout Dataset) { if data.classNames == numbered { data.classNames = known.classNames } }
            name(&parts.train)
            if parts.test != nil { name(&parts.test!) }
            return parts
        }
        guard exists else {
            throw DataError(file: source, "no such file or folder, and not a data set's name (\(Datasets.allNames.joined(separator: ", ")))")
        }
        if isDirectory.boolValue { return try loadFolder(source) }
        try refuseImageOptions()
        if source.hasSuffix(".csv") || source.hasSuffix(".csv.gz") {
            let column: CSVReader.LabelColumn = Int(labelColumn).map { .index($0) } ?? .name(labelColumn)
            return DataParts(train: try CSVReader.load(source, labelColumn: column, classCount: classes), isImageBytes: false, format: "CSV")
        }
        if source.hasSuffix(".npy") || source.hasSuffix(".npy.gz") {
            guard let labels else { throw SettingError(field: "data.labels", "\(source) is a .npy features file: its labels file (.npy) is needed too") }
            var data = try NPY.load(features: source, labels: labels, classCount: classes)
            var notes: [String] = []
            switch layout {
            case .nhwc:
                guard data.exampleShape.count == 3 else {
                    throw SettingError(field: "data.layout", "nhwc needs images [N, H, W, C]; \(source) holds examples of shape \(data.exampleShape)")
                }
                data = data.channelsFirst()
            case .nchw:
                if data.exampleShape.count == 3, [1, 3, 4].contains(data.exampleShape[2]), data.exampleShape[0] > 4 {
                    notes.append("\(source): examples of shape \(data.exampleShape) look channels-last ([H, W, C]); if so, give the layout nhwc")
                }
            }
            var parts = DataParts(train: data, isImageBytes: data.isCompact, format: "NumPy .npy")
            parts.notes = notes
            return parts
        }
        throw DataError(file: source, "unrecognized data: expected a data set's name (\(Datasets.allNames.joined(separator: ", "))), a folder of IDX, "
            + "CIFAR-10 or image files, a .csv/.csv.gz file or a .npy file")
    }

    /// A folder's parts: an image folder, MNIST IDX files, or CIFAR-10 batches.
    private func loadFolder(_ folder: String) throws -> DataParts {
        if ImageFolder.isImageFolder(folder) {
            let contents = try ImageFolder.load(folder, options: .init(imageSize: imageSize, skipBad: skipBad))
            _ = try fixedClassCount(contents.train)
            var parts = DataParts(train: contents.train, validation: contents.validation, test: contents.test, isImageBytes: true, format: "image folder")
            parts.skipped = contents.skipped
            return parts
        }
        try refuseImageOptions(folder)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        if files.contains(where: { $0.contains("idx3-ubyte") }) {
            if !files.contains(where: { $0.hasPrefix("train-images-idx3-ubyte") }), let test = try IDX.loadTestFiles(directory: folder) {
                return DataParts(train: test.subset([]), test: test, isImageBytes: true, format: "MNIST IDX folder, test files only")
            }
            let (train, test) = try IDX.load(directory: folder, classCount: classes)
            return DataParts(train: train, test: test, isImageBytes: true, format: "MNIST IDX folder")
        }
        let (train, test) = try CIFAR10.load(directory: folder)
        _ = try fixedClassCount(train)
        return DataParts(train: train, test: test, isImageBytes: true, format: "CIFAR-10 binary folder")
    }
}

extension DataRecipe {
    /// The image folder options are refused for other data, rather than silently ignored.
    fileprivate func refuseImageOptions(_ path: String? = nil) throws {
        guard imageSize != nil || skipBad else { return }
        throw SettingError(field: imageSize != nil ? "data.imageSize" : "data.skipBad",
                           "applies to image folders (class folders of .png/.jpg images), and \(path ?? source) is not one")
    }
}

extension IDX {
    /// The test pair `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` (raw or `.gz`) of a
    /// folder, or nil when the folder has none.
    public static func loadTestFiles(directory: String) throws -> Dataset? {
        func find(_ name: String) -> String? {
            [name, name + ".gz"].map { (directory as NSString).appendingPathComponent($0) }.first { FileManager.default.fileExists(atPath: $0) }
        }
        guard let images = find("t10k-images-idx3-ubyte"), let labels = find("t10k-labels-idx1-ubyte") else { return nil }
        return try load(images: images, labels: labels)
    }
}
