/// Hooks into the training loop. Every method has a no-op default, so a callback implements only
/// what it needs. Features of the `Trainer` (learning-rate schedule, best model, early stopping,
/// divergence guard, progress, checkpoints) are callbacks, built from the same public pieces a user
/// has. A callback sees the run through `TrainingState`, never the trainer itself; one whose state
/// must survive a resume also conforms to `Checkpointable`.
public protocol TrainingCallback: AnyObject {
    /// Before the first epoch (also when resuming).
    func trainingWillBegin(_ state: TrainingState) throws
    /// Before each epoch's first step (`state.epoch` is the epoch about to run, from 1).
    func epochWillBegin(_ state: TrainingState) throws
    /// Before each optimization step (`state.stepInEpoch` steps of the epoch are done), so that a
    /// callback can look at the weights as the step finds them.
    func batchWillBegin(_ state: TrainingState) throws
    /// After each optimization step, with the step's loss.
    func batchDidEnd(_ state: TrainingState, loss: Double) throws
    /// After each epoch's evaluation, with its metrics (`loss`, `train_acc`, `val_acc`, `val_loss`, `lr`).
    func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws
    /// After every callback's `epochDidEnd`: the run's state for this epoch is complete, whatever
    /// the order of the callbacks (the moment for checkpoints and records).
    func epochDidSettle(_ state: TrainingState) throws
    /// After the last epoch or a stop.
    func trainingDidEnd(_ state: TrainingState) throws
}

extension TrainingCallback {
    public func trainingWillBegin(_ state: TrainingState) throws {}
    public func epochWillBegin(_ state: TrainingState) throws {}
    public func epochDidSettle(_ state: TrainingState) throws {}
    public func batchWillBegin(_ state: TrainingState) throws {}
    public func batchDidEnd(_ state: TrainingState, loss: Double) throws {}
    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {}
    public func trainingDidEnd(_ state: TrainingState) throws {}
}

/// Why training ended before its last epoch.
public enum StopReason: Equatable, Sendable {
    /// The loss became NaN/infinite or grew far above its start.
    case diverged(String)
    /// The monitored metric stopped improving.
    case earlyStopping(String)
    /// The user interrupted the run.
    case interrupted
    /// A callback asked to stop, for its own reason.
    case requested(String)
}

/// What callbacks see: the model and optimizer, the run's position and record, the whole run's
/// state as a checkpoint, and a way to stop the run (`stopReason`).
public final class TrainingState {
    public let model: any Module
    public let optimizer: any Optimizer
    /// Everything measured so far (the trainer records each step and epoch before callbacks run).
    public let history: History
    /// The run's complete state, the union of every `Checkpointable` part, keyed by name.
    public func checkpoint() throws -> Checkpoint { try makeCheckpoint() }
    private let makeCheckpoint: () throws -> Checkpoint
    /// The epoch in progress or just finished, counting from 1.
    public internal(set) var epoch: Int
    /// The number of epochs the run was asked for.
    public let epochs: Int
    /// Optimization steps taken so far in the whole run.
    public internal(set) var step: Int
    /// Steps in one epoch.
    public internal(set) var stepsPerEpoch: Int
    /// Steps done in the current epoch.
    public internal(set) var stepInEpoch: Int
    /// Examples per step.
    public let batchSize: Int
    /// Set by a callback to end training after the current step or epoch.
    public var stopReason: StopReason?

    init(model: any Module, optimizer: any Optimizer, history: History, epochs: Int, batchSize: Int,
         checkpoint: @escaping () throws -> Checkpoint) {
        self.model = model
        self.optimizer = optimizer
        self.history = history
        self.makeCheckpoint = checkpoint
        self.epochs = epochs
        self.batchSize = batchSize
        epoch = 0
        step = 0
        stepsPerEpoch = 0
        stepInEpoch = 0
    }
}

/// A request to stop a run after its current step, settable from a signal handler: the flag is a
/// plain word in memory of its own (`flag`), which a handler may write without locks or allocation.
public final class StopRequest: @unchecked Sendable {
    /// The word a signal handler sets to 1 (`stop.flag.pointee = 1`).
    public let flag: UnsafeMutablePointer<Int32>

    public init() {
        flag = .allocate(capacity: 1)
        flag.initialize(to: 0)
    }

    deinit { flag.deallocate() }

    /// Asks the run to stop after its current step.
    public func request() { flag.pointee = 1 }
    /// Whether a stop was asked for.
    public var isRequested: Bool { flag.pointee != 0 }
    /// Forgets a request (before another run reuses this one).
    public func reset() { flag.pointee = 0 }
}

/// Whether a metric value improves on the best so far; the one rule that early stopping, the best
/// model and reduce-on-plateau share. `mode` says whether lower (`loss`) or higher (`*_acc`) is better.
public enum MetricMode: String, Codable, Sendable {
    case min, max

    /// The natural mode of a metric name: accuracies go up, losses go down.
    public static func natural(for metric: String) -> MetricMode { metric.hasSuffix("acc") ? .max : .min }

    /// True if `value` beats `best` by more than `minDelta`.
    public func isImprovement(_ value: Double, over best: Double?, minDelta: Double = 0) -> Bool {
        guard let best else { return value.isFinite }
        return self == .max ? value > best + minDelta : value < best - minDelta
    }
}

/// Errors a training run reports to the user.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
