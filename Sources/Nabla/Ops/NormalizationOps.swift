/// Batch normalization in training mode (Ioffe & Szegedy), fused into one op.
///
/// Axis 1 holds the features: `[N, F]` is normalized per feature over the batch, `[N, C, H, W]`
/// (or any `[N, C, …]`) per channel over the batch and all positions. With `m` values per
/// feature, `μ = mean`, `σ² = Σ (x - μ)² / m` (the biased variance, as the paper and PyTorch
/// normalize with), `x̂ = (x - μ) / sqrt(σ² + ε)` and `y = γ · x̂ + β`.
///
/// Backward, in the compact closed form (one pass for the two sums, one for `dx`):
/// `dβ = Σ g`, `dγ = Σ g · x̂`, `dx = γ / (m · sqrt(σ² + ε)) · (m · g - dβ - x̂ · dγ)`.
/// `x̂` is not kept: both passes recompute it from `x`, `μ` and `1 / sqrt(σ² + ε)` as they read,
/// with the forward's own rounding. Storing it would cost a write and a read of a full-size
/// tensor (and its memory until the backward pass) to save a subtraction and a product, in passes
/// whose speed is the memory's: after a convolution of a small CNN, batch norm is a fifth of the step.
///
/// - Parameters:
///   - gamma: the scale, `[F]`.
///   - beta: the shift, `[F]`.
/// - Returns: the output, and the batch mean and biased batch variance (`[F]`) for the caller's
///   running statistics (see `BatchNorm`).
public func batchNorm(_ x: Variable, gamma: Variable, beta: Variable, epsilon: Double = 1e-5)
    -> (output: Variable, mean: Tensor, variance: Tensor) {
    let v = x.value
    let (features, positions) = batchNormLayout(v, gamma: gamma.value, beta: beta.value, op: "batchNorm")
    let m = v.shape[0] * positions
    precondition(m > 1, "batchNorm: input of shape \(v.shape) has \(m) value(s) per feature; training needs more than 1")
    var mean = Tensor(uninitializedShape: [features], dtype: v.dtype)
    var variance = Tensor(uninitializedShape: [features], dtype: v.dtype)
    var invStd = Tensor(uninitializedShape: [features], dtype: v.dtype)
    var out = Tensor(uninitializedShape: v.shape, dtype: v.dtype)
    switch v.dtype {
    case .float32: batchNormTrainingForward(v, gamma.value, beta.value, epsilon, &mean, &variance, &invStd, &out, positions, Float.self)
    case .float64: batchNormTrainingForward(v, gamma.value, beta.value, epsilon, &mean, &variance, &invStd, &out, positions, Double.self)
    }
    // Per feature, dx = k · (g - dβ/m - x̂ · dγ/m) with k = γ / sqrt(σ² + ε).
    let k = gamma.value / sqrt(variance + epsilon)
    let input = BatchNormInput(x: v, mean: mean, invStd: invStd, positions: positions)
    let output = Variable(op: "batchNorm", value: out, inputs: [x, gamma, beta]) { g in
        let (dgamma, dbeta) = batchNormParameterGradients(g, input)
        var dx: Tensor? = nil
        if x.requiresGrad {
            var result = Tensor(uninitializedShape: v.shape, dtype: v.dtype)
            switch v.dtype {
            case .float32: batchNormInputGradient(g, input, k, dgamma, dbeta, m, &result, Float.self)
            case .float64: batchNormInputGradient(g, input, k, dgamma, dbeta, m, &result, Double.self)
            }
            dx = result
        }
        return [dx, dgamma, dbeta]
    }
    return (output, mean, variance)
}

/// Batch normalization with fixed statistics (evaluation mode): `y = γ · (x - μ) / sqrt(σ² + ε) + β`
/// with the given `mean` and `variance` (`[F]`, usually running averages gathered in training).
/// Layout as in `batchNorm(_:gamma:beta:epsilon:)`. The map is affine per feature, so
/// `dx = g · γ / sqrt(σ² + ε)`, `dγ = Σ g · x̂`, `dβ = Σ g`.
public func batchNorm(_ x: Variable, gamma: Variable, beta: Variable, mean: Tensor, variance: Tensor,
                      epsilon: Double = 1e-5) -> Variable {
    let v = x.value
    let (features, positions) = batchNormLayout(v, gamma: gamma.value, beta: beta.value, op: "batchNorm")
    precondition(mean.shape == [features] && variance.shape == [features] && mean.dtype == v.dtype && variance.dtype == v.dtype,
                 "batchNorm: statistics of shapes \(mean.shape), \(variance.shape) (\(mean.dtype)) do not match \(features) features (\(v.dtype))")
    let invStd = 1 / sqrt(variance + epsilon)
    let scale = gamma.value * invStd, shift = beta.value - mean * scale
    let featureShape = [1, features] + [Int](repeating: 1, count: v.rank - 2)
    let out = v * scale.reshaped(featureShape) + shift.reshaped(featureShape)
    return Variable(op: "batchNorm", value: out, inputs: [x, gamma, beta]) { g in
        var dgamma: Tensor? = nil, dbeta: Tensor? = nil
        if gamma.requiresGrad || beta.requiresGrad {
            (dgamma, dbeta) = batchNormParameterGradients(g, BatchNormInput(x: v, mean: mean, invStd: invStd, positions: positions))
        }
        return [x.requiresGrad ? g * scale.reshaped(featureShape) : nil, dgamma, dbeta]
    }
}

/// Checks shapes and returns the number of features (axis 1) and of positions per feature and image.
func batchNormLayout(_ x: Tensor, gamma: Tensor, beta: Tensor, op: String) -> (features: Int, positions: Int) {
    precondition(x.rank >= 2, "\(op): input must be [N, F] or [N, C, H, W], got shape \(x.shape)")
    let features = x.shape[1]
    precondition(gamma.shape == [features] && beta.shape == [features],
                 "\(op): γ of shape \(gamma.shape) and β of shape \(beta.shape) do not match the \(features) features of input \(x.shape)")
    precondition(gamma.dtype == x.dtype && beta.dtype == x.dtype, "\(op): input is \(x.dtype), γ and β are \(gamma.dtype), \(beta.dtype)")
    return (features, x.shape[2...].reduce(1, *))
}

/// A batch norm's input with the statistics that normalize it: `x̂ = (x - μ) · invStd` per feature,
/// computed where it is read (in the element type, as the forward pass computed it).
struct BatchNormInput {
    let x: Tensor
    /// `μ` and `1 / sqrt(σ² + ε)` per feature, `[F]`, in `x`'s element type.
    let mean: Tensor
    let invStd: Tensor
    /// Values per feature and image (`H · W` for images, 1 for `[N, F]`).
    let positions: Int
}

/// `dγ = Σ g · x̂` and `dβ = Σ g` per feature, for `g` and `x` viewed as `[N, F, positions]`.
func batchNormParameterGradients(_ g: Tensor, _ input: BatchNormInput) -> (Tensor, Tensor) {
    let features = input.x.shape[1]
    var dgamma = Tensor(uninitializedShape: [features], dtype: g.dtype)
    var dbeta = Tensor(uninitializedShape: [features], dtype: g.dtype)
    switch g.dtype {
    case .float32: batchNormSums(g, input, &dbeta, &dgamma, Float.self)
    case .float64: batchNormSums(g, input, &dbeta, &dgamma, Double.self)
    }
    return (dgamma, dbeta)
}

/// Calls `body(feature, rows)` for each feature, where `rows(n)` is the offset of image n's values
/// of that feature; features are spread over the cores when the tensor is large.
@inline(__always)
func forEachFeature(_ x: Tensor, _ positions: Int, _ body: (_ feature: Int, _ offset: (Int) -> Int) -> Void) {
    let batch = x.shape[0], features = x.shape[1]
    Parallel.chunks(features, threshold: Swift.max(1, Parallel.memoryBoundThreshold / Swift.max(batch * positions, 1))) { range in
        for f in range { body(f) { n in (n * features + f) * positions } }
    }
}

/// `Σ a · (x - μ) · s` over `n` contiguous elements (`a = x - μ`, `s = 1` when `a` is nil: the
/// squared deviations), with eight-wide vectors and two accumulators.
@inline(__always)
func batchNormDot<T: TensorScalar>(_ a: UnsafePointer<T>?, _ x: UnsafePointer<T>, mean: T, scale: T, _ n: Int) -> T {
    var s0 = SIMD8<T>(), s1 = SIMD8<T>()
    let rx = UnsafeRawPointer(x), size = MemoryLayout<T>.stride
    let mu = SIMD8<T>(repeating: mean), k = SIMD8<T>(repeating: scale)
    var i = 0
    while i + 16 <= n {
        let h0 = (rx.loadUnaligned(fromByteOffset: i * size, as: SIMD8<T>.self) - mu) * k
        let h1 = (rx.loadUnaligned(fromByteOffset: (i + 8) * size, as: SIMD8<T>.self) - mu) * k
        if let a {
            let ra = UnsafeRawPointer(a)
            s0 += ra.loadUnaligned(fromByteOffset: i * size, as: SIMD8<T>.self) * h0
            s1 += ra.loadUnaligned(fromByteOffset: (i + 8) * size, as: SIMD8<T>.self) * h1
        } else {
            s0 += h0 * h0
            s1 += h1 * h1
        }
        i += 16
    }
    var total = (s0 + s1).sum()
    while i < n {
        let h = (x[i] - mean) * scale
        total += (a?[i] ?? h) * h
        i += 1
    }
    return total
}

private func batchNormTrainingForward<T: TensorScalar>(
    _ x: Tensor, _ gamma: Tensor, _ beta: Tensor, _ epsilon: Double,
    _ mean: inout Tensor, _ variance: inout Tensor, _ invStd: inout Tensor, _ out: inout Tensor,
    _ positions: Int, _: T.Type
) {
    let px = x.pointer(T.self), py = out.pointer(T.self)
    let pgamma = gamma.pointer(T.self), pbeta = beta.pointer(T.self)
    let pmean = mean.pointer(T.self), pvar = variance.pointer(T.self), pinv = invStd.pointer(T.self)
    let batch = x.shape[0], m = Double(batch * positions)
    forEachFeature(x, positions) { f, offset in
        // Two passes (mean, then squared deviations) in Double: one pass with Σx² loses the
        // variance to cancellation when the mean is large. The second pass reads what the first
        // just read, mostly from cache.
        var sum = 0.0
        for n in 0..<batch { sum += Double(contiguousSum(px + offset(n), positions)) }
        let mu = T(sum / m)
        var squares = 0.0
        for n in 0..<batch { squares += Double(batchNormDot(nil, px + offset(n), mean: mu, scale: 1, positions)) }
        let sigma2 = squares / m
        let inv = T(1 / (sigma2 + epsilon).squareRoot())
        let scale = pgamma[f], shift = pbeta[f]
        for n in 0..<batch {
            let src = px + offset(n), y = py + offset(n)
            for i in 0..<positions { y[i] = scale * ((src[i] - mu) * inv) + shift }
        }
        pmean[f] = mu
        pvar[f] = T(sigma2)
        pinv[f] = inv
    }
}

private func batchNormSums<T: TensorScalar>(_ g: Tensor, _ input: BatchNormInput, _ dbeta: inout Tensor, _ dgamma: inout Tensor,
                                            _: T.Type) {
    let pg = g.pointer(T.self), px = input.x.pointer(T.self), positions = input.positions
    let pmean = input.mean.pointer(T.self), pinv = input.invStd.pointer(T.self)
    let pdb = dbeta.pointer(T.self), pdg = dgamma.pointer(T.self)
    forEachFeature(g, positions) { f, offset in
        var sumG = 0.0, sumGH = 0.0
        for n in 0..<g.shape[0] {
            sumG += Double(contiguousSum(pg + offset(n), positions))
            sumGH += Double(batchNormDot(pg + offset(n), px + offset(n), mean: pmean[f], scale: pinv[f], positions))
        }
        pdb[f] = T(sumG)
        pdg[f] = T(sumGH)
    }
}

/// `dx = k · (g - dβ/m - x̂ · dγ/m)` per feature, `x̂` recomputed from the input.
func batchNormInputGradient<T: TensorScalar>(
    _ g: Tensor, _ input: BatchNormInput, _ k: Tensor, _ dgamma: Tensor, _ dbeta: Tensor, _ m: Int,
    _ dx: inout Tensor, _: T.Type
) {
    let pg = g.pointer(T.self), px = input.x.pointer(T.self), pk = k.pointer(T.self), pdx = dx.pointer(T.self)
    let pmean = input.mean.pointer(T.self), pinv = input.invStd.pointer(T.self)
    let pdg = dgamma.pointer(T.self), pdb = dbeta.pointer(T.self)
    forEachFeature(g, input.positions) { f, offset in
        let scale = pk[f], meanG = pdb[f] / T(m), meanGH = pdg[f] / T(m), mu = pmean[f], inv = pinv[f]
        for n in 0..<g.shape[0] {
            let gi = pg + offset(n), xi = px + offset(n), di = pdx + offset(n)
            for i in 0..<input.positions { di[i] = scale * (gi[i] - meanG - ((xi[i] - mu) * inv) * meanGH) }
        }
    }
}
