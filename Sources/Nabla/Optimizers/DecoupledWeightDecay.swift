/// Decoupled weight decay for any update rule (Loshchilov & Hutter): before the rule's step, every
/// parameter that has a gradient shrinks by the same fraction of itself, `w -= lr·λ·w`, outside
/// the rule. `DecoupledWeightDecay(Adam(…), weightDecay: λ)` computes exactly what `AdamW` does.
///
/// ```swift
/// let optimizer = try DecoupledWeightDecay(Momentum(model.parameters(), learningRate: 0.05), weightDecay: 5e-4)
/// ```
///
/// How it differs from an L2 penalty (`l2Penalty`, the trainer's `regularization`): the penalty
/// `λ Σ w²` adds `2λ·w` to the gradient, which then goes through the rule (accumulated by momentum,
/// rescaled by Adam's per-weight scale); decoupled decay does not. For plain SGD the two agree:
/// decay `λ` is a penalty of strength `λ / 2`. Every parameter is decayed, biases and
/// batch-norm scales too, as PyTorch's `weight_decay` does.
///
/// The rule's state is the wrapped rule's (`state()` has the same entries), so a checkpoint does
/// not depend on whether decay is on.
public final class DecoupledWeightDecay: Optimizer {
    /// The update rule that takes the step after the decay.
    public let rule: any Optimizer
    /// λ: each step multiplies the weights by `1 - lr·λ`.
    public let weightDecay: Double

    /// - Throws: `OptimizerError` for a negative or non-finite weight decay.
    public init(_ rule: any Optimizer, weightDecay: Double) throws {
        try OptimizerError.check("weight decay", weightDecay, .nonNegative)
        self.rule = rule
        self.weightDecay = weightDecay
    }

    public var learningRate: Double {
        get { rule.learningRate }
        set { rule.learningRate = newValue }
    }

    public var slots: OptimizerSlots { rule.slots }

    public func update<T: TensorScalar>(_ parameter: ParameterUpdate<T>) { rule.update(parameter) }

    public func step() {
        // The factor in Double first, then in the parameter's type, as AdamW computes it.
        let factor = 1 - learningRate * weightDecay
        for (_, variable) in slots.parameters where variable.grad != nil {
            variable.value.makeUnique()
            switch variable.value.dtype {
            case .float32: Self.scale(variable.value.pointer(Float.self), variable.value.count, by: Float(factor))
            case .float64: Self.scale(variable.value.pointer(Double.self), variable.value.count, by: factor)
            }
        }
        rule.step()
    }

    private static func scale<T: TensorScalar>(_ w: UnsafeMutablePointer<T>, _ count: Int, by factor: T) {
        for i in 0..<count { w[i] *= factor }
    }
}

extension DecoupledWeightDecay: CustomStringConvertible {
    public var description: String { "DecoupledWeightDecay(\(rule), weightDecay: \(weightDecay))" }
}
