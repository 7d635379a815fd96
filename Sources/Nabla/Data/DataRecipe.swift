import Foundation

/// Where a run's data comes from, how it is split and how it is normalized: the data part of a
/// `TrainingRecipe`, and all that is needed to rebuild a run's splits later (`nabla evaluate`).
///
/// ```swift
/// var data = DataRecipe(source: "mnist-5k")
/// data.preprocess = .standardize
/// let loaded = try data.load(seed: 1)        // splits, fitted preprocessor
/// ```
public struct DataRecipe: Codable, Equatable, Sendable {
    /// A shipped data set (`mnist-5k`), a folder of MNIST IDX or CIFAR-10 binary files, a CSV file
    /// (`.csv`, `.csv.gz`) or a `.npy` features file (with `labels`).
    public var source: String
    /// The labels `.npy` file that goes with a `.npy` features file.
    public var labels: String?
    /// The CSV column holding the label: a name (with a header line) or an index (negative counts
    /// from the end).
    public var labelColumn: String
    /// The validation split: a fraction (< 1) or a count.
    public var validation: Double
    /// The test split held out from training: a fraction (< 1) or a count.
    public var test: Double
    /// Keep each class's share in every split.
    public var stratify: Bool
    /// Input normalization fitted on the training split.
    public var preprocess: Preprocessor.Method
    /// The factor raw inputs are multiplied by first.
    public var scale: InputScale
    /// The number of classes, when the labels need not cover them all (a subset of a larger data
    /// set); labels must lie below it. Nil: the largest label + 1, every class having examples.
    public var classes: Int?

    public init(source: String = "mnist-5k", labels: String? = nil, labelColumn: String = "-1",
                validation: Double = 0.1, test: Double = 0.1, stratify: Bool = false,
                preprocess: Preprocessor.Method = .none, scale: InputScale = .auto, classes: Int? = nil) {
        self.source = source; self.labels = labels; self.labelColumn = labelColumn
        self.validation = validation; self.test = test; self.stratify = stratify
        self.preprocess = preprocess; self.scale = scale; self.classes = classes
    }

    private enum CodingKeys: String, CodingKey { case source, labels, labelColumn, validation, test, stratify, preprocess, scale, classes }

    /// Reads a saved recipe; a setting it leaves out keeps its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DataRecipe()
        self.init(source: try c.decodeIfPresent(String.self, forKey: .source) ?? d.source,
                  labels: try c.decodeIfPresent(String.self, forKey: .labels),
                  labelColumn: try c.decodeIfPresent(String.self, forKey: .labelColumn) ?? d.labelColumn,
                  validation: try c.decodeIfPresent(Double.self, forKey: .validation) ?? d.validation,
                  test: try c.decodeIfPresent(Double.self, forKey: .test) ?? d.test,
                  stratify: try c.decodeIfPresent(Bool.self, forKey: .stratify) ?? d.stratify,
                  preprocess: try c.decodeIfPresent(Preprocessor.Method.self, forKey: .preprocess) ?? d.preprocess,
                  scale: try c.decodeIfPresent(InputScale.self, forKey: .scale) ?? d.scale,
                  classes: try c.decodeIfPresent(Int.self, forKey: .classes))
    }

    /// A data set split three ways and normalized, with the preprocessor that did it.
    public struct Loaded {
        public var splits: DataSplits
        /// Fitted on the training split (or the one passed to `load(seed:fitted:)`).
        public var preprocessor: Preprocessor
        /// Whether the raw values are image bytes (0–255).
        public var isImageBytes: Bool
    }

    /// Checks the settings that need no data.
    public func validate() throws {
        for (field, value) in [("validation", validation), ("test", test)] {
            guard value.isFinite, value >= 0 else { throw SettingError(field: "data." + field, "must be a fraction in [0, 1) or a whole count, got \(value)") }
            guard value < 1 || value == value.rounded() else {
                throw SettingError(field: "data." + field, "must be a fraction in [0, 1) or a whole count, got \(value)")
            }
        }
        if let classes, classes < 2 { throw SettingError(field: "data.classes", "must be at least 2, got \(classes)") }
        if case .factor(let s) = scale, !(s.isFinite && s != 0) {
            throw SettingError(field: "data.scale", "must be 'auto' or a non-zero number, got \(s)")
        }
    }

    /// The data set, split into training, validation and test examples, and normalized by a
    /// preprocessor fitted on the training split, or by `fitted` (a run's saved one) when given.
    /// `seed` draws the splits.
    public func load(seed: UInt64, fitted: Preprocessor? = nil) throws -> Loaded {
        try validate()
        let (dataset, isImageBytes) = try loadDataset()
        let valCount = Splits.size(validation, of: dataset.count), testCount = Splits.size(test, of: dataset.count)
        guard valCount > 0 else { throw SettingError(field: "data.validation", "\(validation) leaves no validation examples") }
        guard valCount + testCount < dataset.count else {
            throw SettingError(field: "data.validation", "\(validation) and a test split of \(test) leave no training examples out of \(dataset.count)")
        }
        var splits = dataset.split(validation: validation, test: test, stratified: stratify, seed: seed)
        if let fitted, fitted.exampleShape != dataset.exampleShape {
            throw DataError(file: source, "examples of shape \(dataset.exampleShape), but the run's preprocessing was fitted on \(fitted.exampleShape)")
        }
        let preprocessor = try fitted ?? Preprocessor.fit(preprocess, scale: scaleFactor(isImageBytes: isImageBytes, exampleShape: dataset.exampleShape),
                                                         on: splits.train)
        for keyPath in [\DataSplits.train, \DataSplits.validation, \DataSplits.test] where splits[keyPath: keyPath].count > 0 {
            splits[keyPath: keyPath] = splits[keyPath: keyPath].preprocessed(by: preprocessor)
        }
        return Loaded(splits: splits, preprocessor: preprocessor, isImageBytes: isImageBytes)
    }

    /// The factor raw values are multiplied by (`auto`: 1/255 for image bytes, else 1), after
    /// checking that the preprocessing suits examples of `exampleShape`.
    public func scaleFactor(isImageBytes: Bool, exampleShape: [Int]) throws -> Double {
        if preprocess == .channelMean && exampleShape.count != 3 {
            throw SettingError(field: "data.preprocess", "channel-mean needs images [C, H, W]; this data's examples are \(exampleShape)")
        }
        switch scale {
        case .auto: return isImageBytes ? 1.0 / 255 : 1
        case .factor(let s): return s
        }
    }

    /// The whole data set, unsplit and raw, and whether its values are image bytes.
    public func loadDataset() throws -> (Dataset, isImageBytes: Bool) {
        if Datasets.names.contains(source) { return (try fixedClassCount(Datasets.load(source)), true) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw DataError(file: source, "no such file, and not a shipped data set (\(Datasets.names.joined(separator: ", ")))")
        }
        if isDirectory.boolValue {
            // A folder's training and test files together form the data set; the splits come from it.
            let files = (try? FileManager.default.contentsOfDirectory(atPath: source)) ?? []
            let isIDX = files.contains { $0.contains("idx3-ubyte") }
            let (train, test) = isIDX ? try IDX.load(directory: source, classCount: classes) : try CIFAR10.load(directory: source)
            if !isIDX { _ = try fixedClassCount(train) }
            guard let test else { return (train, true) }
            return (Dataset.concatenated(train, test), true)
        }
        if source.hasSuffix(".csv") || source.hasSuffix(".csv.gz") {
            let column: CSVReader.LabelColumn = Int(labelColumn).map { .index($0) } ?? .name(labelColumn)
            return (try CSVReader.load(source, labelColumn: column, classCount: classes), false)
        }
        if source.hasSuffix(".npy") {
            guard let labels else { throw SettingError(field: "data.labels", "\(source) is a .npy features file: its labels file (.npy) is needed too") }
            let array = try NPY.read(source)
            return (try NPY.load(features: source, labels: labels, classCount: classes), array.elementType == .uint8)
        }
        throw DataError(file: source, "unrecognized data: expected a shipped name (\(Datasets.names.joined(separator: ", "))), a folder of IDX or CIFAR-10 files, a "
            + ".csv/.csv.gz file or a .npy file")
    }

    /// `dataset`, from a format whose class count is fixed (CIFAR-10, the shipped sets), once
    /// `classes` (if given) agrees with it.
    private func fixedClassCount(_ dataset: Dataset) throws -> Dataset {
        guard let classes, classes != dataset.classCount else { return dataset }
        throw SettingError(field: "data.classes", "\(source) holds \(dataset.classCount) classes, a fixed number: --classes \(classes) does not fit it")
    }

    /// This recipe with relative file paths made absolute (against the current directory), so that
    /// a saved run finds its data from anywhere.
    public var withAbsolutePaths: DataRecipe {
        var copy = self
        func absolute(_ path: String) -> String {
            guard !path.hasPrefix("/"), FileManager.default.fileExists(atPath: path) else { return path }
            return URL(fileURLWithPath: path).standardizedFileURL.path
        }
        if !Datasets.names.contains(source) { copy.source = absolute(source) }
        copy.labels = labels.map(absolute)
        return copy
    }
}

/// The factor raw input values are multiplied by before preprocessing.
public enum InputScale: TextCodable, Equatable, Sendable, CustomStringConvertible {
    /// 1/255 for image bytes (0–255 → [0, 1]), 1 otherwise.
    case auto
    /// This factor.
    case factor(Double)

    /// Reads `auto` or a number.
    public init(parsing text: String) throws {
        if text == "auto" { self = .auto; return }
        guard let s = Double(text), s.isFinite, s != 0 else {
            throw SettingError(field: "data.scale", "must be 'auto' or a non-zero number, got '\(text)'")
        }
        self = .factor(s)
    }

    public var text: String {
        switch self {
        case .auto: return "auto"
        case .factor(let s): return "\(s)"
        }
    }

    public var description: String { text }
}
