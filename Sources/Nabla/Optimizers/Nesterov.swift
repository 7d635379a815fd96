/// Nesterov momentum, in PyTorch's form (`SGD(nesterov=True)`):
/// `buf = μ·buf + g; w -= lr·(g + μ·buf)`.
///
/// Nesterov evaluates the gradient at the "looked-ahead" point the momentum is about to carry the
/// weights to. The lectures (CS231n) write it with a velocity:
/// `v_prev = v; v = μ·v - lr·g; w += -μ·v_prev + (1 + μ)·v`. With `v = -lr·buf` (see `Momentum`)
/// that step is `lr·μ·buf_prev - lr·(1 + μ)·buf = -lr·(buf - μ·buf_prev) - lr·μ·buf = -lr·(g + μ·buf)`,
/// since `buf - μ·buf_prev = g`: with a constant learning rate both forms give the same weights (up
/// to rounding); PyTorch's rescales the whole buffer at once when the rate changes.
///
/// The buffer (state key `momentum_buffer`) starts at zero, so after the first step it is the first
/// gradient. `weightDecay` λ adds `λ·w` to the gradient first.
public final class Nesterov: Optimizer {
    public var learningRate: Double
    /// How much of the buffer survives each step, μ.
    public let momentum: Double
    /// L2 penalty strength λ, added to the gradient as `λ·w`.
    public let weightDecay: Double
    public let slots: OptimizerSlots

    /// - Throws: `OptimizerError` for a negative or non-finite learning rate or weight decay, or a
    ///   momentum outside `[0, 1)`.
    public init(_ parameters: [(name: String, variable: Variable)], learningRate: Double,
                momentum: Double = 0.9, weightDecay: Double = 0) throws {
        try OptimizerError.check("learning rate", learningRate, .nonNegative)
        try OptimizerError.check("momentum", momentum, .unitInterval)
        try OptimizerError.check("weight decay", weightDecay, .nonNegative)
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.slots = try OptimizerSlots(parameters, names: ["momentum_buffer"])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func update<T: TensorScalar>(_ p: ParameterUpdate<T>) {
        let lr = T(learningRate), mu = T(momentum), wd = T(weightDecay)
        let w = p.value, g = p.gradient, buf = p.slots[0]
        for i in 0..<p.count {
            let grad = g[i] + wd * w[i]
            buf[i] = mu * buf[i] + grad
            w[i] -= lr * (grad + mu * buf[i])
        }
    }
}

extension Nesterov: CustomStringConvertible {
    public var description: String {
        "Nesterov(learningRate: \(learningRate), momentum: \(momentum), weightDecay: \(weightDecay))"
    }
}
