import Foundation

/// Adam: momentum on the gradient plus RMSProp's per-weight scale, both bias-corrected.
///
/// ```
/// m = β1·m + (1 - β1)·g            first moment (momentum)
/// v = β2·v + (1 - β2)·g²           second moment (RMSProp's cache)
/// m̂ = m / (1 - β1ᵗ);  v̂ = v / (1 - β2ᵗ)
/// w -= lr·m̂ / (sqrt(v̂) + ε)
/// ```
///
/// `m` and `v` start at zero, which biases them towards zero early on; dividing by `1 - βᵗ` (with
/// `t` the number of updates this parameter has had, from 1) removes that bias, so the first step
/// is about `lr·sign(g)`. Computed as `torch.optim.Adam` does, folding the corrections into two
/// scalars: `w -= (lr / (1 - β1ᵗ))·m / (sqrt(v) / sqrt(1 - β2ᵗ) + ε)`. State keys `exp_avg`,
/// `exp_avg_sq` and the per-parameter `step`; defaults `lr = 1e-3`, `β = (0.9, 0.999)`, `ε = 1e-8`.
/// `weightDecay` λ is the L2 penalty added to the gradient (`g + λ·w`), as in PyTorch's Adam; for
/// decoupled decay use `AdamW`.
public final class Adam: Optimizer {
    public var learningRate: Double
    /// Decay of the first-moment average, β1.
    public let beta1: Double
    /// Decay of the second-moment average, β2.
    public let beta2: Double
    /// Added to the root of the second moment, ε.
    public let epsilon: Double
    /// L2 penalty strength λ, added to the gradient as `λ·w`.
    public let weightDecay: Double
    public let slots: OptimizerSlots

    /// - Throws: `OptimizerError` for a negative or non-finite learning rate or weight decay, a β
    ///   outside `[0, 1)`, or an ε that is not positive.
    public init(_ parameters: [(name: String, variable: Variable)], learningRate: Double = 1e-3,
                beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0) throws {
        try OptimizerError.check("learning rate", learningRate, .nonNegative)
        try OptimizerError.check("beta1", beta1, .unitInterval)
        try OptimizerError.check("beta2", beta2, .unitInterval)
        try OptimizerError.check("epsilon", epsilon, .positive)
        try OptimizerError.check("weight decay", weightDecay, .nonNegative)
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.slots = try OptimizerSlots(parameters, names: ["exp_avg", "exp_avg_sq"])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func update<T: TensorScalar>(_ p: ParameterUpdate<T>) {
        // Bias corrections in Double, as PyTorch computes them in Python floats.
        let t = Double(p.step)
        let stepSize = T(learningRate / (1 - pow(beta1, t)))
        let correction2 = T((1 - pow(beta2, t)).squareRoot())
        let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon), wd = T(weightDecay)
        let w = p.value, g = p.gradient, m = p.slots[0], v = p.slots[1]
        for i in 0..<p.count {
            let grad = g[i] + wd * w[i]
            m[i] = b1 * m[i] + (1 - b1) * grad
            v[i] = b2 * v[i] + (1 - b2) * grad * grad
            w[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
        }
    }
}

extension Adam: CustomStringConvertible {
    public var description: String {
        "Adam(learningRate: \(learningRate), beta1: \(beta1), beta2: \(beta2), epsilon: \(epsilon), weightDecay: \(weightDecay))"
    }
}
