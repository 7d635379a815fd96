import Foundation

/// Where a run's data comes from, how it is split and how it is normalized: the data part of a
/// `TrainingRecipe`, and all that is needed to rebuild a run's splits later (`nabla evaluate`).
///
/// ```swift
/// var data = DataRecipe(source: "mnist-5k")
/// data.preprocess = .standardize
/// let loaded = try data.load(seed: 1)        // splits, fitted preprocessor, where each came from
/// ```
public struct DataRecipe: Codable, Equatable, Sendable {
    /// A shipped or known data set (`mnist-5k`, `mnist`, `fashion-mnist`, `cifar10`), a folder of
    /// MNIST IDX or CIFAR-10 binary files, an image folder, a CSV file (`.csv`, `.csv.gz`) or a
    /// `.npy` features file (with `labels`).
    public var source: String
    /// The labels `.npy` file that goes with a `.npy` features file.
    public var labels: String?
    /// The CSV column holding the label: a name (with a header line) or an index (negative counts
    /// from the end).
    public var labelColumn: String
    /// The validation split, drawn from the training files: a fraction (< 1) or a count. Unused
    /// when the data set has its own validation files (an image folder's `val/`).
    public var validation: Double
    /// The test split. nil: the data set's own test files when it has them (IDX `t10k-*`,
    /// CIFAR-10's `test_batch.bin`, an image folder's `test/`), else `DataRecipe.defaultTest` of the
    /// training files. A number: that fraction (< 1) or count of the training files, held out at
    /// random (the data set's own test files are then not used); 0: no test split.
    public var test: Double?
    /// Keep each class's share in every split.
    public var stratify: Bool
    /// Input normalization fitted on the training split.
    public var preprocess: Preprocessor.Method
    /// The factor raw inputs are multiplied by first.
    public var scale: InputScale
    /// The seed of the random splits; nil: the run's seed. Runs with different seeds but one split
    /// seed (an ensemble) share their test split.
    public var splitSeed: UInt64?
    /// Image folders: resize every image to this height and width (bilinear); nil: all images must
    /// have one size.
    public var imageSize: Int?
    /// Image folders: skip (and count) unreadable images instead of failing on the first.
    public var skipBad: Bool
    /// The axis order of a 4-D `.npy` features array of images.
    public var layout: ImageLayout
    /// Runs recorded before official test splits (config.json version 2 and older) pooled a
    /// folder's training and test files and split the pool at random; such runs keep doing so, to
    /// see the very examples they were trained and tested on.
    public var poolsTestFiles: Bool
    /// The number of classes, when the labels need not cover them all (a subset of a larger data
    /// set); labels must lie below it. Nil: the largest label + 1, every class having examples.
    public var classes: Int?

    /// The test split drawn from the training files when the data set has no test files of its own.
    public static let defaultTest = 0.1

    public init(source: String = "mnist-5k", labels: String? = nil, labelColumn: String = "-1",
                validation: Double = 0.1, test: Double? = nil, stratify: Bool = false,
                preprocess: Preprocessor.Method = .none, scale: InputScale = .auto, classes: Int? = nil) {
        self.source = source; self.labels = labels; self.labelColumn = labelColumn
        self.validation = validation; self.test = test; self.stratify = stratify
        self.preprocess = preprocess; self.scale = scale
        self.skipBad = false; self.layout = .nchw; self.poolsTestFiles = false; self.classes = classes
    }

    private enum CodingKeys: String, CodingKey {
        case source, labels, labelColumn, validation, test, stratify, preprocess, scale, splitSeed, imageSize, skipBad, layout, poolsTestFiles, classes
    }

    /// Reads a saved recipe; a setting it leaves out keeps its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DataRecipe()
        self.init(source: try c.decodeIfPresent(String.self, forKey: .source) ?? d.source,
                  labels: try c.decodeIfPresent(String.self, forKey: .labels),
                  labelColumn: try c.decodeIfPresent(String.self, forKey: .labelColumn) ?? d.labelColumn,
                  validation: try c.decodeIfPresent(Double.self, forKey: .validation) ?? d.validation,
                  test: try c.decodeIfPresent(Double.self, forKey: .test),
                  stratify: try c.decodeIfPresent(Bool.self, forKey: .stratify) ?? d.stratify,
                  preprocess: try c.decodeIfPresent(Preprocessor.Method.self, forKey: .preprocess) ?? d.preprocess,
                  scale: try c.decodeIfPresent(InputScale.self, forKey: .scale) ?? d.scale)
        splitSeed = try c.decodeIfPresent(UInt64.self, forKey: .splitSeed)
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize)
        skipBad = try c.decodeIfPresent(Bool.self, forKey: .skipBad) ?? false
        layout = try c.decodeIfPresent(ImageLayout.self, forKey: .layout) ?? .nchw
        poolsTestFiles = try c.decodeIfPresent(Bool.self, forKey: .poolsTestFiles) ?? false
        classes = try c.decodeIfPresent(Int.self, forKey: .classes)
    }

    /// Checks the settings that need no data.
    public func validate() throws {
        for (field, value) in [("validation", validation), ("test", test ?? 0)] {
            guard value.isFinite, value >= 0, value < 1 || value == value.rounded() else {
                throw SettingError(field: "data." + field, "must be a fraction in [0, 1) or a whole count, got \(value)")
            }
        }
        if let classes, classes < 2 { throw SettingError(field: "data.classes", "must be at least 2, got \(classes)") }
        if case .factor(let s) = scale, !(s.isFinite && s != 0) {
            throw SettingError(field: "data.scale", "must be 'auto' or a non-zero number, got \(s)")
        }
        if let imageSize, !(1...16384).contains(imageSize) {
            throw SettingError(field: "data.imageSize", "must be between 1 and 16384 pixels, got \(imageSize)")
        }
    }

    /// `dataset`, from a format whose class count is fixed (CIFAR-10, the shipped sets, an image
    /// folder), once `classes` (if given) agrees with it.
    func fixedClassCount(_ dataset: Dataset) throws -> Dataset {
        guard let classes, classes != dataset.classCount else { return dataset }
        throw SettingError(field: "data.classes", "\(source) holds \(dataset.classCount) classes, a fixed number, not \(classes)")
    }

    /// This recipe with relative file paths made absolute (against the current directory), so that
    /// a saved run finds its data from anywhere.
    public var withAbsolutePaths: DataRecipe {
        var copy = self
        func absolute(_ path: String) -> String {
            guard !path.hasPrefix("/"), FileManager.default.fileExists(atPath: path) else { return path }
            return URL(fileURLWithPath: path).standardizedFileURL.path
        }
        if !Datasets.isName(source) { copy.source = absolute(source) }
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

/// The axis order of image arrays: channels first (`[N, C, H, W]`, PyTorch's) or last
/// (`[N, H, W, C]`, NumPy's and TensorFlow's).
public enum ImageLayout: String, Codable, CaseIterable, Sendable {
    case nchw, nhwc
}
