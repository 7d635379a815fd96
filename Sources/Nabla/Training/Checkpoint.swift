import Foundation

/// What a checkpoint holds besides tensors: the run's position and every random state, so that a
/// resumed run computes exactly the numbers an uninterrupted one would.
public struct CheckpointInfo: Codable, Equatable {
    /// Epochs completed.
    public var epoch: Int
    /// Optimization steps taken.
    public var step: Int
    /// The trainer's batch-order generator.
    public var generator: RandomGenerator
    /// The mask generators of dropout layers, by module path.
    public var dropoutGenerators: [String: RandomGenerator]
    /// The best validation accuracy so far and its epoch.
    public var best: Double?
    public var bestEpoch: Int?
    /// The divergence guard's reference loss.
    public var initialLoss: Double?
    /// The per-epoch metrics so far.
    public var history: [[String: Double]]
    /// The state of callbacks that keep some (early stopping), by their `checkpointKey`.
    public var callbacks: [String: [String: Double]]
    /// Reduce-on-plateau's state, when used.
    public var plateau: ReduceOnPlateau?
    /// The per-epoch update-to-weight ratios so far (absent in checkpoints of older versions).
    public var updateRatios: [[String: Double]]?
}

/// A callback whose state belongs in a checkpoint.
public protocol CheckpointableCallback: TrainingCallback {
    /// A name unique among the run's callbacks.
    var checkpointKey: String { get }
    func checkpointState() -> [String: Double]
    func restore(checkpointState: [String: Double])
}

extension EarlyStopping: CheckpointableCallback {
    public var checkpointKey: String { "early_stopping" }
    public func checkpointState() -> [String: Double] {
        var s = ["wait": Double(epochsWithoutImprovement)]
        if let best { s["best"] = best }
        return s
    }
    public func restore(checkpointState s: [String: Double]) {
        restore(best: s["best"], epochsWithoutImprovement: Int(s["wait"] ?? 0))
    }
}

extension Module {
    /// This module and all its descendants with their dotted paths (`""` for this one), depth first.
    public func modules() -> [(path: String, module: any Module)] {
        var result: [(String, any Module)] = [("", self)]
        for (name, child) in children {
            result += child.modules().map { ($0.path.isEmpty ? name : "\(name).\($0.path)", $0.module) }
        }
        return result
    }
}

/// Writes the run folder's weights after every epoch, atomically: `last.safetensors` (the model
/// now), `best.safetensors` (the model at its best validation accuracy) and `checkpoint.safetensors`
/// (model, optimizer state, step losses and a `CheckpointInfo` in the metadata) from which
/// `Trainer.resume(from:)` continues exactly.
public final class Checkpointer: TrainingCallback {
    public let folder: String
    /// Extra metadata stored in every file (the run's configuration, say).
    public var metadata: [String: String]
    private unowned let trainer: Trainer

    public init(folder: String, trainer: Trainer, metadata: [String: String] = [:]) {
        self.folder = folder
        self.trainer = trainer
        self.metadata = metadata
    }

    public static let infoKey = "nabla.checkpoint"

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        let model = try state.model.stateTensors()
        var tensors: [String: Tensor] = [:]
        for (name, t) in model { tensors["model." + name] = t }
        for (name, t) in state.optimizer.state() { tensors["optimizer." + name] = t }
        tensors["history.step_losses"] = Tensor(trainer.history.stepLosses, shape: [trainer.history.stepLosses.count], dtype: .float64)

        var info = CheckpointInfo(
            epoch: state.epoch, step: state.step, generator: trainer.generator,
            dropoutGenerators: [:], best: trainer.bestModel.best, bestEpoch: trainer.bestModel.bestEpoch,
            initialLoss: trainer.divergenceGuard.initialLoss, history: trainer.history.epochs,
            callbacks: [:], plateau: trainer.plateau?.schedule,
            // JSON has no NaN: an undefined ratio is left out, and read back as missing.
            updateRatios: trainer.history.updateRatios.map { $0.filter { $0.value.isFinite } })
        for (path, module) in state.model.modules() {
            if let dropout = module as? Dropout { info.dropoutGenerators[path] = dropout.generator }
        }
        for case let c as any CheckpointableCallback in trainer.callbacks { info.callbacks[c.checkpointKey] = c.checkpointState() }
        var meta = metadata
        meta[Checkpointer.infoKey] = String(decoding: try JSONEncoder().encode(info), as: UTF8.self)
        meta["epoch"] = String(state.epoch)

        try Safetensors.write(tensors, metadata: meta, to: folder + "/checkpoint.safetensors")
        try Safetensors.write(model, metadata: metadata.merging(["epoch": String(state.epoch)]) { $1 }, to: folder + "/last.safetensors")
        if trainer.bestModel.bestEpoch == state.epoch {
            try Safetensors.write(model, metadata: metadata.merging(["epoch": String(state.epoch)]) { $1 }, to: folder + "/best.safetensors")
        }
    }
}

extension Trainer {
    /// Restores a checkpoint written by `Checkpointer` into this trainer, its model and its
    /// optimizer (which must be built as for the original run); `fit` then continues with the next
    /// epoch. The best weights so far are read from `best.safetensors` beside the checkpoint.
    /// - Returns: the checkpoint's metadata.
    @discardableResult
    public func resume(from path: String) throws -> [String: String] {
        let (tensors, metadata) = try Safetensors.read(path)
        guard let json = metadata[Checkpointer.infoKey],
              let info = try? JSONDecoder().decode(CheckpointInfo.self, from: Data(json.utf8)) else {
            throw TrainingError("\(path): not a Nabla checkpoint (no valid '\(Checkpointer.infoKey)' metadata)")
        }
        var modelState: [String: Tensor] = [:], optimizerState: [String: Tensor] = [:]
        for (name, t) in tensors {
            if name.hasPrefix("model.") { modelState[String(name.dropFirst(6))] = t }
            if name.hasPrefix("optimizer.") { optimizerState[String(name.dropFirst(10))] = t }
        }
        try model.loadStateDict(modelState)
        try optimizer.load(state: optimizerState)
        generator = info.generator
        for (path, module) in model.modules() {
            if let dropout = module as? Dropout, let g = info.dropoutGenerators[path] { dropout.generator = g }
        }
        startEpoch = info.epoch
        startStep = info.step
        history.restore(epochs: info.history, stepLosses: tensors["history.step_losses"]?.doubles ?? [],
                        updateRatios: info.updateRatios ?? [])
        divergenceGuard.restore(initialLoss: info.initialLoss)
        let bestPath = (path as NSString).deletingLastPathComponent + "/best.safetensors"
        let bestWeights = FileManager.default.fileExists(atPath: bestPath) ? try Safetensors.read(bestPath).tensors : [:]
        bestModel.restore(best: info.best, epoch: info.bestEpoch, weights: bestWeights)
        reporter.restore(best: info.best)
        if let p = info.plateau, let metric = plateau?.metric { plateau = (p, metric) }
        for case let c as any CheckpointableCallback in callbacks {
            if let s = info.callbacks[c.checkpointKey] { c.restore(checkpointState: s) }
        }
        return metadata
    }
}
