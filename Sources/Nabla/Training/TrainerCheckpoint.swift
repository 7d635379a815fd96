import Foundation

/// Saving and resuming a whole run: the trainer's position, the model (weights, buffers and random
/// generators), the optimizer, the history and every `Checkpointable` callback, each under its key.
extension Trainer {
    /// Where the run is: epochs completed, steps taken, the generator of batch order and
    /// augmentation, and, within an epoch, how far it got.
    struct Position: Codable {
        var epoch: Int
        var step: Int
        var generator: RandomGenerator
        var inEpoch: EpochProgress?
    }

    /// An epoch in progress: its batches come again from `generator` (the state it began with), the
    /// first `steps` of them are done, and their losses summed to `lossSum`; with clipping, their
    /// gradient norms summed and the largest; the seconds it has run. (The last three are optional:
    /// checkpoints of older versions lack them.)
    struct EpochProgress: Codable {
        var steps: Int
        var generator: RandomGenerator
        var lossSum: Double
        var lastLoss: Double
        var gradientNormSum: Double?
        var gradientNormMax: Double?
        var seconds: Double?

        mutating func recordGradientNorm(_ norm: Double) {
            gradientNormSum = (gradientNormSum ?? 0) + norm
            gradientNormMax = Swift.max(gradientNormMax ?? norm, norm)
        }
    }

    public var checkpointKey: String { "trainer" }

    public func saveState() throws -> SavedState {
        try SavedState(Position(epoch: history.epochs.count, step: history.stepLosses.count, generator: generator,
                                inEpoch: progress.flatMap { $0.steps > 0 ? $0 : nil }))
    }

    public func restoreState(_ state: SavedState) throws {
        let position = try state.decode(Position.self)
        startEpoch = position.epoch
        startStep = position.step
        generator = position.generator
        progress = position.inEpoch
    }

    /// Every part of the run that keeps state: the trainer, the model, the optimizer, the history
    /// and the callbacks that conform to `Checkpointable`.
    private var parts: [any Checkpointable] {
        [self, ModuleState(model), OptimizerState(optimizer), history] + allCallbacks.compactMap { $0 as? any Checkpointable }
    }

    /// The run's whole state now.
    public func checkpoint() throws -> Checkpoint {
        var checkpoint = Checkpoint()
        for part in parts {
            guard checkpoint.parts[part.checkpointKey] == nil else {
                throw TrainingError("two parts of the run save their state as '\(part.checkpointKey)'; give each a key of its own")
            }
            checkpoint.parts[part.checkpointKey] = try part.saveState()
        }
        return checkpoint
    }

    /// Restores a checkpoint written by `Checkpointer` (or read with `Checkpoint.read`) into this
    /// trainer, its model, optimizer and callbacks (built as for the original run); `fit` then
    /// continues with the next epoch. A part the checkpoint lacks keeps its fresh state.
    /// - Returns: the checkpoint's metadata.
    @discardableResult
    public func resume(from path: String) throws -> [String: String] {
        let checkpoint = try Checkpoint.read(path)
        for part in parts {
            guard let saved = checkpoint.parts[part.checkpointKey] else { continue }
            do { try part.restoreState(saved) } catch let error as DecodingError {
                throw TrainingError("\(path): the state of '\(part.checkpointKey)' is not valid (\(DecodingError.summary(error)))")
            }
        }
        return checkpoint.metadata
    }
}

/// A model's weights, buffers and random generators as one checkpoint part.
private final class ModuleState: Checkpointable {
    let module: any Module
    init(_ module: any Module) { self.module = module }
    var checkpointKey: String { "model" }
    func saveState() throws -> SavedState { try SavedState(module.randomStates(), tensors: module.stateTensors()) }
    func restoreState(_ state: SavedState) throws {
        try module.loadStateDict(state.tensors)
        module.loadRandomStates(try state.decode([String: RandomGenerator].self))
    }
}

/// An optimizer's buffers (momentum, Adam's moments and step count) as one checkpoint part.
private final class OptimizerState: Checkpointable {
    let optimizer: any Optimizer
    init(_ optimizer: any Optimizer) { self.optimizer = optimizer }
    var checkpointKey: String { "optimizer" }
    func saveState() throws -> SavedState { try SavedState([String: Double](), tensors: optimizer.state()) }
    func restoreState(_ state: SavedState) throws { try optimizer.load(state: state.tensors) }
}
