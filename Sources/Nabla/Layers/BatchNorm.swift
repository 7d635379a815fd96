/// Batch normalization (Ioffe & Szegedy) for dense `[N, F]` and convolutional `[N, C, H, W]`
/// inputs: each feature (axis 1) is normalized with statistics over the batch (and, for images,
/// over all positions), then scaled by a learned `γ` and shifted by a learned `β`.
///
/// Training mode normalizes with the batch's mean and biased variance, and updates running
/// averages as PyTorch does: `running = (1 - momentum) · running + momentum · batch`, where the
/// variance fed in is the unbiased one (`m / (m - 1)` times the biased one, `m` values per feature).
/// Evaluation mode normalizes with the running averages instead of the batch's statistics.
///
/// Initialization: `γ = 1`, `β = 0`, running mean 0, running variance 1. Saved names follow PyTorch:
/// `weight` (γ) and `bias` (β) as parameters, `running_mean` and `running_var` as buffers.
public final class BatchNorm: Module {
    /// The scale `γ`, `[featureCount]`.
    public let gamma: Variable
    /// The shift `β`, `[featureCount]`.
    public let beta: Variable
    /// The running mean of each feature, used in evaluation.
    public let runningMean: Variable
    /// The running (unbiased) variance of each feature, used in evaluation.
    public let runningVariance: Variable

    /// Features (dense) or channels (images): the size of axis 1 of the input.
    public let featureCount: Int
    /// Added to the variance before the square root.
    public let epsilon: Double
    /// The weight of each new batch in the running averages.
    public let momentum: Double
    /// Whether the layer uses and updates batch statistics (training) or uses the running ones.
    public private(set) var isTraining = true
    /// Sums the batch statistics over the replicas of data-parallel training, so that they are the
    /// global batch's (set by the trainer for the length of a run), or nil: this process's rows alone.
    public var replicaReduction: (any ReplicaReduction)?
    /// Values per feature in one example of the last input: 1 for dense `[N, F]`, `H·W` for images.
    public private(set) var valuesPerExample: Int?

    /// - Parameters:
    ///   - featureCount: the size of axis 1 of the input.
    ///   - epsilon: added to the variance for stability (1e-5, as in PyTorch).
    ///   - momentum: the weight of each batch in the running statistics (0.1, as in PyTorch).
    public init(_ featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, dtype: DType = .float32) {
        precondition(featureCount > 0, "BatchNorm: featureCount must be positive, got \(featureCount)")
        precondition(epsilon > 0 && momentum >= 0 && momentum <= 1,
                     "BatchNorm: needs epsilon > 0 and momentum in [0, 1], got \(epsilon) and \(momentum)")
        self.featureCount = featureCount
        self.epsilon = epsilon
        self.momentum = momentum
        gamma = Variable(.ones([featureCount], dtype: dtype), requiresGrad: true)
        beta = Variable(.zeros([featureCount], dtype: dtype), requiresGrad: true)
        runningMean = Variable(.zeros([featureCount], dtype: dtype))
        runningVariance = Variable(.ones([featureCount], dtype: dtype))
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.count >= 2 && x.shape[1] == featureCount,
                     "\(self): input of shape \(x.shape) has \(x.shape.count >= 2 ? "\(x.shape[1])" : "no") features on axis 1, expected \(featureCount)")
        precondition(x.dtype == gamma.dtype, "\(self): input is \(x.dtype), parameters are \(gamma.dtype)")
        valuesPerExample = x.shape[2...].reduce(1, *)
        guard isTraining else {
            return batchNorm(x, gamma: gamma, beta: beta, mean: runningMean.value, variance: runningVariance.value, epsilon: epsilon)
        }
        let placeholder = BatchSlice.current?.isPlaceholder ?? false
        if let replicaReduction {
            let (y, mean, variance, m) = batchNorm(x, gamma: gamma, beta: beta, epsilon: epsilon, counted: !placeholder) {
                replicaReduction.sumAcrossReplicas(&$0)
            }
            updateRunningStatistics(mean: mean, variance: variance, count: m)
            return y
        }
        if placeholder {
            // A stand-in row whose loss weighs nothing: its own statistics would be meaningless (one
            // value per feature), so it is normalized with the running ones, which it leaves alone.
            return batchNorm(x, gamma: gamma, beta: beta, mean: runningMean.value, variance: runningVariance.value, epsilon: epsilon)
        }
        let m = x.shape[0] * x.shape[2...].reduce(1, *)
        precondition(m > 1, "\(self): input of shape \(x.shape) has \(m) value(s) per feature; training needs more than 1")
        let (y, mean, variance) = batchNorm(x, gamma: gamma, beta: beta, epsilon: epsilon)
        updateRunningStatistics(mean: mean, variance: variance, count: m)
        return y
    }

    /// Moves the running statistics towards a batch's mean and (biased) variance of `count` values per feature.
    private func updateRunningStatistics(mean: Tensor, variance: Tensor, count m: Int) {
        let unbiased = m > 1 ? variance * (Double(m) / Double(m - 1)) : variance
        runningMean.value = runningMean.value * (1 - momentum) + mean * momentum
        runningVariance.value = runningVariance.value * (1 - momentum) + unbiased * momentum
    }

    public func setTraining(_ training: Bool) { isTraining = training }

    public var ownParameters: [(name: String, variable: Variable)] { [("weight", gamma), ("bias", beta)] }

    public var ownBuffers: [(name: String, variable: Variable)] {
        [("running_mean", runningMean), ("running_var", runningVariance)]
    }

    public var description: String {
        "BatchNorm(\(featureCount)"
            + (epsilon == 1e-5 ? "" : ", epsilon: \(epsilon)")
            + (momentum == 0.1 ? "" : ", momentum: \(momentum)") + ")"
    }
}

extension Module {
    /// Whether some batch norm of this model sees dense features (`[N, F]`, one value per feature
    /// per example), so that training on a batch of one row would normalize over a single value.
    /// Found by running `example` (`[1, …]`) through the model in evaluation mode, which updates
    /// nothing; false at once when the model has no batch norm.
    public func normalizesDenseFeatures(example: Tensor) -> Bool {
        let norms = modules().compactMap { $0.module as? BatchNorm }
        guard !norms.isEmpty else { return false }
        let training = isTraining
        eval()
        defer { setTraining(training) }
        _ = self(example)
        return norms.contains { $0.valuesPerExample == 1 }
    }
}
