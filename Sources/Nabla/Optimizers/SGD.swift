/// Stochastic gradient descent: `w -= lr * g`.
///
/// The plainest rule of the lectures: a step against the gradient, scaled by the learning rate.
/// With `weightDecay` λ > 0 the L2 penalty's gradient is added to the gradient first,
/// `g ← g + λ·w`, as `torch.optim.SGD(weight_decay=λ)` does (it is the gradient of `λ/2·Σw²`).
/// No state is kept.
///
/// ```swift
/// let optimizer = try SGD(model.parameters(), learningRate: 0.1)
/// ```
public final class SGD: Optimizer {
    public var learningRate: Double
    /// L2 penalty strength λ, added to the gradient as `λ·w`.
    public let weightDecay: Double
    public let slots: OptimizerSlots

    /// - Throws: `OptimizerError` for a negative or non-finite learning rate or weight decay,
    ///   or an empty or duplicated parameter list.
    public init(_ parameters: [(name: String, variable: Variable)], learningRate: Double,
                weightDecay: Double = 0) throws {
        try OptimizerError.check("learning rate", learningRate, .nonNegative)
        try OptimizerError.check("weight decay", weightDecay, .nonNegative)
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.slots = try OptimizerSlots(parameters, names: [])
    }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func update<T: TensorScalar>(_ p: ParameterUpdate<T>) {
        let lr = T(learningRate), wd = T(weightDecay)
        let w = p.value, g = p.gradient
        for i in 0..<p.count {
            let grad = g[i] + wd * w[i]
            w[i] -= lr * grad
        }
    }
}

extension SGD: CustomStringConvertible {
    public var description: String { "SGD(learningRate: \(learningRate), weightDecay: \(weightDecay))" }
}
