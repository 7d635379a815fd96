import Foundation

/// One sanity check's outcome: what it measured, whether it passed, and why, in one line.
public struct SanityCheckResult: CustomStringConvertible {
    /// The check: "initial loss", "regularization" or "overfit a tiny subset".
    public var name: String
    /// The numbers measured, by name, in the order they are printed.
    public var measurements: [(name: String, value: Double)]
    /// The verdict.
    public var passed: Bool
    /// One line: what was measured, against what, and what it means.
    public var explanation: String

    /// The measurement called `name`, if the check made it.
    public func value(_ name: String) -> Double? { measurements.first { $0.name == name }?.value }

    /// `PASS  initial loss: …` or `FAIL  …`.
    public var description: String { "\(passed ? "PASS" : "FAIL")  \(name): \(explanation)" }
}

/// The three checks of the lectures' "babysitting the learning process", with an overall verdict.
public struct SanityReport: CustomStringConvertible {
    /// Each check's outcome, in the order run.
    public var checks: [SanityCheckResult]
    /// Whether every check passed.
    public var passed: Bool { checks.allSatisfy(\.passed) }

    public init(checks: [SanityCheckResult]) { self.checks = checks }

    /// The verdict in one line: `all 3 sanity checks passed`, or which failed.
    public var verdict: String {
        let failed = checks.filter { !$0.passed }.map(\.name)
        return failed.isEmpty ? "all \(checks.count) sanity checks passed"
            : "\(failed.count) of \(checks.count) sanity checks failed: \(failed.joined(separator: ", "))"
    }

    /// One line per check, then the verdict.
    public var description: String { (checks.map(\.description) + [verdict]).joined(separator: "\n") }
}

/// The settings of the sanity checks. The defaults follow the lectures, except the overfitting
/// optimizer (see `makeOptimizer`).
public struct SanityCheckOptions {
    /// Seed of the loss sample and the subset (the model's weights come from `modelFactory`'s
    /// generator, seeded with this too).
    public var seed: UInt64 = 1
    /// The loss. At zero scores softmax cross-entropy is `ln(C)` and the hinge loss `(C - 1) · margin`.
    public var loss: ClassificationLoss = .softmaxCrossEntropy
    /// Examples the initial loss is measured on: a seeded random sample (all of them when fewer).
    public var lossSampleSize = 500
    /// Check 1 passes when the initial loss is within this fraction of its chance value.
    ///
    /// Why 5%: with near-zero scores a correct loss gives the chance value to many digits; the
    /// check must only allow scores that are small but not zero (softmax cross-entropy grows by about
    /// `σ²/2` for scores of standard deviation `σ`, so 5% of ln(10) admits σ up to about 0.5), while
    /// the mistakes it is meant to catch — a sum instead of a mean, a missing log, probabilities in
    /// place of scores, weights far from small — move it by much more.
    public var initialLossTolerance = 0.05
    /// Check 2 compares the loss without regularization with the loss at this strength (the
    /// lectures' 1e3).
    public var regularization = 1e3
    /// Examples in check 3's tiny subset (a seeded random sample of the data).
    public var subsetSize = 20
    /// The most full-batch epochs (one step each) check 3 may take to reach 100% training accuracy.
    public var maxEpochs = 200
    /// The update rule of check 3, made for the fresh model's parameters. The lectures use SGD at
    /// 1e-3 and need ~195 epochs on CIFAR-10; Adam at 1e-3 (the default) gets there in tens of epochs,
    /// whatever the scale of the weights.
    public var makeOptimizer: ([(name: String, variable: Variable)]) throws -> any Optimizer = {
        try Adam($0, learningRate: 1e-3)
    }

    public init() {}
}

/// The lectures' sanity checks ("babysitting the learning process"), run before a long training:
///
/// 1. **Initial loss**: with small weights and no regularization the loss is chance level, `ln(C)`
///    (2.3026 for 10 classes).
/// 2. **Regularization**: turning the regularization up (0 → 1e3) raises the loss.
/// 3. **Overfitting**: a tiny subset (20 examples) trained without regularization reaches 100%
///    training accuracy.
///
/// Each check builds a fresh model from `modelFactory` with a generator seeded by `options.seed`, so
/// each is reproducible and independent of the others. The model is measured **as the factory builds
/// it**: checks 1 and 2 want small weights (the lectures use `0.0001 · randn`, i.e.
/// `.gaussian(scale: 1e-4)`, which is `nabla sanity`'s default `--init`); a model whose weights are
/// large fails check 1, which says that its initial scores are far from zero. Check 3 is best given
/// the initialization used for training (see `runSanityChecks`). Losses are measured in training
/// mode (the loss the first training step sees; batch norm uses the batch's statistics) without
/// recording a graph.
public enum SanityChecks {
    /// Check 1: the loss of the fresh model, without regularization, is its chance value.
    public static func initialLoss(modelFactory: (inout RandomGenerator) throws -> any Module, data: Dataset,
                                   options: SanityCheckOptions = SanityCheckOptions()) throws -> SanityCheckResult {
        let sample = try lossSample(data, options)
        let loss = try measureLoss(modelFactory, sample, classCount: data.classCount, regularization: 0, options)
        let (expected, label) = chanceLoss(classCount: data.classCount, options.loss)
        let offBy = (loss - expected) / expected
        let numbers = "loss \(Trainer.format(loss)) on \(sample.labels.count) examples, \(label) = \(Trainer.format(expected))"
            + " (\(percent(offBy)), tolerance ±\(percent(options.initialLossTolerance, signed: false)))"
        let passed = loss.isFinite && Swift.abs(offBy) <= options.initialLossTolerance
        let why: String
        if passed {
            why = "chance level, as it should be before training"
        } else if !loss.isFinite {
            why = "the loss is not finite: the loss or the forward pass is broken"
        } else if offBy > 0 {
            why = "far above chance: the initial scores are not near zero — the weights are too large for this check (use small ones, e.g. gaussian 0.0001) or the loss "
                + "is computed wrong"
        } else {
            why = "below chance before any training: the loss is computed wrong (or it does not average over classes as expected)"
        }
        return SanityCheckResult(name: "initial loss", measurements: [("loss", loss), ("expected", expected), ("examples", Double(sample.labels.count))],
                                 passed: passed, explanation: "\(numbers): \(why)")
    }

    /// Check 2: the loss of the fresh model rises when the regularization goes from 0 to
    /// `options.regularization`. Both losses are measured on models built from the same seed, so
    /// they see the same weights (and the same dropout masks).
    public static func regularization(modelFactory: (inout RandomGenerator) throws -> any Module, data: Dataset,
                                      options: SanityCheckOptions = SanityCheckOptions()) throws -> SanityCheckResult {
        guard options.regularization > 0, options.regularization.isFinite else {
            throw TrainingError("the regularization check needs a positive strength, got \(options.regularization)")
        }
        let sample = try lossSample(data, options)
        let without = try measureLoss(modelFactory, sample, classCount: data.classCount, regularization: 0, options)
        let with = try measureLoss(modelFactory, sample, classCount: data.classCount, regularization: options.regularization, options)
        let rise = with - without
        // A rise lost in rounding is no rise: ask for more than float32's resolution of the loss.
        let passed = rise.isFinite && rise > 1e-6 * Swift.max(1, Swift.abs(without))
        let strength = Tensor.format(options.regularization)
        let numbers = "loss \(Trainer.format(without)) at reg 0 → \(Trainer.format(with)) at reg \(strength) (\(rise >= 0 ? "+" : "")\(Trainer.format(rise)))"
        let why = passed ? "regularization raises the loss, as it should"
            : "raising the regularization did not raise the loss: the penalty is not added to the loss, or the model has no weights to penalize"
        return SanityCheckResult(name: "regularization", measurements: [("loss", without), ("regularized loss", with), ("strength", options.regularization)],
                                 passed: passed, explanation: "\(numbers): \(why)")
    }

    /// Check 3: a tiny subset, trained full-batch without regularization, reaches 100% training
    /// accuracy (in evaluation mode) within `options.maxEpochs` steps; it stops as soon as it does.
    public static func overfitting(modelFactory: (inout RandomGenerator) throws -> any Module, data: Dataset,
                                   options: SanityCheckOptions = SanityCheckOptions()) throws -> SanityCheckResult {
        guard options.subsetSize >= 1 else { throw TrainingError("the subset must hold at least 1 example, got \(options.subsetSize)") }
        guard options.maxEpochs >= 1 else { throw TrainingError("the overfitting check needs at least 1 epoch, got \(options.maxEpochs)") }
        guard data.count > 0 else { throw TrainingError("the data set is empty") }
        var picker = RandomGenerator(seed: options.seed &+ 2)
        let subset = data.subset(Array(picker.permutation(data.count).prefix(options.subsetSize)).sorted())
        var generator = RandomGenerator(seed: options.seed)
        let model = try modelFactory(&generator)
        let optimizer = try options.makeOptimizer(model.parameters())
        let batch = subset.batch(Array(0..<subset.count))
        var (accuracy, loss) = (0.0, Double.nan)
        var epochs = 0
        while epochs < options.maxEpochs {
            model.train()
            let logits = try checkedScores(model, batch.features, classCount: subset.classCount)
            let stepLoss = options.loss(logits, batch.labels)
            guard stepLoss.value.scalar.isFinite else { loss = stepLoss.value.scalar; break }
            optimizer.zeroGrad()
            stepLoss.backward()
            optimizer.step()
            epochs += 1
            (accuracy, loss) = Trainer.evaluate(model, on: subset, loss: options.loss)
            if accuracy == 1 || !loss.isFinite { break }
        }
        let passed = accuracy == 1
        let numbers = "training accuracy \(Trainer.format(accuracy)) on \(subset.count) examples after \(epochs) epoch\(epochs == 1 ? "" : "s"), loss \(Trainer.format(loss))"
        let why: String
        if passed {
            why = "the model can overfit a tiny subset, as it should"
        } else if !loss.isFinite {
            why = "the loss diverged: the learning rate is probably too high"
        } else {
            why = "the model cannot overfit \(subset.count) examples in \(options.maxEpochs) epochs: look for a bug in the model or its gradients, too low a learning "
                + "rate, weights too small to learn from, or too little capacity"
        }
        return SanityCheckResult(name: "overfit a tiny subset",
                                 measurements: [("accuracy", accuracy), ("epochs", Double(epochs)), ("loss", loss), ("examples", Double(subset.count))],
                                 passed: passed, explanation: "\(numbers): \(why)")
    }

    /// The loss of softmax cross-entropy or the hinge loss when every score is equal, with its name.
    public static func chanceLoss(classCount c: Int, _ loss: ClassificationLoss) -> (value: Double, label: String) {
        switch loss {
        // Equal scores give p_j = 1/C, so any target distribution costs ln C.
        case .softmaxCrossEntropy, .labelSmoothedCrossEntropy: return (Foundation.log(Double(c)), "ln(\(c))")
        case .multiclassHinge(let margin): return (Double(c - 1) * margin, "(C - 1)·margin")
        }
    }

    // MARK: - Helpers

    private static func lossSample(_ data: Dataset, _ options: SanityCheckOptions) throws -> Batch {
        guard data.count > 0 else { throw TrainingError("the data set is empty") }
        guard options.lossSampleSize >= 1 else { throw TrainingError("the loss sample must hold at least 1 example, got \(options.lossSampleSize)") }
        var picker = RandomGenerator(seed: options.seed &+ 1)
        return data.batch(Array(picker.permutation(data.count).prefix(options.lossSampleSize)).sorted())
    }

    /// The loss (plus `regularization`'s L2 penalty) of a model freshly built from the seed, in
    /// training mode, without recording a graph.
    private static func measureLoss(_ modelFactory: (inout RandomGenerator) throws -> any Module, _ sample: Batch, classCount: Int,
                                    regularization: Double, _ options: SanityCheckOptions) throws -> Double {
        var generator = RandomGenerator(seed: options.seed)
        let model = try modelFactory(&generator)
        model.train()
        return try withoutGradients {
            var loss = options.loss(try checkedScores(model, sample.features, classCount: classCount), sample.labels)
            if let penalty = l2Penalty(model.parameters(), strength: regularization) { loss = loss + penalty }
            return loss.value.scalar
        }
    }

    /// The model's scores for `features`, checked to be `[N, classCount]`.
    private static func checkedScores(_ model: any Module, _ features: Tensor, classCount: Int) throws -> Variable {
        let logits = model(Variable(features))
        guard logits.shape == [features.shape[0], classCount] else {
            throw TrainingError("the model outputs \(logits.shape) for \(features.shape[0]) examples; expected [\(features.shape[0]), \(classCount)] (one score per class)")
        }
        return logits
    }

    private static func percent(_ fraction: Double, signed: Bool = true) -> String {
        String(format: signed ? "%+.2f%%" : "%.0f%%", fraction * 100)
    }
}

/// Runs the three sanity checks of `SanityChecks`, in order: checks 1 and 2 on models from
/// `modelFactory`, check 3 on models from `overfitModelFactory` (when given; else `modelFactory`).
///
/// Checks 1 and 2 want small weights (the lectures' `0.0001 · randn`); check 3 is most telling with
/// the initialization the model will be trained with — a deep network whose weights all start at
/// 1e-4 learns very slowly (its activations vanish, as the lectures show), so it may fail to
/// overfit in time for reasons that have nothing to do with bugs.
///
/// ```swift
/// let spec = try ModelSpec.parse("linear(50), relu, linear(10)")
/// let report = try runSanityChecks(
///     modelFactory: { g in try spec.build(inputShape: [784], classCount: 10, initializer: .gaussian(scale: 1e-4), generator: &g).model },
///     overfitModelFactory: { g in try spec.build(inputShape: [784], classCount: 10, generator: &g).model },
///     data: train)
/// print(report)          // PASS  initial loss: loss 2.302585 on 500 examples, ln(10) = 2.302585 …
/// ```
/// - Throws: `TrainingError` for invalid options, an empty data set or a model whose output is not
///   one score per class; whatever a factory or `options.makeOptimizer` throws.
public func runSanityChecks(modelFactory: (inout RandomGenerator) throws -> any Module,
                            overfitModelFactory: ((inout RandomGenerator) throws -> any Module)? = nil,
                            data: Dataset, options: SanityCheckOptions = SanityCheckOptions()) throws -> SanityReport {
    let initialLoss = try SanityChecks.initialLoss(modelFactory: modelFactory, data: data, options: options)
    let regularization = try SanityChecks.regularization(modelFactory: modelFactory, data: data, options: options)
    let overfitting = if let overfitModelFactory {
        try SanityChecks.overfitting(modelFactory: overfitModelFactory, data: data, options: options)
    } else {
        try SanityChecks.overfitting(modelFactory: modelFactory, data: data, options: options)
    }
    return SanityReport(checks: [initialLoss, regularization, overfitting])
}
