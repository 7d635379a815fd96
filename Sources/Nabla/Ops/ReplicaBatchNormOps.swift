/// Batch normalization in training mode whose batch statistics span several replicas: the
/// processes of data-parallel training that each hold some rows of one global batch
/// (PyTorch's `SyncBatchNorm`). With one replica it computes what `batchNorm(_:gamma:beta:epsilon:)`
/// does, up to the order of additions.
///
/// Forward: each replica sums `x` and `x²` per feature over its rows, in Double, and `sumAcrossReplicas`
/// turns the sums (and the row count) into the global batch's; `μ = Σx / m` and `σ² = Σx² / m - μ²`
/// (one reduction per layer and step; Double keeps the cancellation harmless for activations
/// whose mean is not many thousand standard deviations from 0). Each replica then normalizes its
/// own rows with the global `μ` and `σ²`.
///
/// Backward: `dx = γ / sqrt(σ² + ε) · (g - Σg / m - x̂ · Σ(g · x̂) / m)` needs the two per-feature sums
/// over the global batch, so they are reduced too (a second small reduction). The gradients of
/// `γ` and `β` stay this replica's own sums: the trainer adds them up with the other gradients.
///
/// - Parameters:
///   - counted: whether this replica's rows count towards the statistics. A replica with no share
///     of a small last batch runs a placeholder row so that it takes part in every reduction;
///     its sums count as zero, and its loss weight of zero keeps its gradients zero.
///   - sumAcrossReplicas: replaces its argument with the element-wise sum over the replicas; every
///     replica calls it at the same point of the same pass. It leaves the values as they are
///     when the replicas cannot be reached (the caller reports that after the pass).
/// - Returns: the output, the global batch mean and biased variance (`[F]`) and the global count
///   of values per feature, for the caller's running statistics.
public func batchNorm(_ x: Variable, gamma: Variable, beta: Variable, epsilon: Double = 1e-5, counted: Bool = true,
                      sumAcrossReplicas: @escaping (inout [Double]) -> Void)
    -> (output: Variable, mean: Tensor, variance: Tensor, count: Int) {
    let v = x.value
    let (features, positions) = batchNormLayout(v, gamma: gamma.value, beta: beta.value, op: "batchNorm")
    // Σx per feature, then Σx², then the count of values.
    var sums = [Double](repeating: 0, count: 2 * features + 1)
    if counted {
        switch v.dtype {
        case .float32: batchNormPowerSums(v, positions, &sums, Float.self)
        case .float64: batchNormPowerSums(v, positions, &sums, Double.self)
        }
        sums[2 * features] = Double(v.shape[0] * positions)
    }
    sumAcrossReplicas(&sums)
    // A replica cut off from the others (its reduction failed) divides by at least one value: the
    // trainer throws after the pass, and nothing here may trap before it does.
    let m = Swift.max(sums[2 * features], 1)
    let means = (0..<features).map { sums[$0] / m }
    let variances = (0..<features).map { Swift.max(sums[features + $0] / m - means[$0] * means[$0], 0) }
    let mean = Tensor(means, shape: [features], dtype: v.dtype)
    let variance = Tensor(variances, shape: [features], dtype: v.dtype)
    var out = Tensor(uninitializedShape: v.shape, dtype: v.dtype)
    let invStd = Tensor(variances.map { 1 / ($0 + epsilon).squareRoot() }, shape: [features], dtype: v.dtype)
    let input = BatchNormInput(x: v, mean: mean, invStd: invStd, positions: positions)
    switch v.dtype {
    case .float32: batchNormApply(input, gamma.value, beta.value, &out, Float.self)
    case .float64: batchNormApply(input, gamma.value, beta.value, &out, Double.self)
    }
    let k = gamma.value * invStd
    let count = Int(m)
    let output = Variable(op: "batchNorm", value: out, inputs: [x, gamma, beta]) { g in
        let (dgamma, dbeta) = batchNormParameterGradients(g, input)
        guard x.requiresGrad else { return [nil, dgamma, dbeta] }
        // Every replica reaches this pullback: the graphs are alike, only their row counts differ.
        var global = dbeta.doubles + dgamma.doubles
        sumAcrossReplicas(&global)
        let sumG = Tensor(Array(global[..<features]), shape: [features], dtype: v.dtype)
        let sumGH = Tensor(Array(global[features...]), shape: [features], dtype: v.dtype)
        // Uncounted rows are not part of the statistics: the loss does not depend on them.
        guard counted else { return [Tensor.zeros(like: v), dgamma, dbeta] }
        var dx = Tensor(uninitializedShape: v.shape, dtype: v.dtype)
        switch v.dtype {
        case .float32: batchNormInputGradient(g, input, k, sumGH, sumG, count, &dx, Float.self)
        case .float64: batchNormInputGradient(g, input, k, sumGH, sumG, count, &dx, Double.self)
        }
        return [dx, dgamma, dbeta]
    }
    return (output, mean, variance, count)
}

/// `sums[f] += Σ x` and `sums[F + f] += Σ x²` over the rows and positions of each feature `f`, in Double.
private func batchNormPowerSums<T: TensorScalar>(_ x: Tensor, _ positions: Int, _ sums: inout [Double], _: T.Type) {
    let px = x.pointer(T.self), batch = x.shape[0], features = x.shape[1]
    sums.withUnsafeMutableBufferPointer { out in
        let po = out.baseAddress!
        forEachFeature(x, positions) { f, offset in
            var sum = 0.0, squares = 0.0
            for n in 0..<batch {
                let row = px + offset(n)
                for i in 0..<positions {
                    let value = Double(row[i])
                    sum += value
                    squares += value * value
                }
            }
            po[f] = sum
            po[features + f] = squares
        }
    }
}

/// `y = γ · x̂ + β` per feature, with the statistics given.
private func batchNormApply<T: TensorScalar>(_ input: BatchNormInput, _ gamma: Tensor, _ beta: Tensor, _ out: inout Tensor, _: T.Type) {
    let px = input.x.pointer(T.self), py = out.pointer(T.self), positions = input.positions
    let pmean = input.mean.pointer(T.self), pinv = input.invStd.pointer(T.self)
    let pgamma = gamma.pointer(T.self), pbeta = beta.pointer(T.self), batch = input.x.shape[0]
    forEachFeature(input.x, positions) { f, offset in
        let mu = pmean[f], scale = pinv[f], g = pgamma[f], b = pbeta[f]
        for n in 0..<batch {
            let src = px + offset(n), y = py + offset(n)
            for i in 0..<positions { y[i] = g * ((src[i] - mu) * scale) + b }
        }
    }
}
