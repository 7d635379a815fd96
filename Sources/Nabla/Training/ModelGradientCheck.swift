import Foundation

/// How a gradient check's relative error reads, by the lectures' rule of thumb for double precision.
public enum GradientCheckVerdict: Int, Comparable, CustomStringConvertible, Sendable {
    /// Below `okThreshold` (1e-6): the analytic gradient is right.
    case ok
    /// Below `warningThreshold` (1e-4): usually fine where the function has kinks (ReLU, max
    /// pooling, maxout), whose finite differences can straddle the kink; suspicious for smooth ones.
    case warning
    /// At or above 1e-4 (or not a number): the analytic gradient is probably wrong.
    case fail

    /// Relative errors below this are `ok`.
    public static let okThreshold = 1e-6
    /// Relative errors below this (and not `ok`) are a `warning`.
    public static let warningThreshold = 1e-4

    /// The verdict for a relative error.
    public init(relativeError e: Double) {
        self = e < Self.okThreshold ? .ok : e < Self.warningThreshold ? .warning : .fail
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String { ["ok", "warning", "fail"][rawValue] }
}

/// The gradient check of one parameter tensor: the worst relative error over the elements checked.
public struct ParameterGradientCheck: CustomStringConvertible {
    /// The parameter's dotted name (`0.weight`).
    public var name: String
    /// The parameter's shape.
    public var shape: [Int]
    /// How many elements were compared (all, or a seeded random sample of a big tensor).
    public var checkedCount: Int
    /// The worst relative error, `|a - n| / max(|a|, |n|)` (see `relativeError`).
    public var maxRelativeError: Double
    /// The index of the worst element.
    public var worstIndex: [Int]
    /// The analytic and (centered) numeric derivatives at the worst element.
    public var analytic: Double
    public var numeric: Double
    /// Elements whose error would fail but is explained by a kink: the one-sided differences
    /// `(L(θ+h) - L(θ)) / h` and `(L(θ) - L(θ-h)) / h` disagree and the analytic derivative lies
    /// between them, as happens when a relu or max input crosses (or sits at) its kink within the
    /// step. They count as a `warning`, however large their error.
    public var kinkCount: Int
    /// The worst verdict over the checked elements (a kink's at most `warning`).
    public var verdict: GradientCheckVerdict

    /// The number of elements in the tensor.
    public var count: Int { shape.reduce(1, *) }
    /// Whether only a sample of the elements was compared.
    public var isSampled: Bool { checkedCount < count }

    public var description: String {
        "\(name) \(shape): max relative error \(Tensor.format(maxRelativeError)) at \(worstIndex) (analytic \(analytic), numeric \(numeric)), "
            + "\(checkedCount) of \(count) checked\(kinkCount > 0 ? ", \(kinkCount) at kinks" : ""): \(verdict)"
    }
}

/// The gradient check of a whole model: one entry per parameter tensor.
public struct ModelGradientCheckResult: CustomStringConvertible {
    /// One entry per parameter tensor, in `parameters()` order.
    public var parameters: [ParameterGradientCheck]
    /// The loss at the checked point.
    public var loss: Double
    /// The finite-difference step used.
    public var step: Double
    /// The floor of the relative errors used (see `ModelGradientCheckOptions.floor`).
    public var floor: Double

    /// The worst relative error over all tensors.
    public var maxRelativeError: Double { parameters.map(\.maxRelativeError).max() ?? 0 }
    /// The worst tensor's verdict.
    public var verdict: GradientCheckVerdict { parameters.map(\.verdict).max() ?? .ok }
    /// Whether no tensor failed (warnings pass).
    public var passed: Bool { verdict != .fail }

    public var description: String {
        (parameters.map(\.description) + ["verdict: \(verdict) (max relative error \(Tensor.format(maxRelativeError)))"])
            .joined(separator: "\n")
    }
}

/// Settings of `checkModelGradients`.
public struct ModelGradientCheckOptions {
    /// The centered-difference step `h` in `(L(θ + h) - L(θ - h)) / 2h`. 1e-5 balances the rounding
    /// error of the loss in Double (~1e-16 · L / h) against the truncation error (~h²).
    public var step = 1e-5
    /// Tensors with more elements than this are checked on a seeded random sample of this many.
    public var maxElementsPerTensor = 50
    /// Seed of the element samples.
    public var seed: UInt64 = 0
    /// The loss whose gradient is checked.
    public var loss: ClassificationLoss = .softmaxCrossEntropy
    /// L2 regularization strength added to the loss (0: the data loss alone).
    public var regularization = 0.0
    /// Check in training mode (the default: dropout drops, with its mask replayed for every
    /// evaluation; batch norm uses batch statistics) or in evaluation mode.
    public var training = true
    /// Derivatives whose magnitudes are both below this are compared against it instead (see
    /// `relativeError`). `nil` (the default) picks `ε · max(1, |L|) / (h · 1e-6)` with `ε` Double's
    /// machine epsilon: a difference quotient cannot resolve a derivative smaller than that to the
    /// `ok` threshold, because one rounding step of the loss, divided by `h`, is already 1e-6 of it
    /// (about 5e-5 for a loss of 2.3 and `h` = 1e-5). Without it, a derivative that is zero in exact
    /// arithmetic (the bias of a layer followed by batch norm) reads as a relative error of ~1.
    public var floor: Double? = nil

    public init() {}
}

/// Compares the backpropagated gradient of the loss with centered finite differences, for every
/// parameter tensor of `model`, on one batch, in double precision.
///
/// The model must hold its parameters in Double (`ModelSpec.build(…, dtype: .float64, …)`); the
/// batch's features are converted. Every evaluation of the loss starts from the same state, so the
/// loss is one deterministic function of the parameters: each `Dropout` layer's mask generator is
/// rewound before every forward pass (the same mask each time, so dropout's backward is checked
/// too), and buffers (batch norm's running statistics) are restored. In training mode batch norm
/// normalizes with the batch's own statistics, which depend on the parameters — part of the
/// function checked. Afterwards the model is as it was: parameters, buffers, dropout generators and
/// the train/eval flags of dropout and batch norm restored, gradients cleared.
///
/// Randomness inside user-defined modules is not rewound: such a module must be deterministic.
///
/// - Throws: `TrainingError` when a parameter is not Double, the model has no parameters, or its
///   output is not one score per class.
public func checkModelGradients(_ model: any Module, batch: Batch,
                                options: ModelGradientCheckOptions = ModelGradientCheckOptions()) throws -> ModelGradientCheckResult {
    let parameters = model.parameters()
    guard !parameters.isEmpty else { throw TrainingError("the model has no parameters to check") }
    if let single = parameters.first(where: { $0.variable.dtype != .float64 }) {
        throw TrainingError("gradient checking needs a model in Double, but \(single.name) is \(single.variable.dtype): build it with dtype: .float64")
    }
    guard options.step > 0, options.step.isFinite else { throw TrainingError("the step must be positive, got \(options.step)") }
    guard options.maxElementsPerTensor >= 1 else { throw TrainingError("check at least 1 element per tensor, got \(options.maxElementsPerTensor)") }

    // The state every evaluation starts from, and the state to give back.
    // Every evaluation starts from the same random draws and buffers, so that the loss is one function.
    let modules = model.modules().map(\.module).filter { $0.children.isEmpty }
    let modes = modules.map(\.isTraining)
    let randomStates = model.randomStates()
    let buffers = model.buffers().map { ($0.variable, $0.variable.value) }
    defer {
        for (module, training) in zip(modules, modes) { module.setTraining(training) }
        model.loadRandomStates(randomStates)
        for (variable, value) in buffers { variable.value = value }
        model.zeroGrad()
    }
    model.setTraining(options.training)

    let features = batch.features.converted(to: .float64), labels = batch.labels
    func loss() throws -> Variable {
        model.loadRandomStates(randomStates)
        for (variable, value) in buffers { variable.value = value }
        let logits = model(Variable(features))
        guard logits.shape.count == 2, logits.shape[0] == labels.count, labels.allSatisfy({ $0 < logits.shape[1] }) else {
            throw TrainingError("the model outputs \(logits.shape) for \(labels.count) examples; expected one score per class")
        }
        var total = options.loss(logits, labels)
        if let penalty = l2Penalty(parameters, strength: options.regularization) { total = total + penalty }
        return total
    }

    // Analytic gradients.
    model.zeroGrad()
    let objective = try loss()
    objective.backward()
    let analytic = parameters.map { $0.variable.grad ?? Tensor.zeros(like: $0.variable.value) }
    let center = objective.value.scalar
    let h = options.step
    let floor = options.floor ?? Double.ulpOfOne * Swift.max(1, Swift.abs(center)) / (h * GradientCheckVerdict.okThreshold)

    // Numeric gradients of the sampled elements.
    var sampler = RandomGenerator(seed: options.seed)
    var entries: [ParameterGradientCheck] = []
    try withoutGradients {
        for ((name, p), grad) in zip(parameters, analytic) {
            let n = p.value.count
            let elements = n <= options.maxElementsPerTensor ? Array(0..<n)
                : Array(sampler.permutation(n).prefix(options.maxElementsPerTensor)).sorted()
            var entry = ParameterGradientCheck(name: name, shape: p.shape, checkedCount: elements.count, maxRelativeError: 0,
                                               worstIndex: [], analytic: 0, numeric: 0, kinkCount: 0, verdict: .ok)
            var worst: (verdict: GradientCheckVerdict, error: Double)? = nil
            for k in elements {
                let original = p.value[flat: k]
                p.value[flat: k] = original + h
                let up = try loss().value.scalar
                p.value[flat: k] = original - h
                let down = try loss().value.scalar
                p.value[flat: k] = original
                let numeric = (up - down) / (2 * h), a = grad[flat: k]
                var error = relativeError(a, numeric, floor: floor)
                if error.isNaN { error = .infinity }
                var verdict = GradientCheckVerdict(relativeError: error)
                if verdict == .fail && isKink(analytic: a, forward: (up - center) / h, backward: (center - down) / h, floor: floor) {
                    verdict = .warning
                    entry.kinkCount += 1
                }
                entry.maxRelativeError = Swift.max(entry.maxRelativeError, error)
                if worst == nil || (verdict, error) > (worst!.verdict, worst!.error) {
                    worst = (verdict, error)
                    entry.worstIndex = p.value.index(ofFlat: k)
                    entry.analytic = a
                    entry.numeric = numeric
                    entry.verdict = verdict
                }
            }
            entries.append(entry)
        }
    }
    return ModelGradientCheckResult(parameters: entries, loss: center, step: h, floor: floor)
}

/// Whether a failed comparison is explained by a kink within the step: the one-sided differences
/// disagree by more than 1% (a smooth function's differ only by `h · |L''|`), and the analytic
/// derivative lies between them (widened by 1% of their gap), as the derivative on one side of the
/// kink, or a subgradient at it, does. A wrong derivative lies outside unless its error is below the
/// curvature term `h · |L''| / 2`.
func isKink(analytic a: Double, forward: Double, backward: Double, floor: Double) -> Bool {
    guard relativeError(forward, backward, floor: floor) > 1e-2 else { return false }
    let slack = 0.01 * Swift.abs(forward - backward)
    return a >= Swift.min(forward, backward) - slack && a <= Swift.max(forward, backward) + slack
}
