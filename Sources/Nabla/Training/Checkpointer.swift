import Foundation

/// How often a run's state is saved within an epoch: every so many steps, or every so many seconds.
public enum CheckpointInterval: Equatable, Sendable, TextCodable, CustomStringConvertible {
    case steps(Int)
    case seconds(Double)

    /// Reads `500` (steps) or a duration: `90s`, `5m`, `1h`.
    /// - Throws: `SettingError` for the field `checkpointEvery`.
    public init(parsing text: String) throws {
        let units: [(suffix: String, seconds: Double)] = [("s", 1), ("m", 60), ("h", 3600)]
        if let n = Int(text), n >= 1 { self = .steps(n); return }
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast()), value.isFinite, value > 0 { self = .seconds(value * factor); return }
        }
        throw SettingError(field: "checkpointEvery", "must be a number of steps (500) or a duration (90s, 5m, 1h), got '\(text)'")
    }

    /// The text `init(parsing:)` reads back: `500`, `5m`, `90s`.
    public var text: String {
        switch self {
        case .steps(let n): return "\(n)"
        case .seconds(let s):
            if s >= 60 && s.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(s / 60))m" }
            return s == s.rounded() ? "\(Int(s))s" : "\(s)s"
        }
    }

    public var description: String {
        if case .steps(let n) = self { return "\(n) steps" }
        return text
    }
}

/// Writes the run folder's checkpoint and last weights, atomically: `checkpoint.safetensors` (the
/// whole run's state, from which `Trainer.resume(from:)` continues exactly) when training begins
/// (if there is none yet), after every epoch, every `every` within an epoch, and at the step a stop
/// request ends on; `last.safetensors` (the model now) after every epoch. So a kill loses at most
/// `every` of work, and a run killed before its first epoch ends still resumes (from its start).
/// The checkpoint it replaces stays as `checkpoint.previous.safetensors` (a hard link: no copy is
/// written), the one to resume from should the newest be found damaged (its checksum).
/// (`best.safetensors` is the `BestModel`'s file.)
public final class Checkpointer: TrainingCallback {
    public let folder: String
    /// Extra metadata stored in every file (the model spec, say).
    public var metadata: [String: String]
    /// How often to save within an epoch (nil: only between epochs).
    public var every: CheckpointInterval?
    private var lastSave = Date()
    private var stepsSinceSave = 0

    public init(folder: String, every: CheckpointInterval? = nil, metadata: [String: String] = [:]) {
        self.folder = folder
        self.every = every
        self.metadata = metadata
    }

    public var path: String { folder + "/checkpoint.safetensors" }
    /// The checkpoint before the newest.
    public var previousPath: String { folder + "/checkpoint.previous.safetensors" }

    public func trainingWillBegin(_ state: TrainingState) throws {
        if !FileManager.default.fileExists(atPath: path) { try save(state) }
        lastSave = Date()
        stepsSinceSave = 0
    }

    public func batchDidEnd(_ state: TrainingState, loss: Double) throws {
        stepsSinceSave += 1
        // After a stop request the state is that of a finished step: save it, so nothing is redone
        // (now, before the best model is put back into the model at the end).
        if state.stopReason == .interrupted { return try save(state) }
        guard state.stepInEpoch < state.stepsPerEpoch, state.stopReason == nil, let every else { return }
        switch every {
        case .steps(let n): guard stepsSinceSave >= n else { return }
        case .seconds(let s): guard Date().timeIntervalSince(lastSave) >= s else { return }
        }
        try save(state)
    }

    public func epochDidSettle(_ state: TrainingState) throws {
        // The checkpoint last: a kill between the two writes leaves a checkpoint from before this
        // epoch ended, so the resumed run redoes the epoch and writes both again.
        try Safetensors.write(try state.model.stateTensors(), metadata: meta(state), to: folder + "/last.safetensors")
        try save(state)
    }

    private func meta(_ state: TrainingState) -> [String: String] {
        metadata.merging(["epoch": String(state.epoch), "step": String(state.step)]) { $1 }
    }

    private func save(_ state: TrainingState) throws {
        var checkpoint = try state.checkpoint()
        checkpoint.metadata.merge(meta(state)) { $1 }
        // The new checkpoint replaces the file's name, not its contents: the old one lives on under
        // the second name. A kill in between leaves the newest whole, and at worst no previous one.
        unlink(previousPath)
        _ = link(path, previousPath)   // fails, harmlessly, before the first checkpoint
        try checkpoint.write(to: path)
        lastSave = Date()
        stepsSinceSave = 0
    }
}
