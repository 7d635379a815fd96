import Foundation

/// Stops a run when its validation accuracy first reaches a target, and remembers when: the epoch
/// and the wall-clock seconds of training up to the end of that epoch (the history's `elapsed`,
/// which counts every epoch's steps and evaluation, and not the pause of a stop and resume). This
/// is DAWNBench's time-to-accuracy.
///
/// ```swift
/// let target = TargetAccuracy(0.97)
/// trainer.callbacks.append(target)
/// try trainer.fit(train: train, validation: validation)
/// if let reached = target.reached { print("97% after \(reached.seconds) s, epoch \(reached.epoch)") }
/// ```
///
/// With a `file`, the outcome is also written there as JSON when training ends, reached or not:
/// `{"target": 0.97, "reached": true, "epoch": 4, "seconds": 12.3, "val_acc": 0.9712}`.
public final class TargetAccuracy: TrainingCallback {
    /// The validation accuracy to reach, in `(0, 1]`.
    public let target: Double
    /// Where the outcome is recorded (nil: nowhere).
    public var file: String?
    /// When the target was reached, once it was.
    public private(set) var reached: (epoch: Int, seconds: Double, accuracy: Double)?

    public init(_ target: Double, file: String? = nil) {
        self.target = target
        self.file = file
    }

    /// The outcome as `file` holds it.
    public struct Record: Codable, Equatable {
        public var target: Double
        public var reached: Bool
        public var epoch: Int?
        public var seconds: Double?
        public var valAcc: Double?

        enum CodingKeys: String, CodingKey {
            case target, reached, epoch, seconds
            case valAcc = "val_acc"
        }
    }

    /// The outcome so far.
    public var record: Record {
        Record(target: target, reached: reached != nil, epoch: reached?.epoch, seconds: reached?.seconds, valAcc: reached?.accuracy)
    }

    public func trainingWillBegin(_ state: TrainingState) throws {
        guard target > 0, target <= 1 else { throw TrainingError("the target accuracy must be in (0, 1], got \(target)") }
    }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        guard reached == nil, let accuracy = metrics["val_acc"], accuracy >= target else { return }
        let seconds = state.history.epochs.last?["elapsed"] ?? .nan
        reached = (state.epoch, seconds, accuracy)
        state.stopReason = .requested(String(format: "reached validation accuracy %f ≥ %g at epoch %d after %.1f s of training",
                                             accuracy, target, state.epoch, seconds))
    }

    public func trainingDidEnd(_ state: TrainingState) throws {
        guard let file else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(record), to: file)
    }
}
