import Foundation

/// Checkpoints of version 1 held one `CheckpointInfo` JSON for the whole run; reading one splits it
/// into the parts that save themselves now, so that an old run folder still resumes exactly.
struct CheckpointInfo: Codable, Equatable {
    var epoch: Int
    var step: Int
    var generator: RandomGenerator
    var dropoutGenerators: [String: RandomGenerator]
    var best: Double?
    var bestEpoch: Int?
    var initialLoss: Double?
    var history: [[String: Double]]
    var callbacks: [String: [String: Double]]
    var plateau: ReduceOnPlateau?
    var updateRatios: [[String: Double]]?
}

enum LegacyCheckpoint {
    static func migrate(tensors all: [String: Tensor], metadata: [String: String], path: String) throws -> Checkpoint {
        guard let json = metadata[Checkpoint.legacyInfoKey],
              let info = try? Checkpoint.decoder.decode(CheckpointInfo.self, from: Data(json.utf8)) else {
            throw TrainingError("\(path): not a Nabla checkpoint (invalid '\(Checkpoint.legacyInfoKey)' metadata)")
        }
        func tensors(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: all.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        }
        var parts: [String: SavedState] = [
            "trainer": try SavedState(Trainer.Position(epoch: info.epoch, step: info.step, generator: info.generator)),
            "model": try SavedState(info.dropoutGenerators, tensors: tensors("model.")),
            "optimizer": try SavedState([String: Double](), tensors: tensors("optimizer.")),
            "history": try SavedState(History.Saved(epochs: info.history, updateRatios: info.updateRatios ?? []),
                                      tensors: tensors("history.")),
            "best_model": try SavedState(BestModel.Saved(best: info.best, bestEpoch: info.bestEpoch)),
            "divergence_guard": try SavedState(DivergenceGuard.Saved(initialLoss: info.initialLoss)),
        ]
        if let stopping = info.callbacks["early_stopping"] {
            parts["early_stopping"] = try SavedState(EarlyStopping.Saved(best: stopping["best"], wait: Int(stopping["wait"] ?? 0)))
        }
        if let plateau = info.plateau { parts["lr_schedule"] = try SavedState(plateau) }
        return Checkpoint(parts: parts, metadata: metadata.filter { $0.key != Checkpoint.legacyInfoKey })
    }
}
