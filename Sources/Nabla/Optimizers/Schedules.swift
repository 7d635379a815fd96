import Foundation

/// A learning rate as a pure function of the epoch (or step) `t`, counted from 0: the lectures'
/// "annealing". The schedule keeps no state; the training loop asks it for the rate of each epoch
/// and hands that to the optimizer, so resuming at epoch `t` needs only `t`:
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
/// Epoch 0 always runs at the base rate `lr0` (warm-up excepted). Reduce-on-plateau depends on a
/// monitored metric rather than on `t` alone, so it is a separate type with visible state:
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
    /// `lr0 / (1 + rate·t)`: "1/t" decay.
    case inverseTime(rate: Double)
    /// A linear warm-up then a cosine decay: `lr0 · (t + 1) / warmup` for `t < warmup` (so the
    /// last warm-up epoch reaches `lr0`), then
    /// `minimum + (lr0 - minimum) · (1 + cos(π · (t - warmup) / (total - warmup))) / 2`
    /// from `lr0` at `t = warmup` down to `minimum` at `t = total`, and `minimum` after that.
    /// With `warmup: 0` it is plain cosine annealing (PyTorch's `CosineAnnealingLR` with `T_max = total`).
    case warmupCosine(warmup: Int, total: Int, minimum: Double)

    /// The learning rate at epoch (or step) `t >= 0`, for base rate `base`. The schedule must be
    /// valid (see `validate()`).
    public func learningRate(base: Double, at t: Int) -> Double {
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
            return base / (1 + rate * Double(t))
        case let .warmupCosine(warmup, total, minimum):
            if t < warmup { return base * Double(t + 1) / Double(warmup) }
            if t >= total { return minimum }
            // Here warmup <= t < total, so the division is by a positive number.
            let progress = Double(t - warmup) / Double(total - warmup)
            return minimum + (base - minimum) * (1 + cos(Double.pi * progress)) / 2
        }
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
            try OptimizerError.check("warm-up length", Double(warmup), .count)
            guard total > warmup else {
                throw OptimizerError.invalidHyperparameter(
                    name: "cosine schedule length", value: Double(total),
                    requirement: "a whole number greater than the warm-up length \(warmup)")
            }
            try OptimizerError.check("minimum learning rate", minimum, .nonNegative)
        }
    }
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
            return "linear warm-up over \(warmup), cosine to \(minimum) at \(total)"
        }
    }
}
