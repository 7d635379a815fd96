/// Adagrad: `cache += g²; w -= lr·g / (sqrt(cache) + ε)`.
///
/// Each weight gets its own step size, shrinking with the sum of all its squared gradients so far:
/// weights with large gradients slow down, rarely-moved ones keep large steps. Because the cache
/// only grows, the effective rate decays to zero over a long run (RMSProp fixes that).
///
/// As in `torch.optim.Adagrad` (state key `sum`, ε added after the square root, defaults
/// `lr = 0.01`, `ε = 1e-10`); `weightDecay` λ adds `λ·w` to the gradient first. PyTorch's
/// `lr_decay` is left to a learning-rate schedule.
public final class Adagrad: Optimizer {
    public var learningRate: Double
    /// Added to the root of the cache so that a weight whose gradients have all been zero does not divide by zero.
    public let epsilon: Double
    /// L2 penalty strength λ, added to the gradient as `λ·w`.
    public let weightDecay: Double
    public let slots: OptimizerSlots

    /// - Throws: `OptimizerError` for a negative or non-finite learning rate or weight decay, or an
    ///   ε that is not positive.
    public init(_ parameters: [(name: String, variable: Variable)], learningRate: Double = 0.01,
                epsilon: Double = 1e-10, weightDecay: Double = 0) throws {
        try OptimizerError.check("learning rate", learningRate, .nonNegative)
        try OptimizerError.check("epsilon", epsilon, .positive)
        try OptimizerError.check("weight decay", weightDecay, .nonNegative)
        self.learningRate = learningRate
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.slots = try OptimizerSlots(parameters, names: ["sum"])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func update<T: TensorScalar>(_ p: ParameterUpdate<T>) {
        let lr = T(learningRate), eps = T(epsilon), wd = T(weightDecay)
        let w = p.value, g = p.gradient, cache = p.slots[0]
        for i in 0..<p.count {
            let grad = g[i] + wd * w[i]
            cache[i] += grad * grad
            w[i] -= lr * grad / (cache[i].squareRoot() + eps)
        }
    }
}

extension Adagrad: CustomStringConvertible {
    public var description: String {
        "Adagrad(learningRate: \(learningRate), epsilon: \(epsilon), weightDecay: \(weightDecay))"
    }
}
