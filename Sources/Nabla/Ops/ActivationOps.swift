/// An elementwise function with run-time parameters (a slope, an α), written once and specialized
/// for each scalar type; `gradient` gets the input and the output so either can be used.
private protocol ParametricActivation {
    func value<T: TensorScalar>(_ x: T) -> T
    /// `g · f'(x)`, given `x`, `y = f(x)` and the output gradient `g`.
    func gradient<T: TensorScalar>(_ x: T, _ y: T, _ g: T) -> T
}

private struct LeakyReLUFunction: ParametricActivation {
    let slope: Double
    @inline(__always) func value<T: TensorScalar>(_ x: T) -> T { x > 0 ? x : T(slope) * x }
    @inline(__always) func gradient<T: TensorScalar>(_ x: T, _ y: T, _ g: T) -> T { x > 0 ? g : T(slope) * g }
}

private struct ELUFunction: ParametricActivation {
    let alpha: Double
    @inline(__always) func value<T: TensorScalar>(_ x: T) -> T { x > 0 ? x : T(alpha) * (T.exp(x) - 1) }
    // For x ≤ 0: d/dx α(eˣ - 1) = α eˣ = y + α.
    @inline(__always) func gradient<T: TensorScalar>(_ x: T, _ y: T, _ g: T) -> T { x > 0 ? g : g * (y + T(alpha)) }
}

/// Applies `f` to every element and records its elementwise backward.
private func activation<F: ParametricActivation>(_ input: Variable, _ f: F, op: String) -> Variable {
    let x = input.value
    var y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
    switch x.dtype {
    case .float32: activationForward(f, x, &y, Float.self)
    case .float64: activationForward(f, x, &y, Double.self)
    }
    let out = y
    return Variable(op: op, value: out, inputs: [input]) { g in
        var dx = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32: activationBackward(f, x, out, g, &dx, Float.self)
        case .float64: activationBackward(f, x, out, g, &dx, Double.self)
        }
        return [dx]
    }
}

private func activationForward<F: ParametricActivation, T: TensorScalar>(_ f: F, _ x: Tensor, _ y: inout Tensor, _: T.Type) {
    let px = x.pointer(T.self), py = y.pointer(T.self)
    Parallel.chunks(x.count, threshold: Parallel.computeBoundThreshold) { r in for i in r { py[i] = f.value(px[i]) } }
}

private func activationBackward<F: ParametricActivation, T: TensorScalar>(
    _ f: F, _ x: Tensor, _ y: Tensor, _ g: Tensor, _ dx: inout Tensor, _: T.Type
) {
    let px = x.pointer(T.self), py = y.pointer(T.self), pg = g.pointer(T.self), pd = dx.pointer(T.self)
    Parallel.chunks(x.count, threshold: Parallel.memoryBoundThreshold) { r in for i in r { pd[i] = f.gradient(px[i], py[i], pg[i]) } }
}

/// Leaky ReLU `max(slope · x, x)` (for `0 ≤ slope ≤ 1`): `x` for `x > 0`, else `slope · x`.
/// The derivative at exactly 0 is `slope`, as in PyTorch.
public func leakyReLU(_ x: Variable, slope: Double = 0.01) -> Variable {
    activation(x, LeakyReLUFunction(slope: slope), op: "leakyReLU")
}

/// ELU: `x` for `x > 0`, else `α (eˣ - 1)`. The derivative at exactly 0 is `α` (the left side), as in PyTorch.
public func elu(_ x: Variable, alpha: Double = 1) -> Variable {
    activation(x, ELUFunction(alpha: alpha), op: "elu")
}

/// PReLU: leaky ReLU with a learned slope `a`: `x` for `x > 0`, else `a · x`.
///
/// `slope` holds one value shared by all elements (`[1]`) or one per channel (`[C]`, the size of
/// axis 1 of `x`, as for NCHW images or `[N, F]` rows). Backward: `dx = g` where `x > 0`, else
/// `a · g`; `da = Σ g · x` over the elements with `x ≤ 0` that share the slope.
public func prelu(_ x: Variable, slope: Variable) -> Variable {
    let v = x.value, a = slope.value
    precondition(a.rank == 1 && (a.count == 1 || (v.rank >= 2 && a.count == v.shape[1])),
                 "prelu: slope of shape \(a.shape) is neither one value nor one per channel of input \(v.shape)")
    precondition(a.dtype == v.dtype, "prelu: input is \(v.dtype), slope is \(a.dtype)")
    // The slope shaped to broadcast against the input: [] or [1, C, 1, …].
    let slopeShape = a.count == 1 ? [] : [1, a.count] + [Int](repeating: 1, count: v.rank - 2)
    let broadcastSlope = a.reshaped(slopeShape)
    let positive = v .> 0
    let out = Tensor.where(positive, v, v * broadcastSlope)
    return Variable(op: "prelu", value: out, inputs: [x, slope]) { g in
        let dx = x.requiresGrad ? Tensor.where(positive, g, g * broadcastSlope) : nil
        let da = slope.requiresGrad
            ? Tensor.where(positive, .zeros(like: g), g * v).unbroadcast(to: slopeShape).reshaped(a.shape)
            : nil
        return [dx, da]
    }
}

/// Maxout over groups of axis 1: an input `[N, k·M, …]` is read as `k` consecutive pieces of `M`
/// channels each (`[N, k, M, …]`), and the output `[N, M, …]` is their elementwise maximum.
///
/// Composed from reshape and `max(alongAxes:)`, whose backward sends the gradient to the winning
/// piece and splits it evenly when pieces tie (the centered-difference value for a two-way tie).
public func maxout(_ x: Variable, pieces: Int) -> Variable {
    precondition(pieces >= 1, "maxout: pieces must be ≥ 1, got \(pieces)")
    precondition(x.shape.count >= 2 && x.shape[1] % pieces == 0,
                 "maxout: axis 1 of input shape \(x.shape) does not split into \(pieces) pieces")
    var grouped = x.shape
    grouped[1] /= pieces
    grouped.insert(pieces, at: 1)
    return x.reshaped(grouped).max(alongAxes: [1])
}
