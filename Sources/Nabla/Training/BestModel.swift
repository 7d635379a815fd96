import Foundation

/// Keeps a copy of the weights with the best validation accuracy (or another metric) and puts them
/// back in the model when training ends, as the lectures' trainer returns its best model. With a
/// `file`, it also writes them there (atomically) whenever they improve, and a resumed run reads
/// them back from it, so a checkpoint need not hold a second copy of the weights.
public final class BestModel: TrainingCallback, Checkpointable {
    public let metric: String
    public let mode: MetricMode
    /// The best value seen, and the epoch it was seen at.
    public private(set) var best: Double?
    public private(set) var bestEpoch: Int?
    /// The saved weights and buffers, by dotted name.
    public private(set) var weights: [String: Tensor] = [:]
    /// Whether to load the best weights into the model at the end.
    public let restoreAtEnd: Bool
    /// A safetensors file for the best weights, or nil to keep them in memory (and checkpoints) only.
    public var file: String?
    /// Metadata written into `file`.
    public var metadata: [String: String] = [:]

    public init(metric: String = "val_acc", mode: MetricMode? = nil, restoreAtEnd: Bool = true, file: String? = nil) {
        self.metric = metric
        self.mode = mode ?? .natural(for: metric)
        self.restoreAtEnd = restoreAtEnd
        self.file = file
    }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        guard let value = metrics[metric] else {
            throw TrainingError("best model: no metric '\(metric)'; available: \(metrics.keys.sorted().joined(separator: ", "))")
        }
        if mode.isImprovement(value, over: best) {
            best = value
            bestEpoch = state.epoch
            // Tensors are values: this is a snapshot, untouched by later in-place updates.
            weights = Dictionary(uniqueKeysWithValues: state.model.stateDict().map { ($0.name, $0.variable.value) })
            if let file {
                try Safetensors.write(weights, metadata: metadata.merging(["epoch": String(state.epoch)]) { $1 }, to: file)
            }
        }
    }

    struct Saved: Codable {
        var best: Double?
        var bestEpoch: Int?
    }

    public var checkpointKey: String { "best_model" }

    public func saveState() throws -> SavedState {
        try SavedState(Saved(best: best, bestEpoch: bestEpoch), tensors: file == nil ? weights : [:])
    }

    public func restoreState(_ state: SavedState) throws {
        let saved = try state.decode(Saved.self)
        var weights = state.tensors
        if let file, saved.bestEpoch != nil, FileManager.default.fileExists(atPath: file) {
            weights = try Safetensors.read(file).tensors
        }
        restore(best: saved.best, epoch: saved.bestEpoch, weights: weights)
    }

    public func trainingDidEnd(_ state: TrainingState) throws {
        guard restoreAtEnd, !weights.isEmpty else { return }
        for (name, variable) in state.model.stateDict() { if let w = weights[name] { variable.value = w } }
    }

    /// Restores the state saved in a checkpoint.
    public func restore(best: Double?, epoch: Int?, weights: [String: Tensor]) {
        self.best = best
        self.bestEpoch = epoch
        self.weights = weights
    }
}
