/// Batch normalization in training mode (Ioffe & Szegedy), fused into one op.
///
/// Axis 1 holds the features: `[N, F]` is normalized per feature over the batch, `[N, C, H, W]`
/// (or any `[N, C, …]`) per channel over the batch and all positions. With `m` values per
/// feature, `μ = mean`, `σ² = Σ (x - μ)² / m` (the biased variance, as the paper and PyTorch
/// normalize with), `x̂ = (x - μ) / sqrt(σ² + ε)` and `y = γ · x̂ + β`.
///
/// Backward, in the compact closed form (one pass for the two sums, one for `dx`):
/// `dβ = Σ g`, `dγ = Σ g · x̂`, `dx = γ / (m · sqrt(σ² + ε)) · (m · g - dβ - x̂ · dγ)`.
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
    var normalized = Tensor(uninitializedShape: v.shape, dtype: v.dtype)
    var out = Tensor(uninitializedShape: v.shape, dtype: v.dtype)
    switch v.dtype {
    case .float32: batchNormTrainingForward(v, gamma.value, beta.value, epsilon, &mean, &variance, &normalized, &out, positions, Float.self)
    case .float64: batchNormTrainingForward(v, gamma.value, beta.value, epsilon, &mean, &variance, &normalized, &out, positions, Double.self)
    }
    // Per feature, dx = k · (g - dβ/m - x̂ · dγ/m) with k = γ / sqrt(σ² + ε).
    let k = gamma.value / sqrt(variance + epsilon)
    let xhat = normalized
    let output = Variable(op: "batchNorm", value: out, inputs: [x, gamma, beta]) { g in
        let (dgamma, dbeta) = batchNormParameterGradients(g, xhat, features: features, positions: positions)
        var dx: Tensor? = nil
        if x.requiresGrad {
            var result = Tensor(uninitializedShape: v.shape, dtype: v.dtype)
            switch v.dtype {
            case .float32: batchNormInputGradient(g, xhat, k, dgamma, dbeta, m, &result, positions, Float.self)
            case .float64: batchNormInputGradient(g, xhat, k, dgamma, dbeta, m, &result, positions, Double.self)
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
            let xhat = (v - mean.reshaped(featureShape)) * invStd.reshaped(featureShape)
            (dgamma, dbeta) = batchNormParameterGradients(g, xhat, features: features, positions: positions)
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

/// `dγ = Σ g · x̂` and `dβ = Σ g` per feature, for `g` and `x̂` viewed as `[N, F, positions]`.
func batchNormParameterGradients(_ g: Tensor, _ xhat: Tensor, features: Int, positions: Int) -> (Tensor, Tensor) {
    var dgamma = Tensor(uninitializedShape: [features], dtype: g.dtype)
    var dbeta = Tensor(uninitializedShape: [features], dtype: g.dtype)
    switch g.dtype {
    case .float32: batchNormSums(g, xhat, &dbeta, &dgamma, positions, Float.self)
    case .float64: batchNormSums(g, xhat, &dbeta, &dgamma, positions, Double.self)
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

/// `Σ a · b` over `n` contiguous elements, with eight-wide vectors and two accumulators.
@inline(__always)
func batchNormDot<T: TensorScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ n: Int) -> T {
    var s0 = SIMD8<T>(), s1 = SIMD8<T>()
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), size = MemoryLayout<T>.stride
    var i = 0
    while i + 16 <= n {
        s0 += ra.loadUnaligned(fromByteOffset: i * size, as: SIMD8<T>.self) * rb.loadUnaligned(fromByteOffset: i * size, as: SIMD8<T>.self)
        s1 += ra.loadUnaligned(fromByteOffset: (i + 8) * size, as: SIMD8<T>.self) * rb.loadUnaligned(fromByteOffset: (i + 8) * size, as: SIMD8<T>.self)
        i += 16
    }
    var total = (s0 + s1).sum()
    while i < n { total += a[i] * b[i]; i += 1 }
    return total
}

private func batchNormTrainingForward<T: TensorScalar>(
    _ x: Tensor, _ gamma: Tensor, _ beta: Tensor, _ epsilon: Double,
    _ mean: inout Tensor, _ variance: inout Tensor, _ normalized: inout Tensor, _ out: inout Tensor,
    _ positions: Int, _: T.Type
) {
    let px = x.pointer(T.self), pxhat = normalized.pointer(T.self), py = out.pointer(T.self)
    let pgamma = gamma.pointer(T.self), pbeta = beta.pointer(T.self)
    let pmean = mean.pointer(T.self), pvar = variance.pointer(T.self)
    let batch = x.shape[0], m = Double(batch * positions)
    forEachFeature(x, positions) { f, offset in
        // Two passes (mean, then squared deviations) in Double: one pass with Σx² loses the
        // variance to cancellation when the mean is large.
        var sum = 0.0
        for n in 0..<batch { sum += Double(contiguousSum(px + offset(n), positions)) }
        let mu = sum / m
        var squares = 0.0
        for n in 0..<batch {
            let src = px + offset(n), centered = pxhat + offset(n)
            for i in 0..<positions { centered[i] = src[i] - T(mu) }
            squares += Double(batchNormDot(centered, centered, positions))
        }
        let sigma2 = squares / m
        let invStd = T(1 / (sigma2 + epsilon).squareRoot())
        let scale = pgamma[f], shift = pbeta[f]
        for n in 0..<batch {
            let xhat = pxhat + offset(n), y = py + offset(n)
            for i in 0..<positions {
                let h = xhat[i] * invStd
                xhat[i] = h
                y[i] = scale * h + shift
            }
        }
        pmean[f] = T(mu)
        pvar[f] = T(sigma2)
    }
}

private func batchNormSums<T: TensorScalar>(_ g: Tensor, _ xhat: Tensor, _ dbeta: inout Tensor, _ dgamma: inout Tensor,
                                            _ positions: Int, _: T.Type) {
    let pg = g.pointer(T.self), ph = xhat.pointer(T.self)
    let pdb = dbeta.pointer(T.self), pdg = dgamma.pointer(T.self)
    forEachFeature(g, positions) { f, offset in
        var sumG = 0.0, sumGH = 0.0
        for n in 0..<g.shape[0] {
            sumG += Double(contiguousSum(pg + offset(n), positions))
            sumGH += Double(batchNormDot(pg + offset(n), ph + offset(n), positions))
        }
        pdb[f] = T(sumG)
        pdg[f] = T(sumGH)
    }
}

func batchNormInputGradient<T: TensorScalar>(
    _ g: Tensor, _ xhat: Tensor, _ k: Tensor, _ dgamma: Tensor, _ dbeta: Tensor, _ m: Int,
    _ dx: inout Tensor, _ positions: Int, _: T.Type
) {
    let pg = g.pointer(T.self), ph = xhat.pointer(T.self), pk = k.pointer(T.self), pdx = dx.pointer(T.self)
    let pdg = dgamma.pointer(T.self), pdb = dbeta.pointer(T.self)
    forEachFeature(g, positions) { f, offset in
        let scale = pk[f], meanG = pdb[f] / T(m), meanGH = pdg[f] / T(m)
        for n in 0..<g.shape[0] {
            let gi = pg + offset(n), hi = ph + offset(n), di = pdx + offset(n)
            for i in 0..<positions { di[i] = scale * (gi[i] - meanG - hi[i] * meanGH) }
        }
    }
}
