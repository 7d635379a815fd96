/// Softmax along `axis`: `yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}`, each slice along the axis summing to 1.
///
/// Computed stably: the slice's maximum is subtracted before exponentiating (the result is the
/// same), so no exponent overflows and at least one term of the sum is 1.
/// Backward: `dx = y ⊙ (g - Σ (g ⊙ y))`, the sum along `axis`.
public func softmax(_ x: Variable, axis: Int = -1) -> Variable {
    let v = x.value
    let axis = v.normalizedAxis(axis, op: "softmax")
    let e = exp(v - v.max(alongAxes: axis, keepingDims: true))
    let y = e / e.sum(alongAxes: [axis], keepingDims: true)
    return Variable(op: "softmax", value: y, inputs: [x]) { g in
        [y * (g - (g * y).sum(alongAxes: [axis], keepingDims: true))]
    }
}

/// The logarithm of `softmax` along `axis`: `yᵢ = xᵢ - log Σⱼ e^{xⱼ}`.
///
/// Computed as `z - log Σ e^z` with `z = x - max`, so it stays finite for any finite input (a naive
/// `log(softmax(x))` gives `log(0) = -∞` once a probability underflows).
/// Backward: `dx = g - softmax(x) · Σ g`, the sum along `axis`.
public func logSoftmax(_ x: Variable, axis: Int = -1) -> Variable {
    let v = x.value
    let axis = v.normalizedAxis(axis, op: "logSoftmax")
    let z = v - v.max(alongAxes: axis, keepingDims: true)
    let y = z - log(exp(z).sum(alongAxes: [axis], keepingDims: true))
    return Variable(op: "logSoftmax", value: y, inputs: [x]) { g in
        [g - exp(y) * g.sum(alongAxes: [axis], keepingDims: true)]
    }
}
