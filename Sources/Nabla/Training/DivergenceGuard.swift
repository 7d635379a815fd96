/// Stops a run whose loss becomes NaN or infinite, or climbs above `factor` times its first value:
/// the lectures' sign that the learning rate is too high.
public final class DivergenceGuard: TrainingCallback, Checkpointable {
    public let factor: Double
    public private(set) var initialLoss: Double?

    public init(factor: Double = 3) { self.factor = factor }

    public func batchDidEnd(_ state: TrainingState, loss: Double) throws {
        if initialLoss == nil { initialLoss = loss }
        let lr = Trainer.format(state.optimizer.learningRate)
        if !loss.isFinite {
            state.stopReason = .diverged(
                "loss is \(loss) at step \(state.step) (epoch \(state.epoch)): the learning rate (\(lr)) is probably too high")
        } else if let initial = initialLoss, initial.isFinite, loss > factor * initial {
            state.stopReason = .diverged(
                "loss \(Trainer.format(loss)) at step \(state.step) (epoch \(state.epoch)) is above \(Tensor.format(factor))× the initial \(Trainer.format(initial)): the learning rate (\(lr)) is probably too high")
        }
    }

    /// Restores the reference loss when resuming a run.
    public func restore(initialLoss: Double?) { self.initialLoss = initialLoss }

    struct Saved: Codable { var initialLoss: Double? }

    public var checkpointKey: String { "divergence_guard" }
    public func saveState() throws -> SavedState { try SavedState(Saved(initialLoss: initialLoss)) }
    public func restoreState(_ state: SavedState) throws { initialLoss = try state.decode(Saved.self).initialLoss }
}
