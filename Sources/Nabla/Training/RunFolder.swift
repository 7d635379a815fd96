import Foundation

/// The files of a run folder: `config.json`, `best.safetensors`, `last.safetensors`,
/// `checkpoint.safetensors` (and `checkpoint.previous.safetensors`, the one before it), `history.csv`, `steps.csv`, `update_ratios.csv`, `train.log`.
public enum RunFolder {
    public static func configPath(_ folder: String) -> String { folder + "/config.json" }

    /// Reads `config.json`.
    public static func readConfig(_ folder: String) throws -> TrainingRecipe {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw NotARunFolder(folder: folder, reason: "no such directory")
        }
        let path = configPath(folder)
        guard FileManager.default.fileExists(atPath: path) else {
            throw NotARunFolder(folder: folder, reason: "\(path) is missing")
        }
        return try TrainingRecipe.read(path)
    }

    /// Writes `config.json` atomically.
    public static func writeConfig(_ recipe: TrainingRecipe, to folder: String) throws {
        try AtomicFile.write(recipe.json(), to: configPath(folder))
    }

    /// Rebuilds the run's model and loads its weights (`best.safetensors` unless another file is named).
    public static func loadModel(_ folder: String, weights: String = "best.safetensors") throws -> (model: Sequential, config: TrainingRecipe) {
        let config = try readConfig(folder)
        let (model, _) = try config.makeModel()
        try model.load(from: folder + "/" + weights)
        model.eval()
        return (model, config)
    }
}

/// A folder that `RunFolder` cannot read as a run: it does not exist, or has no `config.json`.
public struct NotARunFolder: Error, CustomStringConvertible {
    public let folder: String
    public let reason: String

    public var description: String { "\(folder) is not a run folder: \(reason)" }
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
    private var lastStepWrite = Date.distantPast

    public init(folder: String, stepWriteInterval: Double = 2) {
        self.folder = folder
        self.stepWriteInterval = stepWriteInterval
    }

    public func trainingWillBegin(_ state: TrainingState) throws { try writeAll(state.history) }

    public func batchDidEnd(_ state: TrainingState, loss: Double) throws {
        guard Date().timeIntervalSince(lastStepWrite) >= stepWriteInterval else { return }
        try writeSteps(state.history)
    }

    public func epochDidSettle(_ state: TrainingState) throws { try writeAll(state.history) }

    public func trainingDidEnd(_ state: TrainingState) throws { try writeAll(state.history) }

    private func writeSteps(_ history: History) throws {
        try AtomicFile.write(Data(history.stepCSV.utf8), to: folder + "/steps.csv")
        lastStepWrite = Date()
    }

    private func writeAll(_ history: History) throws {
        try AtomicFile.write(Data(history.epochCSV.utf8), to: folder + "/history.csv")
        try AtomicFile.write(Data(history.updateRatioCSV.utf8), to: folder + "/update_ratios.csv")
        try writeSteps(history)
    }
}
