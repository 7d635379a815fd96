import Foundation

/// Reading `config.json`: the recipe's fields, each optional (a missing one keeps its default, so a
/// hand-written recipe names only what it changes), and the flat format of version 1 (before the
/// recipe), migrated on read so that old run folders still evaluate, resume and report.
extension TrainingRecipe {
    enum CodingKeys: String, CodingKey {
        case version, data, model, initializer, optimizer, schedule, plateau, regularization, epochs, batchSize, fullBatch
        case augmentation, seed, earlyStopping, checkpointEvery, inputShape, classNames, preprocessor, splits
        case labelSmoothing, clipGradientNorm, targetAccuracy, batchNormStatistics
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.version) else {
            self = try LegacyRunConfig(from: decoder).recipe
            return
        }
        version = try c.decode(Int.self, forKey: .version)
        guard version <= TrainingRecipe.currentVersion else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c, debugDescription:
                "version \(version) is newer than this nabla reads (\(TrainingRecipe.currentVersion)): update nabla")
        }
        data = try c.decodeIfPresent(DataRecipe.self, forKey: .data) ?? data
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? model
        initializer = try c.decodeIfPresent(Initializer.self, forKey: .initializer)
        optimizer = try c.decodeIfPresent(OptimizerRecipe.self, forKey: .optimizer) ?? optimizer
        // Before version 3 only adamw used the weight decay (and every file held adamw's default).
        if version < 3 && optimizer.kind != .adamw { optimizer.weightDecay = nil }
        schedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? schedule
        plateau = try c.decodeIfPresent(PlateauRecipe.self, forKey: .plateau)
        regularization = try c.decodeIfPresent(Double.self, forKey: .regularization) ?? regularization
        labelSmoothing = try c.decodeIfPresent(Double.self, forKey: .labelSmoothing) ?? labelSmoothing
        clipGradientNorm = try c.decodeIfPresent(Double.self, forKey: .clipGradientNorm)
        targetAccuracy = try c.decodeIfPresent(Double.self, forKey: .targetAccuracy)
        batchNormStatistics = try c.decodeIfPresent(BatchNormStatistics.self, forKey: .batchNormStatistics) ?? batchNormStatistics
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        fullBatch = try c.decodeIfPresent(Bool.self, forKey: .fullBatch) ?? fullBatch
        augmentation = try c.decodeIfPresent(Augmentation.self, forKey: .augmentation) ?? augmentation
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        earlyStopping = try c.decodeIfPresent(EarlyStoppingRecipe.self, forKey: .earlyStopping)
        if c.contains(.checkpointEvery) { checkpointEvery = try c.decodeIfPresent(CheckpointInterval.self, forKey: .checkpointEvery) }
        inputShape = try c.decodeIfPresent([Int].self, forKey: .inputShape) ?? []
        classNames = try c.decodeIfPresent([String].self, forKey: .classNames) ?? []
        preprocessor = try c.decodeIfPresent(Preprocessor.self, forKey: .preprocessor)
        splits = try c.decodeIfPresent(SplitOrigins.self, forKey: .splits)
        // Before version 3 a folder's test files joined its training files in one pool.
        if version < 3 { data.poolsTestFiles = true }
        version = TrainingRecipe.currentVersion   // migrated: it is now a recipe of this version
    }

    /// The recipe as pretty, key-sorted JSON (the form of `config.json`).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads a recipe file (`config.json` of a run, or one written by hand).
    /// - Throws: `DataError` naming the file and what is wrong with it.
    public static func read(_ path: String) throws -> TrainingRecipe {
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, "cannot read the recipe file")
        }
        do {
            return try JSONDecoder().decode(TrainingRecipe.self, from: contents)
        } catch let error as DecodingError {
            throw DataError(file: path, "not a valid training recipe (\(DecodingError.summary(error)))")
        } catch {
            throw DataError(file: path, "not a valid training recipe (\(error))")
        }
    }
}

extension DecodingError {
    /// One line saying what is wrong and where, without Swift type names.
    static func summary(_ error: DecodingError) -> String {
        func path(_ context: Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong kind of value\(path(context))"
        case .dataCorrupted(let context): return context.debugDescription + path(context)
        @unknown default: return "malformed"
        }
    }
}

/// `config.json` as version 1 wrote it: every setting a flat field, as the command line gave it.
private struct LegacyRunConfig: Decodable {
    var data: String
    var labelColumn: String
    var labels: String?
    var validation: Double
    var test: Double
    var stratify: Bool
    var seed: UInt64
    var preprocess: String
    var scale: String
    var model: String
    var initializer: String?
    var inputShape: [Int]
    var classNames: [String]
    var preprocessor: Preprocessor
    var epochs: Int
    var batchSize: Int
    var fullBatch: Bool
    var optimizer: String
    var learningRate: Double
    var learningRateDecay: Double
    var momentum: Double
    var regularization: Double
    var weightDecay: Double
    var earlyStopping: String?
    var patience: Int
    var augment: String?

    var recipe: TrainingRecipe {
        get throws {
            var r = TrainingRecipe()
            r.data = DataRecipe(source: data, labels: labels, labelColumn: labelColumn, validation: validation, test: test,
                                stratify: stratify, preprocess: Preprocessor.Method(rawValue: preprocess) ?? .none,
                                scale: try InputScale(parsing: scale))
            r.data.poolsTestFiles = true
            r.model = model
            r.initializer = try initializer.map(Initializer.init(parsing:))
            r.inputShape = inputShape
            r.classNames = classNames
            r.preprocessor = preprocessor
            r.epochs = epochs
            r.batchSize = batchSize
            r.fullBatch = fullBatch
            r.optimizer = OptimizerRecipe(try .init(parsing: optimizer), learningRate: learningRate,
                                          momentum: momentum, weightDecay: optimizer == "adamw" ? weightDecay : nil)
            r.schedule = learningRateDecay == 1 ? .constant : .multiplicative(decay: learningRateDecay)
            r.regularization = regularization
            r.seed = seed
            r.earlyStopping = earlyStopping.map { EarlyStoppingRecipe(metric: $0, patience: patience) }
            r.augmentation = try augment.map(Augmentation.init(parsing:)) ?? Augmentation()
            return r
        }
    }
}
