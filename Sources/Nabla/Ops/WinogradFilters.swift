// The filter side of the Winograd convolutions: the filters into the Winograd domain (`U = G w Gᵀ`)
// before the forward pass, and the weight gradient out of it (`dw = Gᵀ dU G`) after the backward
// pass, eight filters at a time, one per SIMD lane. With 64 × 128 filters (the Fashion-MNIST
// recipe's third layer) the scalar loops took a sixth of the layer's time; the lanes make it ~1%.

/// The weights `w` (`[O, C, r, r]`) transformed for `t`: `U[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]`, `[α², O, C]`.
func winogradFilters<T: TensorScalar>(_ w: UnsafePointer<T>, outChannels: Int, channels: Int, _ t: WinogradTransform) -> Tensor {
    let alpha = t.alpha, r = t.r, matrix = outChannels * channels
    let u = Tensor(uninitializedShape: [alpha * alpha, outChannels, channels], dtype: T.dtype)
    let pu = u.pointer(T.self)
    eightAtATime(t.filter, rows: alpha, columns: r, matrices: matrix,
                 load: { first, lane, k in w[(first + lane) * r * r + k] },
                 store: { first, lane, xi, value in pu[xi * matrix + first + lane] = value })
    return u
}

/// The weight gradient `dw` (`[O, C, r, r]`) from its Winograd-domain sums `du` (`[α², O, C]`):
/// `dw[o][c] = Gᵀ dU[o][c] G`, the adjoint of `winogradFilters`.
func winogradFilterGradient<T: TensorScalar>(_ du: UnsafePointer<T>, _ dw: UnsafeMutablePointer<T>, outChannels: Int, channels: Int,
                                             _ t: WinogradTransform) {
    let alpha = t.alpha, r = t.r, matrix = outChannels * channels
    var transposed = [Double](repeating: 0, count: r * alpha)
    for a in 0..<alpha { for k in 0..<r { transposed[k * alpha + a] = t.filter[a * r + k] } }
    eightAtATime(transposed, rows: r, columns: alpha, matrices: matrix,
                 load: { first, lane, xi in du[xi * matrix + first + lane] },
                 store: { first, lane, k, value in dw[(first + lane) * r * r + k] = value })
}

/// `L X Lᵀ` for `matrices` square matrices `X` (`columns × columns`), eight at a time, one per SIMD
/// lane: `half = L X`, then `half Lᵀ`. `L` is `rows × columns`, row-major: `G` for the filters into
/// the Winograd domain, `Gᵀ` for the weight gradient out of it. `load(first, lane, k)` reads entry
/// `k` of matrix `first + lane`; `store(first, lane, k, value)` writes entry `k` of its result.
@inline(__always)
private func eightAtATime<T: TensorScalar>(_ l: [Double], rows: Int, columns: Int, matrices: Int,
                                           load: (Int, Int, Int) -> T, store: (Int, Int, Int, T) -> Void) {
    let coefficients = l.map { T($0) }
    coefficients.withUnsafeBufferPointer { lm in
        withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: columns * columns + rows * columns) { buffer in
            let x = buffer.baseAddress!, half = x + columns * columns
            for first in stride(from: 0, to: matrices, by: 8) {
                let count = Swift.min(8, matrices - first)
                for k in 0..<(columns * columns) {
                    var v = SIMD8<T>()
                    for lane in 0..<count { v[lane] = load(first, lane, k) }
                    x[k] = v
                }
                for i in 0..<rows {
                    for k in 0..<columns {
                        var s = SIMD8<T>()
                        for j in 0..<columns { s += lm[i * columns + j] * x[j * columns + k] }
                        half[i * columns + k] = s
                    }
                }
                for i in 0..<rows {
                    for j in 0..<rows {
                        var s = SIMD8<T>()
                        for k in 0..<columns { s += half[i * columns + k] * lm[j * columns + k] }
                        for lane in 0..<count { store(first, lane, i * rows + j, s[lane]) }
                    }
                }
            }
        }
    }
}
