import Foundation

/// A data set as its files give it: the training examples and, when the data set comes with
/// them, its own validation and test examples (IDX `t10k-*`, CIFAR-10's `test_batch.bin`, an image
/// folder's `val/` and `test/`). Raw: not normalized.
public struct DataParts {
    /// The training files' examples (empty for a folder holding only test files).
    public var train: Dataset
    /// The data set's own validation examples, if it has them.
    public var validation: Dataset?
    /// The data set's own test examples, if it has them.
    public var test: Dataset?
    /// Whether the raw values are image bytes (0–255).
    public var isImageBytes: Bool
    /// What the source is, e.g. "MNIST IDX folder", "CSV".
    public var format: String
    /// Images skipped as unreadable (`skipBad`), each as `file: reason`.
    public var skipped: [String] = []
    /// Things the user may want to know, e.g. a shape that looks channels-last.
    public var notes: [String] = []

    /// Every example, the parts one after the other: training, validation, test.
    public var all: Dataset {
        [validation, test].compactMap { $0 }.reduce(train) { Dataset.concatenated($0, $1) }
    }

    /// The parts' names and sizes, e.g. "60000 training and 10000 test examples".
    public var sizes: String {
        let parts = [("training", train as Dataset?), ("validation", validation), ("test", test)]
            .compactMap { name, part in part.flatMap { $0.count > 0 ? "\($0.count) \(name)" : nil } }
        return parts.isEmpty ? "no examples" : parts.joined(separator: ", ") + " examples"
    }
}

/// Where each split of a run came from, in words (printed by `nabla train`, kept in `config.json`).
public struct SplitOrigins: Codable, Equatable, Sendable {
    public var train: String
    public var validation: String
    public var test: String
    /// What else the user should know about the data: skipped images, a layout that looks wrong.
    public var notes: [String]

    public init(train: String, validation: String, test: String, notes: [String] = []) {
        self.train = train; self.validation = validation; self.test = test; self.notes = notes
    }

    /// One line per split, then the notes, each indented: what `nabla train` prints.
    public var lines: [String] {
        ["  train: \(train)", "  validation: \(validation)", "  test: \(test)"] + notes.map { "  note: \($0)" }
    }
}

extension DataRecipe {
    /// A data set split three ways and normalized, with the preprocessor that did it.
    public struct Loaded {
        public var splits: DataSplits
        /// Fitted on the training split (or the one passed to `load(seed:fitted:)`).
        public var preprocessor: Preprocessor
        /// Whether the raw values are image bytes (0–255).
        public var isImageBytes: Bool
        /// Where each split came from.
        public var origins: SplitOrigins
    }

    /// The data set split into training, validation and test examples, and normalized by a
    /// preprocessor fitted on the training split, or by `fitted` (a run's saved one) when given.
    /// `seed` draws the random splits unless `splitSeed` is set.
    public func load(seed: UInt64, fitted: Preprocessor? = nil) throws -> Loaded {
        let (raw, origins, isImageBytes) = try splits(seed: seed)
        var splits = raw
        if let fitted, fitted.exampleShape != splits.train.exampleShape {
            throw DataError(file: source, "examples of shape \(splits.train.exampleShape), but the run's preprocessing was fitted on \(fitted.exampleShape)")
        }
        let preprocessor = try fitted ?? Preprocessor.fit(preprocess, scale: scaleFactor(isImageBytes: isImageBytes, exampleShape: splits.train.exampleShape),
                                                         on: splits.train)
        for keyPath in [\DataSplits.train, \DataSplits.validation, \DataSplits.test] where splits[keyPath: keyPath].count > 0 {
            splits[keyPath: keyPath] = splits[keyPath: keyPath].preprocessed(by: preprocessor)
        }
        return Loaded(splits: splits, preprocessor: preprocessor, isImageBytes: isImageBytes, origins: origins)
    }

    /// The raw splits (not normalized), where each came from, and whether the values are image bytes.
    ///
    /// The data set's own test (and validation) files are those splits; the rest are drawn at
    /// random from the training files, seeded by `splitSeed ?? seed`. An explicit `test` draws the
    /// test split from the training files too.
    public func splits(seed: UInt64) throws -> (DataSplits, origins: SplitOrigins, isImageBytes: Bool) {
        try validate()
        let parts = try loadParts()
        let seed = splitSeed ?? seed
        let drawn = "drawn at random from the \(poolsTestFiles ? "pooled" : "training") files (split seed \(seed))"
        let (pool, poolName, ownValidation, ownTest, testAmount) = sources(of: parts)
        guard pool.count > 0 else {
            throw DataError(file: source, "no training examples (\(parts.sizes)): train on a data set with training files, "
                            + "or evaluate a run on this one")
        }
        let valCount = ownValidation == nil ? Splits.size(validation, of: pool.count) : 0
        let testCount = Splits.size(testAmount, of: pool.count)
        guard ownValidation != nil || valCount > 0 else {
            throw SettingError(field: "data.validation", "\(validation) leaves no validation examples")
        }
        guard valCount + testCount < pool.count else {
            throw SettingError(field: "data.validation", "\(validation) and a test split of \(testAmount) leave no training examples out of \(pool.count)")
        }
        var splits = pool.split(validation: Double(valCount), test: Double(testCount), stratified: stratify, seed: seed)
        if let ownValidation { splits.validation = ownValidation }
        if let ownTest { splits.test = ownTest }
        let origins = SplitOrigins(
            train: "\(splits.train.count) of \(poolName)",
            validation: ownValidation.map { "the data set's \($0.count) validation files" } ?? "\(valCount) \(drawn)",
            test: ownTest.map { "the data set's \($0.count) test files" }
                ?? (testCount == 0 ? "none" : "\(testCount) \(drawn)" + (parts.test != nil && !poolsTestFiles ? "; its own test files are not used" : "")),
            notes: parts.notes + skippedNote(parts.skipped))
        return (splits, origins, parts.isImageBytes)
    }

    /// The examples cross-validation cuts into folds: the training (and own validation) files, less
    /// the test split (drawn as `splits(seed:)` draws it), with where the test examples came from.
    public func crossValidationPool(seed: UInt64) throws -> (Dataset, heldOut: String, isImageBytes: Bool) {
        try validate()
        let parts = try loadParts()
        let (pool, _, ownValidation, ownTest, testAmount) = sources(of: parts)
        if let ownTest {
            return (ownValidation.map { Dataset.concatenated(pool, $0) } ?? pool, "the data set's \(ownTest.count) test files held out",
                    parts.isImageBytes)
        }
        let testCount = Splits.size(testAmount, of: pool.count)
        guard testCount < pool.count else {
            throw SettingError(field: "data.test", "\(testAmount) leaves no examples for cross-validation out of \(pool.count)")
        }
        let rest = pool.split(validation: 0, test: Double(testCount), stratified: stratify, seed: splitSeed ?? seed).train
        return (rest, "\(testCount) held out for testing", parts.isImageBytes)
    }

    /// The pool the random splits are drawn from (with its name), the parts that come as files, and
    /// how much of the pool the test split takes (0 when the data set's own test files are it).
    private func sources(of parts: DataParts)
        -> (pool: Dataset, poolName: String, ownValidation: Dataset?, ownTest: Dataset?, testAmount: Double) {
        if poolsTestFiles {
            let all = parts.all
            return (all, "all \(all.count) files (training and test pooled, as runs before version 3 did)", nil, nil, test ?? Self.defaultTest)
        }
        let ownTest = test == nil ? parts.test : nil
        return (parts.train, "the \(parts.train.count) training files", parts.validation, ownTest, test ?? (ownTest == nil ? Self.defaultTest : 0))
    }

    /// The images skipped as unreadable, in one note (the first few named).
    private func skippedNote(_ skipped: [String]) -> [String] {
        guard !skipped.isEmpty else { return [] }
        let shown = skipped.prefix(5).joined(separator: "; ")
        return ["skipped \(skipped.count) unreadable image\(skipped.count == 1 ? "" : "s"): \(shown)\(skipped.count > 5 ? "; …" : "")"]
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

    /// The whole data set, every part together, raw, and whether its values are image bytes.
    public func loadDataset() throws -> (Dataset, isImageBytes: Bool) {
        let parts = try loadParts()
        return (parts.all, parts.isImageBytes)
    }
}
