import Foundation

/// Everything `nabla train` was asked to do, saved as `config.json` in the run folder, so that a run
/// can be resumed, evaluated and used for prediction without repeating its options.
public struct RunConfig: Codable, Equatable {
    // Data
    public var data: String
    public var labelColumn: String
    public var labels: String?
    public var validation: Double
    public var test: Double
    public var stratify: Bool
    public var seed: UInt64
    public var preprocess: String
    public var scale: String
    // Model
    public var model: String
    public var initializer: String?
    /// One example's shape and the classes, as found in the data.
    public var inputShape: [Int]
    public var classNames: [String]
    /// The input normalization fitted on the training split.
    public var preprocessor: Preprocessor
    // Optimization
    public var epochs: Int
    public var batchSize: Int
    public var fullBatch: Bool
    public var optimizer: String
    public var learningRate: Double
    public var learningRateDecay: Double
    public var momentum: Double
    public var regularization: Double
    public var weightDecay: Double
    public var earlyStopping: String?
    public var patience: Int
    /// How training images are augmented, as `--augment` takes it (`flip`, `crop:4`, `flip,crop:4`);
    /// nil for none. Optional so that configs written before it existed still load.
    public var augment: String? = nil

    public init(data: String, labelColumn: String, labels: String?, validation: Double, test: Double, stratify: Bool,
                seed: UInt64, preprocess: String, scale: String, model: String, initializer: String?, inputShape: [Int],
                classNames: [String], preprocessor: Preprocessor, epochs: Int, batchSize: Int, fullBatch: Bool,
                optimizer: String, learningRate: Double, learningRateDecay: Double, momentum: Double,
                regularization: Double, weightDecay: Double, earlyStopping: String?, patience: Int) {
        self.data = data; self.labelColumn = labelColumn; self.labels = labels; self.validation = validation
        self.test = test; self.stratify = stratify; self.seed = seed; self.preprocess = preprocess; self.scale = scale
        self.model = model; self.initializer = initializer; self.inputShape = inputShape; self.classNames = classNames
        self.preprocessor = preprocessor; self.epochs = epochs; self.batchSize = batchSize; self.fullBatch = fullBatch
        self.optimizer = optimizer; self.learningRate = learningRate; self.learningRateDecay = learningRateDecay
        self.momentum = momentum; self.regularization = regularization; self.weightDecay = weightDecay
        self.earlyStopping = earlyStopping; self.patience = patience
    }
}

/// The files of a run folder: `config.json`, `best.safetensors`, `last.safetensors`,
/// `checkpoint.safetensors`, `history.csv`, `steps.csv`, `update_ratios.csv`, `train.log`.
public enum RunFolder {
    public static func configPath(_ folder: String) -> String { folder + "/config.json" }

    /// Reads `config.json`.
    public static func readConfig(_ folder: String) throws -> RunConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainingError("\(folder) is not a run folder: no such directory (runs are made by nabla train --out DIR)")
        }
        let path = configPath(folder)
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError("\(folder) is not a run folder: \(path) is missing (runs are made by nabla train --out DIR)")
        }
        do {
            return try JSONDecoder().decode(RunConfig.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw TrainingError("\(path): not a valid run configuration (\(error))")
        }
    }

    /// Writes `config.json` atomically.
    public static func writeConfig(_ config: RunConfig, to folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(config), to: configPath(folder))
    }

    /// Rebuilds the run's model and loads its weights (`best.safetensors` unless another file is named).
    public static func loadModel(_ folder: String, weights: String = "best.safetensors") throws -> (model: Sequential, config: RunConfig) {
        let config = try readConfig(folder)
        var g = RandomGenerator(seed: config.seed)
        let (model, _) = try ModelSpec.parse(config.model).build(inputShape: config.inputShape,
                                                                  classCount: config.classNames.count, generator: &g)
        try model.load(from: folder + "/" + weights)
        model.eval()
        return (model, config)
    }
}

/// Writes the run's record into its folder — `history.csv` (per epoch), `steps.csv` (per step) and
/// `update_ratios.csv` (per epoch, per parameter) — so that `nabla plot` and `nabla report` work on
/// a run in progress and on one that stopped.
///
/// The files are written when training begins (a run that diverges at its first step still has
/// them), after every epoch, when training ends for any reason (divergence, early stopping,
/// Ctrl-C: the steps of the unfinished epoch are kept), and, during an epoch, `steps.csv` again
/// whenever `stepWriteInterval` seconds have passed since it was last written. Rewriting the whole
/// file is what makes each write atomic; the interval keeps that cost away from every step.
public final class RunRecorder: TrainingCallback {
    public let folder: String
    /// Seconds between writes of `steps.csv` within an epoch (0: after every step).
    public var stepWriteInterval: Double
    private unowned let trainer: Trainer
    private var lastStepWrite = Date.distantPast

    public init(folder: String, trainer: Trainer, stepWriteInterval: Double = 2) {
        self.folder = folder
        self.trainer = trainer
        self.stepWriteInterval = stepWriteInterval
    }

    public func trainingWillBegin(_ state: TrainingState) throws { try writeAll() }

    public func batchDidEnd(_ state: TrainingState, loss: Double) throws {
        guard Date().timeIntervalSince(lastStepWrite) >= stepWriteInterval else { return }
        try writeSteps()
    }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws { try writeAll() }

    public func trainingDidEnd(_ state: TrainingState) throws { try writeAll() }

    private func writeSteps() throws {
        try AtomicFile.write(Data(trainer.history.stepCSV.utf8), to: folder + "/steps.csv")
        lastStepWrite = Date()
    }

    private func writeAll() throws {
        try AtomicFile.write(Data(trainer.history.epochCSV.utf8), to: folder + "/history.csv")
        try AtomicFile.write(Data(trainer.history.updateRatioCSV.utf8), to: folder + "/update_ratios.csv")
        try writeSteps()
    }
}
