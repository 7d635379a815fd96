import Foundation

/// A learning rate as a pure function of where the run is: the lectures' "annealing". The schedule
/// keeps no state; the training loop asks it for the rate of each epoch (or each step) and hands
/// that to the optimizer, so resuming at any step needs only the position:
///
/// ```swift
/// let schedule = LearningRateSchedule.stepDecay(every: 10, factor: 0.5)
/// try schedule.validate()
/// for epoch in 0..<epochs {
///     optimizer.learningRate = schedule.learningRate(base: 0.1, at: epoch)
///     …
/// }
/// ```
///
/// Step decay, exponential and multiplicative decay change the rate between epochs; 1/t, warm-up
/// + cosine and one-cycle change it at every step (`isPerStep`), reading the position as a
/// fraction of epochs, so that their settings mean the same whatever the batch size. Epoch 0 runs
/// at the base rate `lr0` (warm-up and one-cycle excepted). Reduce-on-plateau depends on a
/// monitored metric rather than on the position alone, so it is a separate type with visible state:
/// `ReduceOnPlateau`.
public enum LearningRateSchedule: Equatable, Sendable, Codable {
    /// `lr0` throughout.
    case constant
    /// `lr0 · factor^⌊t / every⌋`: multiplied by `factor` every `every` epochs (PyTorch's `StepLR`).
    case stepDecay(every: Int, factor: Double)
    /// `lr0 · e^(-rate·t)`.
    case exponential(rate: Double)
    /// `lr0 · decay^t`: multiplied by `decay` after every epoch, the lectures' `learning_rate_decay`
    /// (PyTorch's `ExponentialLR(gamma: decay)`).
    case multiplicative(decay: Double)
    /// `lr0 / (1 + rate·t)`: "1/t" decay, with `t` the epochs done so far as a fraction (per step).
    case inverseTime(rate: Double)
    /// A linear warm-up then a cosine decay, per step. With `S` steps per epoch, step `s` of the run
    /// (from 0) and `W = warmup·S` warm-up steps (a fractional `warmup` is allowed):
    /// `lr0 · (s + 1) / W` while `s < W` (the last warm-up step reaches `lr0`), then
    /// `minimum + (lr0 - minimum) · (1 + cos(π · (s - W) / (total·S - W))) / 2`
    /// from `lr0` down to `minimum` at epoch `total`, and `minimum` after that. With one step per
    /// epoch and `warmup: 0` it is PyTorch's `CosineAnnealingLR` with `T_max = total`.
    case warmupCosine(warmup: Double, total: Int, minimum: Double)
    /// The one-cycle policy (Smith; PyTorch's `OneCycleLR` with `pct_start = 0.3`, cosine annealing,
    /// `div_factor = maximum / lr0`, `final_div_factor = 10⁴`), per step over `N = total·S` steps:
    /// from `lr0` up to `maximum` by a half cosine until step `0.3·N - 1`, then down to
    /// `lr0 / 10⁴` at step `N - 1`, and that after.
    case oneCycle(maximum: Double, total: Int)

    /// Whether the rate changes within an epoch, so that the loop must ask for it before every step.
    public var isPerStep: Bool {
        switch self {
        case .constant, .stepDecay, .exponential, .multiplicative: return false
        case .inverseTime, .warmupCosine, .oneCycle: return true
        }
    }

    /// The learning rate at epoch `t >= 0` (its first step, for a per-step schedule), for base rate
    /// `base`, reading each epoch as a single step. The schedule must be valid (see `validate()`).
    public func learningRate(base: Double, at t: Int) -> Double {
        learningRate(base: base, at: SchedulePosition(epoch: t, step: 0, stepsPerEpoch: 1))
    }

    /// The learning rate of the step at `position`, for base rate `base`.
    public func learningRate(base: Double, at position: SchedulePosition) -> Double {
        let t = position.epoch
        precondition(t >= 0, "LearningRateSchedule: negative epoch \(t)")
        switch self {
        case .constant:
            return base
        case let .stepDecay(every, factor):
            precondition(every >= 1, "LearningRateSchedule.stepDecay: every = \(every); call validate() on user settings")
            return base * pow(factor, Double(t / every))
        case let .exponential(rate):
            return base * exp(-rate * Double(t))
        case let .multiplicative(decay):
            return base * pow(decay, Double(t))
        case let .inverseTime(rate):
            return base / (1 + rate * position.epochs)
        case let .warmupCosine(warmup, total, minimum):
            let s = Double(position.runStep), perEpoch = Double(position.stepsPerEpoch)
            let warmSteps = warmup * perEpoch, lastStep = Double(total) * perEpoch
            if s < warmSteps { return s + 1 >= warmSteps ? base : base * (s + 1) / warmSteps }
            if s >= lastStep { return minimum }
            // Here warmSteps <= s < lastStep, so the division is by a positive number.
            return annealed(from: base, to: minimum, (s - warmSteps) / (lastStep - warmSteps))
        case let .oneCycle(maximum, total):
            let s = Double(position.runStep), steps = Double(total * position.stepsPerEpoch)
            let peak = 0.3 * steps - 1, last = steps - 1
            if s <= peak { return peak > 0 ? annealed(from: base, to: maximum, s / peak) : maximum }
            return annealed(from: maximum, to: base / 1e4, Swift.min(1, (s - peak) / (last - peak)))
        }
    }

    /// A half cosine from `start` (at `fraction` 0) to `end` (at 1).
    private func annealed(from start: Double, to end: Double, _ fraction: Double) -> Double {
        end + (start - end) * (1 + cos(Double.pi * fraction)) / 2
    }

    /// Checks the settings, as read from a user: throws `OptimizerError.invalidHyperparameter`
    /// naming the bad one (`"Invalid step decay interval: 0 (expected a whole number >= 1)"`).
    public func validate() throws {
        switch self {
        case .constant:
            break
        case let .stepDecay(every, factor):
            try OptimizerError.check("step decay interval", Double(every), .positiveCount)
            try OptimizerError.check("step decay factor", factor, .shrinkFactor)
        case let .exponential(rate):
            try OptimizerError.check("exponential decay rate", rate, .nonNegative)
        case let .multiplicative(decay):
            try OptimizerError.check("learning rate decay", decay, .shrinkFactor)
        case let .inverseTime(rate):
            try OptimizerError.check("1/t decay rate", rate, .nonNegative)
        case let .warmupCosine(warmup, total, minimum):
            try OptimizerError.check("warm-up length", warmup, .nonNegative)
            guard Double(total) > warmup else {
                throw OptimizerError.invalidHyperparameter(
                    name: "cosine schedule length", value: Double(total),
                    requirement: "a whole number greater than the warm-up length \(OptimizerError.format(warmup))")
            }
            try OptimizerError.check("minimum learning rate", minimum, .nonNegative)
        case let .oneCycle(maximum, total):
            try OptimizerError.check("one-cycle maximum learning rate", maximum, .positive)
            try OptimizerError.check("one-cycle length", Double(total), .positiveCount)
        }
    }
}

/// Where a step is in a run: the epoch (from 0), the steps of it already done, and the steps of
/// one epoch. A schedule reads it as whole epochs or as a fraction of them.
public struct SchedulePosition: Equatable, Sendable {
    public var epoch: Int
    public var step: Int
    public var stepsPerEpoch: Int

    public init(epoch: Int, step: Int, stepsPerEpoch: Int) {
        precondition(stepsPerEpoch >= 1 && step >= 0, "SchedulePosition: step \(step) of \(stepsPerEpoch)")
        self.epoch = epoch
        self.step = step
        self.stepsPerEpoch = stepsPerEpoch
    }

    /// The step's number in the whole run, from 0.
    public var runStep: Int { epoch * stepsPerEpoch + step }
    /// The epochs done before this step, as a fraction.
    public var epochs: Double { Double(epoch) + Double(step) / Double(stepsPerEpoch) }
}

extension LearningRateSchedule: CustomStringConvertible {
    public var description: String {
        switch self {
        case .constant: return "constant"
        case let .stepDecay(every, factor): return "step decay ×\(factor) every \(every) epochs"
        case let .exponential(rate): return "exponential decay lr0·e^(-\(rate)·t)"
        case let .multiplicative(decay): return "multiplicative decay ×\(decay) per epoch"
        case let .inverseTime(rate): return "1/t decay lr0/(1 + \(rate)·t)"
        case let .warmupCosine(warmup, total, minimum):
            return "linear warm-up over \(OptimizerError.format(warmup)), cosine to \(minimum) at \(total)"
        case let .oneCycle(maximum, total): return "one cycle up to \(maximum) over \(total) epochs"
        }
    }
}
