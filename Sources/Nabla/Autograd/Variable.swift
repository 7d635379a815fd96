/// A node of the computational graph: a tensor value, and how to pass gradients back to the
/// nodes it was computed from.
///
/// Leaves are made by you (inputs, parameters); every differentiable op on variables returns a new
/// node that remembers its inputs and its local backward ("pullback"). `backward()` then applies the
/// chain rule from this node back to every leaf that requires a gradient.
///
/// ```swift
/// let x = Variable(.scalar(-2, dtype: .float64), requiresGrad: true)
/// let y = Variable(.scalar(5, dtype: .float64), requiresGrad: true)
/// let z = Variable(.scalar(-4, dtype: .float64), requiresGrad: true)
/// let f = (x + y) * z          // -12
/// f.backward()                 // x.grad = -4, y.grad = -4, z.grad = 3
/// ```
public final class Variable {
    /// The value computed in the forward pass. Optimizers update parameters' values in place.
    public var value: Tensor
    /// The gradient of the last `backward()` call's output with respect to this value, summed over
    /// calls until `zeroGrad()`. Kept only for leaves that require a gradient.
    public var grad: Tensor?
    /// Whether gradients flow to this node.
    public let requiresGrad: Bool
    /// The op that made this node (`"leaf"` for leaves), for error messages and graph printing.
    public let op: String

    /// The nodes this one was computed from.
    private(set) var inputs: [Variable]
    /// Maps the gradient of this node's value to the gradients of its inputs' values
    /// (`nil` for an input that needs none).
    private(set) var pullback: ((Tensor) -> [Tensor?])?

    /// A leaf: an input (`requiresGrad: false`) or a parameter (`requiresGrad: true`).
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.op = "leaf"
        self.inputs = []
        self.pullback = nil
    }

    /// A node computed by `op` from `inputs`. The graph is recorded only while gradients are
    /// enabled and some input requires a gradient; otherwise the node is a plain constant.
    public init(op: String, value: Tensor, inputs: [Variable], pullback: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.op = op
        let records = GradMode.isEnabled && inputs.contains { $0.requiresGrad }
        self.requiresGrad = records
        self.inputs = records ? inputs : []
        self.pullback = records ? pullback : nil
    }

    /// The shape of the value.
    public var shape: [Int] { value.shape }
    /// The element type of the value.
    public var dtype: DType { value.dtype }
    /// Whether this node was made by you rather than by an op.
    public var isLeaf: Bool { op == "leaf" }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// A leaf holding the same value, cut off from the graph (no gradient flows through it).
    public func detached() -> Variable { Variable(value) }

    /// Back-propagates from this node: computes the gradient of this value with respect to every
    /// leaf that requires one and adds it to the leaf's `grad`.
    ///
    /// - Parameter seed: the gradient of the final objective with respect to this value. May be
    ///   omitted only for a single-element value, where it is 1.
    /// - Parameter retainGraph: keep the recorded graph so that `backward` can run through it again.
    ///   By default the graph is released, freeing the values it kept for the backward pass.
    /// - Parameter onLeafGradient: called with each leaf as soon as its gradient is final (every
    ///   value computed from it has passed its part back), while backward goes on through the
    ///   rest of the graph: data-parallel training starts reducing those gradients then.
    public func backward(seed: Tensor? = nil, retainGraph: Bool = false, onLeafGradient: ((Variable) -> Void)? = nil) {
        precondition(requiresGrad, "backward: this value (from \(op)) does not depend on anything that requires a gradient")
        let seed = seed ?? {
            precondition(value.count == 1, "backward: a seed gradient is needed for a non-scalar value of shape \(shape)")
            return Tensor.ones(shape, dtype: dtype)
        }()
        precondition(seed.shape == shape, "backward: seed shape \(seed.shape) differs from value shape \(shape)")

        let order = topologicalOrder()
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        for node in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            if node.pullback == nil {
                // A leaf: accumulate into its stored gradient. Every node that uses it came earlier
                // in this reverse order, so nothing more will be added in this pass.
                if node.grad == nil { node.grad = g } else { node.grad! += g }
                onLeafGradient?(node)
                continue
            }
            let inputGrads = node.pullback!(g)
            precondition(inputGrads.count == node.inputs.count, "backward: \(node.op) returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
            for (input, inputGrad) in zip(node.inputs, inputGrads) where input.requiresGrad {
                guard let inputGrad else { continue }
                precondition(inputGrad.shape == input.shape,
                             "backward: \(node.op) gave a gradient of shape \(inputGrad.shape) for an input of shape \(input.shape)")
                let key = ObjectIdentifier(input)
                // A value used more than once receives the sum of all its contributions.
                if grads[key] == nil { grads[key] = inputGrad } else { grads[key]! += inputGrad }
            }
            if !retainGraph { node.release() }
        }
    }

    /// The nodes this one depends on that require gradients, each after all of its inputs.
    func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: deep graphs (long unrolled loops) must not overflow the stack.
        var stack: [(node: Variable, expanded: Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            // The first input is explored first, so a leaf lands right after the last of its uses in the
            // reverse order backward follows: a layer's parameters are final as soon as backward has
            // passed that layer, not at the end (data-parallel training starts reducing them then).
            for input in node.inputs.reversed() where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }

    /// Drops the references that keep the graph (and its saved tensors) alive.
    private func release() {
        inputs = []
        pullback = nil
    }
}

extension Variable: CustomStringConvertible {
    public var description: String {
        "Variable(\(op)\(requiresGrad ? ", requiresGrad" : ""))\n\(value)"
    }
}
