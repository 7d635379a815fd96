/// The matrix product `op(a) · op(b)` (`op` transposes when asked).
/// Backward: `dA = dC · op(B)ᵀ`, `dB = op(A)ᵀ · dC`, each one BLAS call with transpose flags.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let x = a.value, y = b.value
    let out = matmul(x, y, transposeA: transposeA, transposeB: transposeB)
    return Variable(op: "matmul", value: out, inputs: [a, b]) { g in
        var gx: Tensor? = nil, gy: Tensor? = nil
        if a.requiresGrad {
            // With C = A·B: dA = dC·Bᵀ. With C = Aᵀ·B: dA = (dC·Bᵀ)ᵀ = B·dCᵀ.
            gx = transposeA
                ? matmul(y, g, transposeA: transposeB, transposeB: true)
                : matmul(g, y, transposeA: false, transposeB: !transposeB)
        }
        if b.requiresGrad {
            // dB = Aᵀ·dC; with C = A·Bᵀ: dB = (Aᵀ·dC)ᵀ = dCᵀ·A.
            gy = transposeB
                ? matmul(g, x, transposeA: true, transposeB: transposeA)
                : matmul(x, g, transposeA: !transposeA, transposeB: false)
        }
        return [gx, gy]
    }
}
