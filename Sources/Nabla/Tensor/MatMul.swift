extension Tensor {
    /// Writes `alpha · op(a) · op(b) + beta · self` into this `[m, n]` matrix through BLAS,
    /// where `op` transposes when asked (by a flag to BLAS, not by copying).
    mutating func gemm(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, alpha: Double = 1, beta: Double = 0) {
        precondition(a.rank == 2 && b.rank == 2, "matmul: needs matrices, got shapes \(a.shape) and \(b.shape)")
        precondition(a.dtype == b.dtype && a.dtype == dtype, "matmul: dtypes \(a.dtype) and \(b.dtype) differ")
        let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
        let k2 = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == k2, "matmul: shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "") do not match (\(k) vs \(k2))")
        precondition(shape == [m, n], "matmul: output shape \(shape) is not [\(m), \(n)]")
        makeUnique()
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { self = .zeros(shape, dtype: dtype) } else { self *= beta }
            return
        }
        switch dtype {
        case .float32:
            Float.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: Float(alpha),
                       a: a.pointer(Float.self), lda: a.shape[1], b: b.pointer(Float.self), ldb: b.shape[1],
                       beta: Float(beta), c: pointer(Float.self), ldc: n)
        case .float64:
            Double.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: a.pointer(Double.self), lda: a.shape[1], b: b.pointer(Double.self), ldb: b.shape[1],
                        beta: beta, c: pointer(Double.self), ldc: n)
        }
    }
}

/// The matrix product `op(a) · op(b)`, where `op` transposes when asked. Transposes are passed
/// to BLAS as flags, so no copy is made. For rank 3 inputs, a batch of products.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    if a.rank == 3 && b.rank == 3 {
        precondition(a.shape[0] == b.shape[0], "matmul: batch sizes of \(a.shape) and \(b.shape) differ")
        let products = (0..<a.shape[0]).map { i in
            matmul(a.slice(axis: 0, i..<(i + 1)).reshaped(Array(a.shape.dropFirst())),
                   b.slice(axis: 0, i..<(i + 1)).reshaped(Array(b.shape.dropFirst())),
                   transposeA: transposeA, transposeB: transposeB)
        }
        return Tensor.concatenate(products.map { $0.reshaped([1] + $0.shape) }, axis: 0)
    }
    precondition(a.rank == 2 && b.rank == 2, "matmul: needs matrices (or batches of them), got shapes \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
    var out = Tensor(uninitializedShape: [m, n], dtype: a.dtype)
    out.gemm(a, b, transposeA: transposeA, transposeB: transposeB)
    return out
}
