import ArgumentParser
import Foundation
import Nabla

/// The options of a training recipe — data, model, optimizer, schedule, regularization, early
/// stopping — shared by `train` and `crossval`.
struct TrainingOptionsGroup: ParsableArguments {
    @OptionGroup var dataOptions: DataOptions

    @Option(help: "The network, e.g. \"linear(100), relu, linear(10)\", or a JSON file holding it.")
    var model: String = "linear(100), relu, linear(10)"

    @Option(help: "Passes over the training set (default 10; with --resume, the new total).")
    var epochs: Int?

    @Option(help: "Examples per step.")
    var batchSize: Int = 100

    @Flag(help: "Use the whole training set as one batch each epoch (the lectures' sample_batches = False).")
    var fullBatch = false

    @Option(help: "Augment training images each epoch: flip, crop:PIXELS (random shifts with zero padding), or both (flip,crop:4).")
    var augment: String?

    @Option(help: "Update rule: \(optimizerNames.joined(separator: ", ")).")
    var optimizer: String = "momentum"

    @Option(parsing: .unconditional, help: "Learning rate.")
    var lr: Double = 0.05

    @Option(parsing: .unconditional, help: "Multiply the learning rate by this after every epoch (the lectures' learning_rate_decay).")
    var lrDecay: Double = 1

    @Option(parsing: .unconditional, help: "Momentum of momentum and nesterov.")
    var momentum: Double = 0.9

    @Option(parsing: .unconditional, help: "L2 regularization strength λ (loss + λ Σ w²).")
    var reg: Double = 0

    @Option(parsing: .unconditional, help: "Decoupled weight decay of adamw.")
    var weightDecay: Double = 0.01

    @Option(help: "Weight initialization: xavier, he, gaussian:0.01, uniform:0.1, xavier-uniform, he-uniform (default: each layer's own).")
    var `init`: String?

    @Option(help: "Stop when this metric stops improving: val_acc, val_loss, train_acc, loss.")
    var earlyStopping: String?

    @Option(help: "Epochs without improvement before early stopping.")
    var patience: Int = 5

    /// These options as a run configuration (the data-dependent fields filled in later).
    func makeConfig() -> RunConfig {
        var config = RunConfig(data: dataOptions.data, labelColumn: dataOptions.labelColumn, labels: dataOptions.labels,
                  validation: dataOptions.val, test: dataOptions.test, stratify: dataOptions.stratify, seed: dataOptions.seed,
                  preprocess: dataOptions.preprocess, scale: dataOptions.scale, model: model, initializer: `init`,
                  inputShape: [], classNames: [], preprocessor: .fit(.none, on: .zeros([1, 1])),
                  epochs: epochs ?? 10, batchSize: batchSize, fullBatch: fullBatch, optimizer: optimizer,
                  learningRate: lr, learningRateDecay: lrDecay, momentum: momentum, regularization: reg,
                  weightDecay: weightDecay, earlyStopping: earlyStopping, patience: patience)
        config.augment = augment
        return config
    }
}

extension RunConfig {
    /// Checks the settings that no later step checks with a clear message.
    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard learningRateDecay > 0 else { throw ValidationError("--lr-decay must be positive, got \(learningRateDecay)") }
        _ = try augmentation()
    }

    /// The data options this run was made with.
    var dataOptions: DataOptions {
        get throws {
            var data = try DataOptions.parse([])
            data.data = self.data; data.labelColumn = labelColumn; data.labels = labels
            data.val = validation; data.test = test; data.stratify = stratify; data.seed = seed
            data.preprocess = preprocess; data.scale = scale
            return data
        }
    }

    /// The model, parsed from its text or from the JSON file it names.
    func modelSpec() throws -> ModelSpec { try loadModelSpec(model) }

    /// The augmentation `--augment` asks for (none without it).
    func augmentation() throws -> Augmentation {
        do {
            return try augment.map(Augmentation.init(parsing:)) ?? Augmentation()
        } catch let error as DataError {
            throw ValidationError(error.description)
        }
    }

    /// The optimizer for `model`'s parameters.
    func buildOptimizer(for model: any Module) throws -> any Optimizer {
        try makeOptimizer(optimizer, parameters: model.parameters(), learningRate: learningRate,
                                    momentum: momentum, weightDecay: weightDecay)
    }

    /// The trainer's options.
    func trainerOptions(verbose: Bool) throws -> TrainerOptions {
        var options = TrainerOptions()
        options.augmentation = try augmentation()
        options.epochs = epochs
        options.batchSize = batchSize
        options.sampleBatches = !fullBatch
        options.learningRate = learningRate
        options.schedule = learningRateDecay == 1 ? .constant : .multiplicative(decay: learningRateDecay)
        options.regularization = regularization
        options.seed = seed
        options.verbose = verbose
        return options
    }

    /// Fresh callbacks for the run's options (early stopping).
    func makeCallbacks() -> [any TrainingCallback] {
        earlyStopping.map { [EarlyStopping(metric: $0, patience: patience)] } ?? []
    }
}

extension RunConfig {
    /// The preprocessing method and input scale these options ask for (`--scale auto` is 1/255 for
    /// image bytes, else 1), checked against one example's shape.
    func preprocessing(isImageBytes: Bool, exampleShape: [Int]) throws -> (method: Preprocessor.Method, scale: Double) {
        try dataOptions.preprocessing(isImageBytes: isImageBytes, exampleShape: exampleShape)
    }
}

/// A user error of the newer subcommands, printed as one line by `reportingErrors`.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A model spec given as text or as the path of a JSON file holding it (`--model net.json`).
func loadModelSpec(_ model: String) throws -> ModelSpec {
    guard model.hasSuffix(".json") else { return try ModelSpec.parse(model) }
    guard let contents = try? String(contentsOfFile: model, encoding: .utf8) else {
        throw DataError(file: model, "cannot read the model file")
    }
    return try ModelSpec.parse(contents)
}
