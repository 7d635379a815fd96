import Foundation

/// The learning-rate range test: train for a few hundred steps while the learning rate grows
/// exponentially from tiny to huge, record the loss at each step, and stop once it explodes.
/// The lectures' "find the learning rate at which the loss starts to fall"; Leslie Smith's
/// range test as popularised by fast.ai and PyTorch Lightning's `lr_find`.
///
/// ```swift
/// let finder = LearningRateFinder(start: 1e-7, end: 10, iterations: 300)
/// let result = try finder.run(model: net, optimizer: sgd, train: splits.train, batchSize: 100)
/// print(result.suggestion.learningRate)
/// ```
///
/// The model and optimizer are trained in place: build fresh ones afterwards for the real run.
public struct LearningRateFinder {
    /// The first learning rate.
    public var start: Double
    /// The last learning rate (reached at the last iteration if the loss never explodes).
    public var end: Double
    /// How many steps (the learning rate is multiplied by `(end / start)^(1 / (iterations - 1))` each step).
    public var iterations: Int
    /// The weight of the past in the running average of the loss, `s ← β s + (1 − β) loss`
    /// (bias-corrected, as Adam does, so the first values are not pulled towards 0).
    public var smoothing: Double
    /// The loss has exploded once the smoothed loss exceeds this many times its lowest value.
    public var explosionFactor: Double

    public init(start: Double = 1e-7, end: Double = 10, iterations: Int = 300, smoothing: Double = 0.9, explosionFactor: Double = 4) {
        self.start = start; self.end = end; self.iterations = iterations; self.smoothing = smoothing; self.explosionFactor = explosionFactor
    }

    /// Checks the settings, naming the one that is wrong.
    public func validate() throws {
        guard start > 0, start.isFinite else { throw TrainingError("lr-find: the start learning rate must be positive, got \(start)") }
        guard end > start, end.isFinite else { throw TrainingError("lr-find: the end learning rate (\(end)) must be above the start (\(start))") }
        guard iterations >= 10 else { throw TrainingError("lr-find: iterations must be at least 10, got \(iterations)") }
        guard smoothing >= 0, smoothing < 1 else { throw TrainingError("lr-find: smoothing must be in [0, 1), got \(smoothing)") }
        guard explosionFactor > 1 else { throw TrainingError("lr-find: the explosion factor must be above 1, got \(explosionFactor)") }
    }

    /// The learning rate of step `i` (from 0).
    public func learningRate(at i: Int) -> Double {
        start * Foundation.pow(end / start, Double(i) / Double(iterations - 1))
    }

    /// Runs the test on `model` with `optimizer` (whose learning rate it overwrites each step),
    /// on shuffled batches of `train` (reshuffled after each pass), with L2 `regularization`.
    public func run(model: any Module, optimizer: any Optimizer, train: Dataset, batchSize: Int,
                    regularization: Double = 0, loss: ClassificationLoss = .softmaxCrossEntropy,
                    seed: UInt64 = 0) throws -> LearningRateFinderResult {
        try validate()
        guard batchSize >= 1 else { throw TrainingError("lr-find: batch size must be at least 1, got \(batchSize)") }
        guard train.count > 0 else { throw TrainingError("lr-find: the training set is empty") }
        guard regularization >= 0 else { throw TrainingError("lr-find: regularization must be ≥ 0, got \(regularization)") }
        var options = TrainerOptions()
        options.regularization = regularization
        options.loss = loss
        options.verbose = false
        // The trainer's step (forward, loss + penalty, backward, update) is exactly a training step.
        let trainer = Trainer(model: model, optimizer: optimizer, options: options)
        var generator = RandomGenerator(seed: seed)
        var pending: [[Int]] = []
        var result = LearningRateFinderResult(learningRates: [], losses: [], smoothed: [], stop: .finished)
        var average = 0.0, best = Double.infinity
        model.train()
        for i in 0..<iterations {
            if pending.isEmpty { pending = Array(train.batchIndices(size: batchSize, shuffle: true, generator: &generator).reversed()) }
            let lr = learningRate(at: i)
            optimizer.learningRate = lr
            let value = trainer.trainStep(train.batch(pending.removeLast()))
            average = smoothing * average + (1 - smoothing) * value
            let smoothed = average / (1 - Foundation.pow(smoothing, Double(i + 1)))
            result.learningRates.append(lr); result.losses.append(value); result.smoothed.append(smoothed)
            if !value.isFinite || !smoothed.isFinite { result.stop = .notFinite; break }
            if smoothed > explosionFactor * best { result.stop = .exploded; break }
            best = Swift.min(best, smoothed)
        }
        return result
    }
}

/// What a learning-rate range test recorded, and the range it suggests.
public struct LearningRateFinderResult {
    /// Why the test ended.
    public enum Stop: Equatable {
        /// It ran every iteration.
        case finished
        /// The smoothed loss rose above the explosion factor times its lowest value.
        case exploded
        /// The loss became NaN or infinite.
        case notFinite
    }

    /// The learning rate of each step.
    public var learningRates: [Double]
    /// The loss of each step (data loss plus penalty).
    public var losses: [Double]
    /// The running average of the loss (bias-corrected).
    public var smoothed: [Double]
    public var stop: Stop

    /// The suggested learning rates.
    public struct Suggestion: Equatable {
        /// Where the loss falls fastest against log(lr): the suggested learning rate, unless it
        /// lies above `upperBound`.
        public var steepest: Double
        /// Where the smoothed loss is lowest.
        public var minimum: Double
        /// A tenth of `minimum`: well before the loss starts to explode.
        public var upperBound: Double
        /// The learning rate to use: `steepest`, capped at `upperBound`.
        public var learningRate: Double { Swift.min(steepest, upperBound) }
        /// A range to search: from a tenth of `learningRate` to `upperBound` (or to
        /// `learningRate` × 3 when the two coincide).
        public var range: (lower: Double, upper: Double) {
            (learningRate / 10, Swift.max(upperBound, learningRate * 3))
        }
    }

    /// The loss averaged over a window centred on each step. Unlike the running average it does
    /// not lag behind the learning rate, so the suggestion is not pushed towards larger rates.
    public var centred: [Double] {
        let half = Swift.max(1, losses.count / 40)
        return losses.indices.map { i in
            let window = losses[Swift.max(0, i - half)...Swift.min(losses.count - 1, i + half)].filter(\.isFinite)
            return window.isEmpty ? .nan : window.reduce(0, +) / Double(window.count)
        }
    }

    /// The suggested learning rates, or nil when too few steps ran to tell.
    public var suggestion: Suggestion? {
        let curve = centred
        let finite = curve.indices.filter { curve[$0].isFinite }
        guard finite.count >= 10, let lowest = finite.min(by: { curve[$0] < curve[$1] }) else { return nil }
        // The slope d loss / d log10(lr) from a few steps either side; the steepest fall before
        // the minimum (the first steps are skipped: the average there rests on few points).
        let k = Swift.max(1, curve.count / 50)
        var steepestIndex = lowest, steepestSlope = 0.0
        let first = Swift.max(k, curve.count / 20)
        for i in first..<Swift.max(first, lowest) where i + k < curve.count {
            let slope = (curve[i + k] - curve[i - k]) / (log10(learningRates[i + k]) - log10(learningRates[i - k]))
            if slope.isFinite && slope < steepestSlope { steepestSlope = slope; steepestIndex = i }
        }
        return Suggestion(steepest: learningRates[steepestIndex], minimum: learningRates[lowest],
                          upperBound: learningRates[lowest] / 10)
    }

    /// About `rows` lines of `step  lr  loss  smoothed`, evenly spread, the last step included.
    public func table(rows: Int = 25) -> String {
        let every = Swift.max(1, learningRates.count / Swift.max(1, rows))
        var lines = ["  step  learning rate          loss      smoothed"]
        for i in learningRates.indices where i % every == 0 || i == learningRates.count - 1 {
            lines.append(String(format: "%6d  %13e  %12.6f  %12.6f", i + 1, learningRates[i], losses[i], smoothed[i]))
        }
        return lines.joined(separator: "\n")
    }
}
