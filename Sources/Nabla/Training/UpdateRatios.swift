/// Measures the lectures' update-to-weight ratio of every parameter tensor, ‖Δw‖ / ‖w‖: the norm of
/// what one optimizer step changed, over the norm of the weights before the step. About 1e-3 is
/// healthy; far below, the learning rate is too low; far above, too high.
///
/// The change is measured, not predicted from the gradient: the weights are kept before a step and
/// compared after it, so momentum, Adam's scaling and weight decay are all in it. To keep training
/// fast only `samplesPerEpoch` steps of an epoch are measured, evenly spaced and ending with the
/// epoch's last step; the epoch's ratio is the mean over those steps, and is recorded in the
/// history (`History.updateRatios`) when the epoch ends. Keeping the weights costs no copy of its
/// own: the optimizer copies a tensor that is shared before writing to it (copy-on-write), which is
/// the copy we need; the two norms are one more pass over the parameters. A step on weights that
/// are all zero (a bias at its start) has no ratio and is left out of the mean; a parameter with
/// no ratio in the whole epoch gets NaN.
public final class UpdateRatioMonitor: TrainingCallback {
    /// Steps measured per epoch (0: none). Epochs with fewer steps measure every step.
    public var samplesPerEpoch: Int
    /// Steps measured so far in the whole run.
    public private(set) var measuredSteps = 0
    private var before: [(name: String, value: Tensor)]? = nil
    private var sums: [String: Double] = [:]
    private var counts: [String: Int] = [:]

    /// A monitor that records each epoch's ratios into `history`.
    public init(samplesPerEpoch: Int = 10) {
        self.samplesPerEpoch = samplesPerEpoch
    }

    /// Whether the step after `done` of `stepsPerEpoch` steps is one to measure.
    public static func measures(stepAfter done: Int, of stepsPerEpoch: Int, samples: Int) -> Bool {
        guard samples > 0, stepsPerEpoch > 0 else { return false }
        let interval = max(1, stepsPerEpoch / samples)
        let remaining = stepsPerEpoch - 1 - done   // steps after this one
        return remaining >= 0 && remaining % interval == 0 && remaining / interval < samples
    }

    public func batchWillBegin(_ state: TrainingState) throws {
        guard Self.measures(stepAfter: state.stepInEpoch, of: state.stepsPerEpoch, samples: samplesPerEpoch) else { return }
        before = state.model.parameters().map { ($0.name, $0.variable.value) }
    }

    public func batchDidEnd(_ state: TrainingState, loss: Double) throws {
        guard let kept = before else { return }
        before = nil
        let now = Dictionary(state.model.parameters().map { ($0.name, $0.variable.value) }, uniquingKeysWith: { a, _ in a })
        for (name, old) in kept {
            guard let new = now[name] else { continue }
            let ratio = Self.ratio(before: old, after: new)
            counts[name, default: 0] += ratio.isFinite ? 1 : 0
            if ratio.isFinite { sums[name, default: 0] += ratio }
        }
        measuredSteps += 1
    }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        guard !counts.isEmpty else { return }
        var row: [String: Double] = [:]
        for (name, count) in counts { row[name] = count > 0 ? sums[name, default: 0] / Double(count) : .nan }
        state.history.recordUpdateRatios(row, epoch: state.epoch)
        sums = [:]
        counts = [:]
    }

    /// ‖after − before‖ / ‖before‖ (NaN when `before` is all zeros).
    public static func ratio(before: Tensor, after: Tensor) -> Double {
        precondition(before.shape == after.shape && before.dtype == after.dtype,
                     "UpdateRatioMonitor.ratio: \(before.shape) \(before.dtype) vs \(after.shape) \(after.dtype)")
        switch before.dtype {
        case .float32: return ratio(before, after, Float.self)
        case .float64: return ratio(before, after, Double.self)
        }
    }

    private static func ratio<T: TensorScalar>(_ before: Tensor, _ after: Tensor, _: T.Type) -> Double {
        before.withUnsafeBufferPointer(as: T.self) { b in
            after.withUnsafeBufferPointer(as: T.self) { a in
                var change = 0.0, weights = 0.0
                for i in 0..<b.count {
                    let w = Double(b[i]), d = Double(a[i]) - w
                    change += d * d
                    weights += w * w
                }
                return weights > 0 ? (change / weights).squareRoot() : .nan
            }
        }
    }
}
