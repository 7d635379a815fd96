/// Gradient clipping by global norm (PyTorch's `clip_grad_norm_`): the gradients of all parameters
/// are read as one long vector, and when its L2 norm exceeds `maxNorm` every gradient is multiplied
/// by `maxNorm / norm`, so the direction of the step is kept and only its length is capped.
///
/// ```swift
/// loss.backward()
/// let norm = clipGradientNorm(model.parameters(), maxNorm: 1)   // the norm before clipping
/// optimizer.step()
/// ```
///
/// PyTorch divides by `norm + 1e-6`; here the factor is exactly `maxNorm / norm`, so a clipped
/// gradient has norm `maxNorm` up to rounding. Parameters without a gradient are left out.
@discardableResult
public func clipGradientNorm(_ parameters: [(name: String, variable: Variable)], maxNorm: Double) -> Double {
    precondition(maxNorm > 0, "clipGradientNorm: maxNorm must be positive, got \(maxNorm)")
    let norm = gradientNorm(parameters)
    guard norm > maxNorm else { return norm }
    let factor = maxNorm / norm
    for (_, variable) in parameters where variable.grad != nil {
        variable.grad!.makeUnique()
        let g = variable.grad!
        switch g.dtype {
        case .float32: scaleElements(g.pointer(Float.self), g.count, by: Float(factor))
        case .float64: scaleElements(g.pointer(Double.self), g.count, by: factor)
        }
    }
    return norm
}

/// The L2 norm of every parameter's gradient together, `sqrt(Σ g²)` (summed in Double).
public func gradientNorm(_ parameters: [(name: String, variable: Variable)]) -> Double {
    var sum = 0.0
    for (_, variable) in parameters {
        guard let g = variable.grad else { continue }
        switch g.dtype {
        case .float32: sum += squaredSum(g.pointer(Float.self), g.count)
        case .float64: sum += squaredSum(g.pointer(Double.self), g.count)
        }
    }
    return sum.squareRoot()
}

private func squaredSum<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ count: Int) -> Double {
    // Four partial sums, so that the loop vectorizes and rounding errors stay small.
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i + 4 <= count {
        let a = Double(x[i]), b = Double(x[i + 1]), c = Double(x[i + 2]), d = Double(x[i + 3])
        s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
        i += 4
    }
    while i < count { let a = Double(x[i]); s0 += a * a; i += 1 }
    return (s0 + s1) + (s2 + s3)
}

private func scaleElements<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ count: Int, by factor: T) {
    for i in 0..<count { x[i] *= factor }
}
