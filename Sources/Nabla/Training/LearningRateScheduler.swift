/// The one place a run's learning rate comes from: before each epoch it sets the optimizer's rate.
/// The trainer adds one built from `TrainerOptions.schedule` unless a callback of this kind is given.
public protocol LearningRateControl: TrainingCallback {}

/// Sets the optimizer's rate to `schedule(base, position)` before each epoch, and before each step
/// when the schedule changes within epochs (`isPerStep`). The schedule is a pure function of the
/// position, so a resumed run needs nothing but its epoch and step.
public final class LearningRateScheduler: LearningRateControl {
    public let schedule: LearningRateSchedule
    public let base: Double

    public init(_ schedule: LearningRateSchedule, base: Double) {
        self.schedule = schedule
        self.base = base
    }

    public func trainingWillBegin(_ state: TrainingState) throws { try schedule.validate() }

    public func epochWillBegin(_ state: TrainingState) throws {
        // A per-step rate is set before each step; an epoch resumed after its last step keeps the
        // rate of that step, which the optimizer's restored state holds.
        guard !schedule.isPerStep else { return }
        state.optimizer.learningRate = schedule.learningRate(base: base, at: state.epoch - 1)
    }

    public func batchWillBegin(_ state: TrainingState) throws {
        guard schedule.isPerStep else { return }
        let position = SchedulePosition(epoch: state.epoch - 1, step: state.stepInEpoch, stepsPerEpoch: Swift.max(state.stepsPerEpoch, 1))
        state.optimizer.learningRate = schedule.learningRate(base: base, at: position)
    }
}

/// Cuts the learning rate when a monitored metric stops improving (`ReduceOnPlateau`, PyTorch's
/// `ReduceLROnPlateau`): after each epoch it feeds the metric in and sets the rate for the next.
public final class PlateauScheduler: LearningRateControl, Checkpointable {
    public private(set) var plateau: ReduceOnPlateau
    /// The metric watched: `val_loss`, `val_acc`, …
    public let metric: String

    public init(_ plateau: ReduceOnPlateau, metric: String) {
        self.plateau = plateau
        self.metric = metric
    }

    public func epochWillBegin(_ state: TrainingState) throws { state.optimizer.learningRate = plateau.learningRate }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        guard let value = metrics[metric] else {
            throw TrainingError("reduce-on-plateau: no metric '\(metric)'; available: \(metrics.keys.sorted().joined(separator: ", "))")
        }
        state.optimizer.learningRate = plateau.update(metric: value)
    }

    public var checkpointKey: String { "lr_schedule" }
    public func saveState() throws -> SavedState { try SavedState(plateau) }
    public func restoreState(_ state: SavedState) throws { plateau = try state.decode(ReduceOnPlateau.self) }
}
