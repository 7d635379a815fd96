/// Stops training when a monitored metric has not improved for `patience` epochs.
public final class EarlyStopping: TrainingCallback, Checkpointable {
    public let metric: String
    public let mode: MetricMode
    public let patience: Int
    public let minDelta: Double
    public private(set) var best: Double?
    public private(set) var epochsWithoutImprovement = 0

    /// - Parameters:
    ///   - metric: `val_acc`, `val_loss`, `train_acc` or `loss`.
    ///   - patience: epochs without improvement before stopping.
    ///   - minDelta: the least change that counts as an improvement.
    ///   - mode: whether lower or higher is better (by default from the metric's name).
    public init(metric: String = "val_loss", patience: Int = 5, minDelta: Double = 0, mode: MetricMode? = nil) {
        self.metric = metric
        self.patience = patience
        self.minDelta = minDelta
        self.mode = mode ?? .natural(for: metric)
    }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        guard let value = metrics[metric] else {
            throw TrainingError("early stopping: no metric '\(metric)'; available: \(metrics.keys.sorted().joined(separator: ", "))")
        }
        if mode.isImprovement(value, over: best, minDelta: minDelta) {
            best = value
            epochsWithoutImprovement = 0
        } else {
            epochsWithoutImprovement += 1
            if epochsWithoutImprovement >= patience {
                state.stopReason = .earlyStopping(
                    "early stopping: \(metric) has not improved on \(Trainer.format(best ?? .nan)) for \(patience) epochs")
            }
        }
    }

    /// Restores the state saved in a checkpoint.
    public func restore(best: Double?, epochsWithoutImprovement: Int) {
        self.best = best
        self.epochsWithoutImprovement = epochsWithoutImprovement
    }

    struct Saved: Codable {
        var best: Double?
        var wait: Int
    }

    public var checkpointKey: String { "early_stopping" }
    public func saveState() throws -> SavedState { try SavedState(Saved(best: best, wait: epochsWithoutImprovement)) }
    public func restoreState(_ state: SavedState) throws {
        let saved = try state.decode(Saved.self)
        restore(best: saved.best, epochsWithoutImprovement: saved.wait)
    }
}
