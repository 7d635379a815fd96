import Foundation

/// A whole training run as one typed value: data and splits, model, initialization, optimizer,
/// schedule, regularization, augmentation, seed and stopping. A run folder's `config.json` is this
/// recipe; the command line only turns flags into one.
///
/// ```swift
/// var recipe = TrainingRecipe()
/// recipe.model = "linear(100), relu, linear(10)"
/// recipe.optimizer = OptimizerRecipe(.adam, learningRate: 1e-3)
/// let splits = try recipe.loadData()          // fills in inputShape, classNames, preprocessor
/// let trainer = try recipe.makeTrainer()
/// try trainer.fit(train: splits.train, validation: splits.validation)
/// ```
public struct TrainingRecipe: Codable, Equatable {
    /// The format of `config.json`: 2 since the recipe, 3 since weight decay applies to every update
    /// rule and a data set's own test files are its test split; files without a version are
    /// version 1. Older files are migrated as they are read.
    public var version = TrainingRecipe.currentVersion
    public static let currentVersion = 3

    /// Where the data comes from, its splits and normalization.
    public var data = DataRecipe()
    /// The network, as `ModelSpec` text (`linear(100), relu, linear(10)`) or a JSON file holding it.
    public var model = "linear(100), relu, linear(10)"
    /// The weight initialization of every layer, or nil for each layer's own.
    public var initializer: Initializer?
    /// The update rule and its settings.
    public var optimizer = OptimizerRecipe()
    /// The learning rate of each epoch (or step), scaling `optimizer.learningRate`.
    public var schedule: LearningRateSchedule = .constant
    /// Reduce-on-plateau instead of `schedule`, when set.
    public var plateau: PlateauRecipe?
    /// L2 strength λ in `L = data loss + λ Σ w²` (weights, not biases). Decoupled weight decay,
    /// which the update rule does not rescale, is `optimizer.weightDecay`.
    public var regularization = 0.0
    /// Label smoothing ε of the softmax cross-entropy, in `[0, 1)` (0: none).
    public var labelSmoothing = 0.0
    /// Gradients are scaled down to this global L2 norm when above it (nil: no clipping).
    public var clipGradientNorm: Double?
    /// Stop when the validation accuracy first reaches this (DAWNBench's time-to-accuracy).
    public var targetAccuracy: Double?
    /// Passes over the training set.
    public var epochs = 10
    /// Examples per step.
    public var batchSize = 100
    /// The whole training set as one batch each epoch (the lectures' `sample_batches = False`).
    public var fullBatch = false
    /// Random flips and crops of training images.
    public var augmentation = Augmentation()
    /// The seed of the splits, the weights and the batch order.
    public var seed: UInt64 = 1
    /// Stop when a metric stops improving.
    public var earlyStopping: EarlyStoppingRecipe?
    /// How often a run folder's checkpoint is written within an epoch (besides after every epoch
    /// and at a stop): at most this much work is lost to a kill.
    public var checkpointEvery: CheckpointInterval? = .seconds(300)
    /// Batch norm's statistics when the run is shared by several ranks (`mpirun -np N`): the global
    /// batch's (the default, the same numbers as one process) or each rank's own.
    public var batchNormStatistics = BatchNormStatistics.global

    /// One example's shape, as found in the data (filled in by `loadData()`).
    public var inputShape: [Int] = []
    /// The class names, as found in the data (filled in by `loadData()`).
    public var classNames: [String] = []
    /// The input normalization fitted on the training split (filled in by `loadData()`).
    public var preprocessor: Preprocessor?
    /// Where each split came from (filled in by `loadData()`).
    public var splits: SplitOrigins?

    public init() {}

    /// Checks every setting that needs no data, so that a bad one is refused before anything runs.
    /// - Throws: `SettingError` naming the field, or `OptimizerError`/`ModelSpecError`.
    public func validate() throws {
        try data.validate()
        guard epochs >= 1 else { throw SettingError(field: "epochs", "must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw SettingError(field: "batchSize", "must be at least 1, got \(batchSize)") }
        guard regularization.isFinite, regularization >= 0 else {
            throw SettingError(field: "regularization", "must be a number ≥ 0, got \(regularization)")
        }
        guard augmentation.cropPadding >= 0 else { throw SettingError(field: "augmentation", "crop padding must be ≥ 0") }
        guard labelSmoothing.isFinite, labelSmoothing >= 0, labelSmoothing < 1 else {
            throw SettingError(field: "labelSmoothing", "must be in [0, 1), got \(labelSmoothing)")
        }
        if let norm = clipGradientNorm, !(norm.isFinite && norm > 0) {
            throw SettingError(field: "clipGradientNorm", "must be a positive number, got \(norm)")
        }
        if let target = targetAccuracy, !(target > 0 && target <= 1) {
            throw SettingError(field: "targetAccuracy", "must be a validation accuracy in (0, 1], got \(target)")
        }
        try optimizer.validate()
        do { try schedule.validate() } catch let error as OptimizerError { throw SettingError(field: "schedule", error.description) }
        try plateau?.validate()
        try earlyStopping?.validate()
        if case .steps(let n) = checkpointEvery, n < 1 { throw SettingError(field: "checkpointEvery", "must be at least 1 step, got \(n)") }
        if case .seconds(let s) = checkpointEvery, !(s.isFinite && s > 0) {
            throw SettingError(field: "checkpointEvery", "must be a positive duration, got \(s) s")
        }
        _ = try modelSpec()
    }

    /// The model spec, parsed from its text or from the JSON file `model` names.
    public func modelSpec() throws -> ModelSpec {
        guard model.hasSuffix(".json") else { return try ModelSpec.parse(model) }
        guard let contents = try? String(contentsOfFile: model, encoding: .utf8) else {
            throw DataError(file: model, "cannot read the model file")
        }
        return try ModelSpec.parse(contents)
    }

    /// Loads the data, splits it (seeded by `data.splitSeed ?? seed`) and normalizes it, and records
    /// the example shape, the class names, the fitted preprocessor and the splits' origins in this recipe.
    @discardableResult
    public mutating func loadData() throws -> DataSplits {
        let loaded = try data.load(seed: seed)
        inputShape = loaded.splits.train.exampleShape
        classNames = loaded.splits.train.classNames
        preprocessor = loaded.preprocessor
        splits = loaded.origins
        return loaded.splits
    }

    /// The data as this run saw it: the same splits, normalized by the run's saved preprocessor.
    public func reloadData() throws -> DataSplits {
        try data.load(seed: seed, fitted: preprocessor).splits
    }

    /// A fresh model for the data's shape and classes, initialized from `seed`.
    /// - Throws: if the data is not loaded yet, or the model does not fit it.
    public func makeModel() throws -> (model: Sequential, summary: [LayerSummary]) {
        guard !inputShape.isEmpty, !classNames.isEmpty else {
            throw SettingError(field: "data", "not loaded yet: call loadData() before makeModel()")
        }
        var generator = RandomGenerator(seed: seed)
        // The memory check counts one training batch's activations and gradients.
        return try modelSpec().build(inputShape: inputShape, classCount: classNames.count, initializer: initializer,
                                     batchSize: batchSize, generator: &generator)
    }

    /// The trainer's loop options.
    public func trainerOptions(verbose: Bool = true) -> TrainerOptions {
        var options = TrainerOptions()
        options.augmentation = augmentation
        options.epochs = epochs
        options.batchSize = batchSize
        options.sampleBatches = !fullBatch
        options.learningRate = optimizer.learningRate
        options.schedule = schedule
        options.regularization = regularization
        options.loss = labelSmoothing > 0 ? .labelSmoothedCrossEntropy(smoothing: labelSmoothing) : .softmaxCrossEntropy
        options.maxGradientNorm = clipGradientNorm
        options.batchNormStatistics = batchNormStatistics
        options.seed = seed
        options.verbose = verbose
        return options
    }

    /// A trainer for `model` (a fresh one from `makeModel()` when nil), with this recipe's
    /// optimizer, options and callbacks (reduce-on-plateau, early stopping, the target accuracy).
    public func makeTrainer(model: (any Module)? = nil, verbose: Bool = true) throws -> Trainer {
        let network = try model ?? makeModel().model
        let trainer = Trainer(model: network, optimizer: try optimizer.make(for: network.parameters()),
                              options: trainerOptions(verbose: verbose))
        if let plateau { trainer.callbacks.append(try plateau.make(base: optimizer.learningRate)) }
        if let earlyStopping { trainer.callbacks.append(earlyStopping.make()) }
        if let targetAccuracy { trainer.callbacks.append(TargetAccuracy(targetAccuracy)) }
        return trainer
    }
}

/// Early stopping as a recipe saves it.
public struct EarlyStoppingRecipe: Codable, Equatable, Sendable {
    /// The metric watched: `val_acc`, `val_loss`, `train_acc` or `loss`.
    public var metric: String
    /// Epochs without improvement before stopping.
    public var patience: Int

    public init(metric: String, patience: Int = 5) {
        self.metric = metric
        self.patience = patience
    }

    /// The metrics every epoch records.
    public static let metrics = ["val_acc", "val_loss", "train_acc", "loss"]

    public func validate() throws {
        guard EarlyStoppingRecipe.metrics.contains(metric) else {
            throw SettingError(field: "earlyStopping.metric", "unknown metric '\(metric)'; choose one of: \(EarlyStoppingRecipe.metrics.joined(separator: ", "))")
        }
        guard patience >= 1 else { throw SettingError(field: "earlyStopping.patience", "must be at least 1, got \(patience)") }
    }

    public func make() -> EarlyStopping { EarlyStopping(metric: metric, patience: patience) }
}
