/// The affine map of a fully connected layer, `y = x · Wᵀ + b`, and optionally a ReLU of it, as
/// one op: one matrix product into a fresh `[N, out]` output, then one pass over that output that
/// adds the bias and applies the ReLU in place.
///
/// The values and gradients are those of `matmul(x, W, transposeB: true) + b` and `relu` of it,
/// rounded alike (up to the sign of a zero gradient). Backward, with `g` first masked by `y > 0`
/// under the ReLU (the ReLU's output is positive exactly where its input is): `dx = g · W`,
/// `dW = gᵀ · x`, `db = Σ g` over the rows.
///
/// Why: done as separate ops, the bias and the ReLU each allocate an output and pass over it, and
/// the ReLU keeps its input alive for the backward pass; at batch 1024 those passes and buffers were
/// the inference MLP's whole distance from its bare matrix products.
///
/// - Parameters:
///   - x: `[N, in]`.
///   - weight: `W`, `[out, in]` (PyTorch's layout).
///   - bias: `b`, `[out]`, or nil.
///   - relu: whether a ReLU follows.
public func linear(_ x: Variable, weight: Variable, bias: Variable?, relu: Bool = false) -> Variable {
    let v = x.value, w = weight.value
    precondition(v.rank == 2 && w.rank == 2 && v.shape[1] == w.shape[1],
                 "linear: input of shape \(v.shape) does not match a weight of shape \(w.shape) ([out, in])")
    precondition(bias.map { $0.shape == [w.shape[0]] && $0.dtype == w.dtype } ?? true,
                 "linear: bias of shape \(bias?.shape ?? []) does not match \(w.shape[0]) outputs")
    var out = matmul(v, w, transposeB: true)
    let b = bias?.value
    if b != nil || relu {
        switch out.dtype {
        case .float32: addBiasReLU(&out, b, relu: relu, Float.self)
        case .float64: addBiasReLU(&out, b, relu: relu, Double.self)
        }
    }
    let y = out
    return Variable(op: relu ? "linearReLU" : "linear", value: y, inputs: [x, weight] + (bias.map { [$0] } ?? [])) { g in
        let gy = relu ? reluGradient(g, y) : g
        var gradients = [x.requiresGrad ? matmul(gy, w) : nil,
                         weight.requiresGrad ? matmul(gy, v, transposeA: true) : nil]
        if let bias { gradients.append(bias.requiresGrad ? gy.unbroadcast(to: bias.shape) : nil) }
        return gradients
    }
}

/// `y ← relu(y + b)` row by row, in place (the bias or the ReLU optional). Each sum is rounded
/// once, as the separate add rounds it; the ReLU is `s > 0 ? s : 0`, as `relu` computes it.
///
/// On the calling thread alone: right after the product, OpenBLAS's threads are still spinning on
/// the other cores, and the output is in cache. Float rows go eight values at a time through
/// concrete `SIMD8<Float>` (`addBiasReLURow`): the generic loop compiled to a branch per value, or,
/// written with generic vectors, to lane-by-lane code, and either made the pass as slow as the product.
private func addBiasReLU<T: TensorScalar>(_ y: inout Tensor, _ bias: Tensor?, relu: Bool, _: T.Type) {
    let rows = y.shape[0], columns = y.shape[1], py = y.pointer(T.self), pb = bias?.pointer(T.self)
    for i in 0..<rows {
        let row = py + i * columns
        var done = 0
        if T.self == Float.self {
            done = addBiasReLURow(UnsafeMutableRawPointer(row).assumingMemoryBound(to: Float.self),
                                  pb.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self) }, columns, relu: relu)
        }
        // Double rows, and a Float row's last values short of eight.
        for j in done..<columns {
            var s = row[j]
            if let pb { s = s + pb[j] }
            row[j] = relu ? (s > 0 ? s : 0) : s
        }
    }
}

/// One Float row of `addBiasReLU`, eight values at a time. Returns how many values it did (a
/// multiple of eight); the caller's scalar loop does the rest.
@inline(__always)
private func addBiasReLURow(_ row: UnsafeMutablePointer<Float>, _ bias: UnsafeMutablePointer<Float>?, _ count: Int, relu: Bool) -> Int {
    let zero = SIMD8<Float>()
    var j = 0
    while j + 8 <= count {
        var s = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
        if let bias { s += UnsafeRawPointer(bias + j).loadUnaligned(as: SIMD8<Float>.self) }
        if relu { s = zero.replacing(with: s, where: s .> zero) }
        UnsafeMutableRawPointer(row + j).storeBytes(of: s, as: SIMD8<Float>.self)
        j += 8
    }
    return j
}
