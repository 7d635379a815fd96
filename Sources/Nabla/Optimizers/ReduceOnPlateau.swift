/// Cuts the learning rate by `factor` when a monitored metric (validation loss or accuracy) has not
/// improved for more than `patience` epochs; PyTorch's `ReduceLROnPlateau`.
///
/// Unlike `LearningRateSchedule` it depends on the metrics seen so far, so its state is explicit:
/// the current `learningRate`, the `best` metric, the count of `badEpochs` and the
/// `cooldownRemaining`. It is a value that encodes to JSON (`Codable`), for checkpoints.
///
/// ```swift
/// var plateau = try ReduceOnPlateau(learningRate: 0.1, mode: .min, factor: 0.5, patience: 2)
/// for epoch in 0..<epochs {
///     …
///     optimizer.learningRate = plateau.update(metric: validationLoss)
/// }
/// ```
///
/// Each `update(metric:)`: a metric better than `best` by more than `threshold · |best|` becomes
/// the new best and resets `badEpochs`; any other (NaN included) counts one bad epoch. During
/// cooldown bad epochs are not counted. When `badEpochs` exceeds `patience` the rate becomes
/// `max(learningRate · factor, minimumLearningRate)` and cooldown starts. (PyTorch compares with
/// `best · (1 ∓ threshold)`, which is the same for positive metrics.)
public struct ReduceOnPlateau: Equatable, Sendable, Codable {
    /// Whether the metric should go down (a loss) or up (an accuracy).
    public enum Mode: String, Equatable, Sendable, Codable {
        case min, max
    }

    /// Whether smaller or larger metrics are better.
    public let mode: Mode
    /// What the rate is multiplied by on a plateau, in `(0, 1)`.
    public let factor: Double
    /// Bad epochs tolerated before the rate is cut.
    public let patience: Int
    /// The relative improvement that counts as one.
    public let threshold: Double
    /// Epochs after a cut during which bad epochs are not counted.
    public let cooldown: Int
    /// The rate is never cut below this.
    public let minimumLearningRate: Double

    /// The current learning rate.
    public private(set) var learningRate: Double
    /// The best metric so far (`nil` before the first non-NaN one).
    public private(set) var best: Double?
    /// Epochs since the last improvement (reset by a cut and during cooldown).
    public private(set) var badEpochs = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownRemaining = 0

    /// - Throws: `OptimizerError` for a negative learning rate, threshold or minimum, a factor
    ///   outside `(0, 1)`, or a negative patience or cooldown.
    public init(learningRate: Double, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, cooldown: Int = 0, minimumLearningRate: Double = 0) throws {
        try OptimizerError.check("learning rate", learningRate, .nonNegative)
        try OptimizerError.check("plateau factor", factor, .strictShrinkFactor)
        try OptimizerError.check("patience", Double(patience), .count)
        try OptimizerError.check("plateau threshold", threshold, .nonNegative)
        try OptimizerError.check("cooldown", Double(cooldown), .count)
        try OptimizerError.check("minimum learning rate", minimumLearningRate, .nonNegative)
        self.learningRate = learningRate
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.minimumLearningRate = minimumLearningRate
    }

    /// Whether `metric` beats the best so far by more than the threshold.
    public func isImprovement(_ metric: Double) -> Bool {
        guard !metric.isNaN else { return false }
        guard let best else { return true }
        let margin = threshold * abs(best)
        return mode == .min ? metric < best - margin : metric > best + margin
    }

    /// Records this epoch's metric and returns the learning rate for the next epoch.
    @discardableResult
    public mutating func update(metric: Double) -> Double {
        if isImprovement(metric) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownRemaining > 0 {
            cooldownRemaining -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            learningRate = Swift.max(learningRate * factor, minimumLearningRate)
            cooldownRemaining = cooldown
            badEpochs = 0
        }
        return learningRate
    }

    private enum CodingKeys: String, CodingKey {
        case mode, factor, patience, threshold, cooldown, minimumLearningRate
        case learningRate, best, badEpochs, cooldownRemaining
    }

    /// Decodes a saved state, validating it as the initializer does (a checkpoint is user input).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            learningRate: c.decode(Double.self, forKey: .learningRate),
            mode: c.decode(Mode.self, forKey: .mode), factor: c.decode(Double.self, forKey: .factor),
            patience: c.decode(Int.self, forKey: .patience), threshold: c.decode(Double.self, forKey: .threshold),
            cooldown: c.decode(Int.self, forKey: .cooldown),
            minimumLearningRate: c.decode(Double.self, forKey: .minimumLearningRate))
        best = try c.decodeIfPresent(Double.self, forKey: .best)
        badEpochs = try c.decode(Int.self, forKey: .badEpochs)
        cooldownRemaining = try c.decode(Int.self, forKey: .cooldownRemaining)
        try OptimizerError.check("plateau bad epoch count", Double(badEpochs), .count)
        try OptimizerError.check("plateau cooldown count", Double(cooldownRemaining), .count)
    }
}
