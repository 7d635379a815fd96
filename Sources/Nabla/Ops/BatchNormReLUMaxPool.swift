/// `maxPool2d(relu(batchNorm(x, gamma:, beta:).output), kernel: 2)` as one op: batch norm in
/// training mode (the batch's own statistics), ReLU, then max pooling over 2×2 windows with
/// stride 2, for NCHW images of at least 2×2 (an odd last row or column is left out of the pool, as
/// `maxPool2d` leaves it, and gets no gradient). `Sequential` uses it for a training-mode
/// `BatchNorm` followed by a `ReLU` and such a `MaxPool2D`: the usual block after a convolution.
///
/// The values and gradients are those of the three ops in turn, rounded alike (up to the sign of a
/// zero gradient): each image's plane of the normalized output is computed into a small buffer
/// with the batch norm's formula, pooled from there with `reluMaxPool2x2`'s kernel, and in the
/// backward pass the plane's gradient is rebuilt the same way and fed to the batch norm's sums and
/// `dx` in the same order.
///
/// Why: the batch norm's output and its gradient, the largest tensors of a small CNN's step, are
/// never written out. Done one after the other, the three ops pass over full-size tensors about
/// ten times (norm out, pool in; backward: pool's gradient out, the norm's gradient in twice, `x`
/// in twice, `dx` out); fused, each pass reads `x` from memory once (a feature's further reads
/// come from the core's cache) and the backward writes `dx`. Nor is the norm's output kept for the
/// backward pass, which recomputes it from `x` and the statistics.
///
/// - Returns: the pooled output, `[N, C, H / 2, W / 2]`, and the batch mean and biased variance
///   (`[C]`) for the caller's running statistics, as `batchNorm(_:gamma:beta:epsilon:)` returns them.
public func batchNormReLUMaxPool2x2(_ x: Variable, gamma: Variable, beta: Variable, epsilon: Double = 1e-5)
    -> (output: Variable, mean: Tensor, variance: Tensor) {
    let v = x.value
    precondition(v.rank == 4 && v.shape[2] >= 2 && v.shape[3] >= 2,
                 "batchNormReLUMaxPool2x2: input must be [N, C, H, W] with H and W at least 2, got shape \(v.shape)")
    let (features, positions) = batchNormLayout(v, gamma: gamma.value, beta: beta.value, op: "batchNormReLUMaxPool2x2")
    let m = v.shape[0] * positions
    precondition(m > 1, "batchNormReLUMaxPool2x2: input of shape \(v.shape) has \(m) value(s) per feature; training needs more than 1")
    var mean = Tensor(uninitializedShape: [features], dtype: v.dtype)
    var variance = Tensor(uninitializedShape: [features], dtype: v.dtype)
    var invStd = Tensor(uninitializedShape: [features], dtype: v.dtype)
    var out = Tensor(uninitializedShape: [v.shape[0], features, v.shape[2] / 2, v.shape[3] / 2], dtype: v.dtype)
    let block = NormReLUPool(input: v, gamma: gamma.value, beta: beta.value)
    switch v.dtype {
    case .float32: block.forward(epsilon, &mean, &variance, &invStd, &out, Float.self)
    case .float64: block.forward(epsilon, &mean, &variance, &invStd, &out, Double.self)
    }
    let k = gamma.value / sqrt(variance + epsilon)
    let statistics = BatchNormInput(x: v, mean: mean, invStd: invStd, positions: positions)
    let pooled = out
    let output = Variable(op: "batchNormReLUMaxPool2x2", value: out, inputs: [x, gamma, beta]) { gp in
        var dgamma = Tensor(uninitializedShape: [features], dtype: v.dtype)
        var dbeta = Tensor(uninitializedShape: [features], dtype: v.dtype)
        var dx = x.requiresGrad ? Tensor(uninitializedShape: v.shape, dtype: v.dtype) : nil
        let inputScale = x.requiresGrad ? k : nil
        switch v.dtype {
        case .float32: block.backward(gp, pooled, statistics, inputScale, &dbeta, &dgamma, &dx, Float.self)
        case .float64: block.backward(gp, pooled, statistics, inputScale, &dbeta, &dgamma, &dx, Double.self)
        }
        return [dx, dgamma, dbeta]
    }
    return (output, mean, variance)
}

/// The fused block's input, parameters and layout, with its two passes.
private struct NormReLUPool {
    let input: Tensor, gamma: Tensor, beta: Tensor

    var batch: Int { input.shape[0] }
    var features: Int { input.shape[1] }
    var height: Int { input.shape[2] }
    var width: Int { input.shape[3] }
    var positions: Int { height * width }
    var pooledPositions: Int { (height / 2) * (width / 2) }

    /// Per feature: the statistics, then each image's normalized plane into a buffer and pooled.
    func forward<T: TensorScalar>(_ epsilon: Double, _ mean: inout Tensor, _ variance: inout Tensor, _ invStd: inout Tensor,
                                  _ out: inout Tensor, _: T.Type) {
        let px = input.pointer(T.self), po = out.pointer(T.self), pgamma = gamma.pointer(T.self), pbeta = beta.pointer(T.self)
        let pmean = mean.pointer(T.self), pvar = variance.pointer(T.self), pinv = invStd.pointer(T.self)
        let (batch, features, height, width, positions, pooled) = (batch, features, height, width, positions, pooledPositions)
        forEachFeature(input, positions) { f, offset in
            let (mu, sigma2, inv) = batchNormFeatureStatistics(px, offset, batch: batch, positions: positions, epsilon: epsilon)
            let y = UnsafeMutablePointer<T>.allocate(capacity: positions)
            defer { y.deallocate() }
            for n in 0..<batch {
                batchNormApply(px + offset(n), y, positions, scale: pgamma[f], shift: pbeta[f], mean: mu, invStd: inv)
                maxPool2x2ForwardPlane(y, po + (n * features + f) * pooled, height: height, width: width, relu: true)
            }
            pmean[f] = mu
            pvar[f] = T(sigma2)
            pinv[f] = inv
        }
    }

    /// Per feature: each image's plane of the norm's output gradient, rebuilt from `x`, the pooled
    /// output and its gradient `gp` into one buffer for the feature (in cache for the second read),
    /// then the batch norm's sums and `dx` from it.
    func backward<T: TensorScalar>(_ gp: Tensor, _ pooledOutput: Tensor, _ statistics: BatchNormInput, _ k: Tensor?,
                                   _ dbeta: inout Tensor, _ dgamma: inout Tensor, _ dx: inout Tensor?, _: T.Type) {
        let px = input.pointer(T.self), ppool = pooledOutput.pointer(T.self), pgp = gp.pointer(T.self)
        let pgamma = gamma.pointer(T.self), pbeta = beta.pointer(T.self)
        let pmean = statistics.mean.pointer(T.self), pinv = statistics.invStd.pointer(T.self)
        let pdb = dbeta.pointer(T.self), pdg = dgamma.pointer(T.self), pk = k?.pointer(T.self), pdx = dx?.pointer(T.self)
        let (batch, features, height, width, positions, pooled) = (batch, features, height, width, positions, pooledPositions)
        // The pool writes every value its windows cover; an odd last row or column stays 0.
        let tiled = height % 2 == 0 && width % 2 == 0
        forEachFeature(input, positions) { f, offset in
            let y = UnsafeMutablePointer<T>.allocate(capacity: positions)
            let g = UnsafeMutablePointer<T>.allocate(capacity: batch * positions)
            defer { y.deallocate(); g.deallocate() }
            if !tiled { g.initialize(repeating: 0, count: batch * positions) }
            for n in 0..<batch {
                batchNormApply(px + offset(n), y, positions, scale: pgamma[f], shift: pbeta[f], mean: pmean[f], invStd: pinv[f])
                let o = (n * features + f) * pooled
                maxPool2x2BackwardPlane(y, ppool + o, pgp + o, g + n * positions, height: height, width: width, relu: true)
            }
            (pdb[f], pdg[f]) = batchNormFeatureBackward(g: g, { $0 * positions }, x: px, offset, mean: pmean[f], invStd: pinv[f],
                                                        batch: batch, positions: positions, inputScale: pk?[f], dx: pdx)
        }
    }
}
