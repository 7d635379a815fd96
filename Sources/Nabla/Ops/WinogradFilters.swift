// The filter side of the Winograd convolutions: the filters into the Winograd domain (`U = G w Gᵀ`)
// before the forward pass, and the weight gradient out of it (`dw = Gᵀ dU G`) after the backward
// pass, eight filters at a time, one per SIMD lane. With 64 × 128 filters (the Fashion-MNIST
// recipe's third layer) the scalar loops took a sixth of the layer's time; the lanes make it ~1%.

/// The weights `w` (`[O, C, r, r]`) transformed for `t`: `U[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]`, `[α², O, C]`.
func winogradFilters<T: TensorScalar>(_ w: UnsafePointer<T>, outChannels: Int, channels: Int, _ t: WinogradTransform) -> Tensor {
    let alpha = t.alpha, r = t.r, matrix = outChannels * channels
    let u = Tensor(uninitializedShape: [alpha * alpha, outChannels, channels], dtype: T.dtype)
    let pu = u.pointer(T.self), coefficients = t.filter.map { T($0) }
    coefficients.withUnsafeBufferPointer { gm in
        withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: r * r + alpha * r) { buffer in
            let f = buffer.baseAddress!, half = f + r * r
            for first in stride(from: 0, to: matrix, by: 8) {
                let count = Swift.min(8, matrix - first)
                for k in 0..<(r * r) {
                    var v = SIMD8<T>()
                    for lane in 0..<count { v[lane] = w[(first + lane) * r * r + k] }
                    f[k] = v
                }
                // half = G f, then U = half Gᵀ.
                for a in 0..<alpha {
                    for k in 0..<r {
                        var s = SIMD8<T>()
                        for j in 0..<r { s += gm[a * r + j] * f[j * r + k] }
                        half[a * r + k] = s
                    }
                }
                for a in 0..<alpha {
                    for b in 0..<alpha {
                        var s = SIMD8<T>()
                        for k in 0..<r { s += half[a * r + k] * gm[b * r + k] }
                        let target = pu + (a * alpha + b) * matrix + first
                        for lane in 0..<count { target[lane] = s[lane] }
                    }
                }
            }
        }
    }
    return u
}

/// The weight gradient `dw` (`[O, C, r, r]`) from its Winograd-domain sums `du` (`[α², O, C]`):
/// `dw[o][c] = Gᵀ dU[o][c] G`, the adjoint of `winogradFilters`.
func winogradFilterGradient<T: TensorScalar>(_ du: UnsafePointer<T>, _ dw: UnsafeMutablePointer<T>, outChannels: Int, channels: Int,
                                             _ t: WinogradTransform) {
    let alpha = t.alpha, r = t.r, matrix = outChannels * channels, coefficients = t.filter.map { T($0) }
    coefficients.withUnsafeBufferPointer { gm in
        withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: alpha * alpha + r * alpha) { buffer in
            let d = buffer.baseAddress!, half = d + alpha * alpha
            for first in stride(from: 0, to: matrix, by: 8) {
                let count = Swift.min(8, matrix - first)
                for xi in 0..<(alpha * alpha) {
                    var v = SIMD8<T>()
                    for lane in 0..<count { v[lane] = du[xi * matrix + first + lane] }
                    d[xi] = v
                }
                // half = Gᵀ dU, then dw = half G.
                for k in 0..<r {
                    for b in 0..<alpha {
                        var s = SIMD8<T>()
                        for a in 0..<alpha { s += gm[a * r + k] * d[a * alpha + b] }
                        half[k * alpha + b] = s
                    }
                }
                for k in 0..<r {
                    for l in 0..<r {
                        var s = SIMD8<T>()
                        for b in 0..<alpha { s += half[k * alpha + b] * gm[b * r + l] }
                        for lane in 0..<count { dw[(first + lane) * r * r + k * r + l] = s[lane] }
                    }
                }
            }
        }
    }
}
