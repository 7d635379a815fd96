/// RMSProp: `cache = ρ·cache + (1 - ρ)·g²; w -= lr·g / (sqrt(cache) + ε)`.
///
/// Adagrad with a leaky cache: a running average of squared gradients instead of their sum, so the
/// step size adapts to recent gradients and does not decay to zero (Hinton's lecture 6e).
///
/// As in `torch.optim.RMSprop` without its momentum and centered options (there ρ is called
/// `alpha`; state key `square_avg`; ε added after the square root; defaults `lr = 0.01`,
/// `ρ = 0.99`, `ε = 1e-8`). The average starts at zero. `weightDecay` λ adds `λ·w` to the gradient
/// first.
public final class RMSProp: Optimizer {
    public var learningRate: Double
    /// How much of the running average survives each step, ρ (the lectures' `decay_rate`).
    public let rho: Double
    /// Added to the root of the average so that a weight with zero gradients does not divide by zero.
    public let epsilon: Double
    /// L2 penalty strength λ, added to the gradient as `λ·w`.
    public let weightDecay: Double
    public let slots: OptimizerSlots

    /// - Throws: `OptimizerError` for a negative or non-finite learning rate or weight decay, a ρ
    ///   outside `[0, 1)`, or an ε that is not positive.
    public init(_ parameters: [(name: String, variable: Variable)], learningRate: Double = 0.01,
                rho: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0) throws {
        try OptimizerError.check("learning rate", learningRate, .nonNegative)
        try OptimizerError.check("rho", rho, .unitInterval)
        try OptimizerError.check("epsilon", epsilon, .positive)
        try OptimizerError.check("weight decay", weightDecay, .nonNegative)
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.slots = try OptimizerSlots(parameters, names: ["square_avg"])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func update<T: TensorScalar>(_ p: ParameterUpdate<T>) {
        let lr = T(learningRate), rho = T(self.rho), eps = T(epsilon), wd = T(weightDecay)
        let w = p.value, g = p.gradient, cache = p.slots[0]
        for i in 0..<p.count {
            let grad = g[i] + wd * w[i]
            cache[i] = rho * cache[i] + (1 - rho) * grad * grad
            w[i] -= lr * grad / (cache[i].squareRoot() + eps)
        }
    }
}

extension RMSProp: CustomStringConvertible {
    public var description: String {
        "RMSProp(learningRate: \(learningRate), rho: \(rho), epsilon: \(epsilon), weightDecay: \(weightDecay))"
    }
}
