import Foundation

/// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), `w -= lr·λ·w` and then Adam's step.
///
/// In `Adam`, an L2 penalty's gradient `λ·w` goes through the adaptive scale like any gradient, so
/// weights with large gradient history are barely decayed. AdamW shrinks every weight by the same
/// fraction `lr·λ` instead, outside the adaptive scale:
///
/// ```
/// w = w - lr·λ·w
/// m = β1·m + (1 - β1)·g;  v = β2·v + (1 - β2)·g²
/// w -= (lr / (1 - β1ᵗ))·m / (sqrt(v) / sqrt(1 - β2ᵗ) + ε)
/// ```
///
/// As `torch.optim.AdamW` (decay applied first, scaled by the current learning rate; default
/// `λ = 0.01`; state keys `exp_avg`, `exp_avg_sq`, `step`).
public final class AdamW: Optimizer {
    public var learningRate: Double
    /// Decay of the first-moment average, β1.
    public let beta1: Double
    /// Decay of the second-moment average, β2.
    public let beta2: Double
    /// Added to the root of the second moment, ε.
    public let epsilon: Double
    /// Decoupled decay λ: each step multiplies the weights by `1 - lr·λ`.
    public let weightDecay: Double
    public let slots: OptimizerSlots

    /// - Throws: `OptimizerError` for a negative or non-finite learning rate or weight decay, a β
    ///   outside `[0, 1)`, or an ε that is not positive.
    public init(_ parameters: [(name: String, variable: Variable)], learningRate: Double = 1e-3,
                beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0.01) throws {
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
        let t = Double(p.step)
        let shrink = T(1 - learningRate * weightDecay)
        let stepSize = T(learningRate / (1 - pow(beta1, t)))
        let correction2 = T((1 - pow(beta2, t)).squareRoot())
        let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon)
        let w = p.value, g = p.gradient, m = p.slots[0], v = p.slots[1]
        for i in 0..<p.count {
            w[i] *= shrink
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            w[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
        }
    }
}

extension AdamW: CustomStringConvertible {
    public var description: String {
        "AdamW(learningRate: \(learningRate), beta1: \(beta1), beta2: \(beta2), epsilon: \(epsilon), weightDecay: \(weightDecay))"
    }
}
