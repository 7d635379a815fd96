import Foundation

/// One part's saved state: values as JSON and tensors by local name.
public struct SavedState {
    /// The part's values, JSON-encoded (NaN and infinities as the strings "nan", "inf", "-inf").
    public var values: Data
    public var tensors: [String: Tensor]

    public init<T: Encodable>(_ values: T, tensors: [String: Tensor] = [:]) throws {
        self.values = try Checkpoint.encoder.encode(values)
        self.tensors = tensors
    }

    /// The values, decoded as `type`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try Checkpoint.decoder.decode(type, from: values)
    }
}

/// A part of a training run whose state belongs in a checkpoint: the trainer's position, the
/// model, the optimizer, the history and every callback that keeps state. Each saves and restores
/// itself under its own key, so a checkpoint is the union of the parts and their order never matters
/// (PyTorch's `state_dict()` / `load_state_dict()` on modules, optimizers and schedulers alike).
public protocol Checkpointable: AnyObject {
    /// A name unique among the run's parts (`best_model`, `early_stopping`).
    var checkpointKey: String { get }
    func saveState() throws -> SavedState
    func restoreState(_ state: SavedState) throws
}

/// A training run's whole state: every part's `SavedState` by key. On disk it is one safetensors
/// file — tensor `key.name` for each part's tensors, metadata `nabla.state.key` for its values —
/// written atomically, so NumPy and PyTorch read the tensors too.
public struct Checkpoint {
    public var parts: [String: SavedState]
    /// Free-form metadata stored with it (the model spec, say).
    public var metadata: [String: String]

    public init(parts: [String: SavedState] = [:], metadata: [String: String] = [:]) {
        self.parts = parts
        self.metadata = metadata
    }

    static let statePrefix = "nabla.state."
    /// The metadata key of version 1 checkpoints (one `CheckpointInfo` for everything).
    static let legacyInfoKey = "nabla.checkpoint"

    /// The part saved under `key`.
    /// - Throws: `TrainingError` when the checkpoint has no such part.
    public func part(_ key: String) throws -> SavedState {
        guard let part = parts[key] else {
            throw TrainingError("the checkpoint holds no state for '\(key)' (it has: \(parts.keys.sorted().joined(separator: ", ")))")
        }
        return part
    }

    /// Writes the checkpoint to `path` atomically.
    public func write(to path: String) throws {
        var tensors: [String: Tensor] = [:]
        var meta = metadata
        for (key, part) in parts {
            for (name, tensor) in part.tensors { tensors[key + "." + name] = tensor }
            meta[Checkpoint.statePrefix + key] = String(decoding: part.values, as: UTF8.self)
        }
        try Safetensors.write(tensors, metadata: meta, to: path)
    }

    /// Reads a checkpoint written by `write(to:)`, or by version 1 (migrated part by part).
    /// - Throws: `TrainingError` naming the file when it is not a Nabla checkpoint.
    public static func read(_ path: String) throws -> Checkpoint {
        let (tensors, metadata) = try Safetensors.read(path)
        if metadata[legacyInfoKey] != nil { return try LegacyCheckpoint.migrate(tensors: tensors, metadata: metadata, path: path) }
        var checkpoint = Checkpoint(metadata: metadata.filter { !$0.key.hasPrefix(statePrefix) })
        for (key, json) in metadata where key.hasPrefix(statePrefix) {
            let name = String(key.dropFirst(statePrefix.count))
            var part = SavedState(rawValues: Data(json.utf8))
            for (tensorName, tensor) in tensors where tensorName.hasPrefix(name + ".") {
                part.tensors[String(tensorName.dropFirst(name.count + 1))] = tensor
            }
            checkpoint.parts[name] = part
        }
        guard !checkpoint.parts.isEmpty else {
            throw TrainingError("\(path): not a Nabla checkpoint (no '\(statePrefix)…' metadata)")
        }
        return checkpoint
    }

    /// JSON has no NaN or infinity, and an epoch's metrics can be either (an overflowing
    /// validation loss): they are written as the strings "nan", "inf" and "-inf".
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

extension SavedState {
    init(rawValues: Data) {
        values = rawValues
        tensors = [:]
    }
}

/// Writes the run folder's weights and checkpoint after every epoch, atomically:
/// `checkpoint.safetensors` (the whole run's state, from which `Trainer.resume(from:)` continues
/// exactly) and `last.safetensors` (the model now). (`best.safetensors` is the `BestModel`'s file.)
public final class Checkpointer: TrainingCallback {
    public let folder: String
    /// Extra metadata stored in every file (the model spec, say).
    public var metadata: [String: String]

    public init(folder: String, metadata: [String: String] = [:]) {
        self.folder = folder
        self.metadata = metadata
    }

    public func epochDidSettle(_ state: TrainingState) throws {
        var checkpoint = try state.checkpoint()
        let meta = metadata.merging(["epoch": String(state.epoch)]) { $1 }
        checkpoint.metadata.merge(meta) { $1 }
        try checkpoint.write(to: folder + "/checkpoint.safetensors")
        try Safetensors.write(try state.model.stateTensors(), metadata: meta, to: folder + "/last.safetensors")
    }
}
