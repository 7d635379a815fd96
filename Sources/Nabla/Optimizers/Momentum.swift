/// SGD with momentum, in PyTorch's form: `buf = μ·buf + g; w -= lr·buf`.
///
/// The lectures write it with a velocity: `v = μ·v - lr·g; w += v`. The two are one rule: if
/// `v = -lr·buf` before a step, then after it `v = μ·v - lr·g = -lr·(μ·buf + g) = -lr·buf` again,
/// and both move `w` by the same amount, so with a constant learning rate they give the same
/// weights (up to rounding). They differ only when the learning rate changes: the lecture's
/// velocity keeps the steps taken at the old rate, while PyTorch's buffer is scaled by the new
/// rate at once. Nabla follows PyTorch, so that runs with a schedule reproduce PyTorch's curves
/// and the buffer is the same number as `torch.optim.SGD`'s `momentum_buffer` (its state key).
///
/// The buffer starts at zero, so after the first step it equals the first gradient, as in PyTorch
/// (which copies the first gradient into it). `weightDecay` λ adds `λ·w` to the gradient first.
public final class Momentum: Optimizer {
    public var learningRate: Double
    /// How much of the buffer survives each step, μ (the lectures use 0.5, 0.9, 0.95, 0.99).
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
            w[i] -= lr * buf[i]
        }
    }
}

extension Momentum: CustomStringConvertible {
    public var description: String {
        "Momentum(learningRate: \(learningRate), momentum: \(momentum), weightDecay: \(weightDecay))"
    }
}
