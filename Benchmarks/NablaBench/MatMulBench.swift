import CBLAS
import Nabla

/// `matmul(a, b)` on square Float matrices against `cblas_sgemm` called directly on the same
/// sizes, in the same run: the ratio is the cost of going through the tensor API.
func benchmarkMatMul(sizes: [Int]) {
    var generator = RandomGenerator(seed: 1)
    for n in sizes {
        let a = Tensor.randomUniform([n, n], lower: -1, upper: 1, generator: &generator)
        let b = Tensor.randomUniform([n, n], lower: -1, upper: 1, generator: &generator)
        // The direct call works on plain arrays holding the same values, writing into a
        // preallocated result as a hand-written BLAS user would.
        let x = a.floats, y = b.floats
        var z = [Float](repeating: 0, count: n * n)
        var sink: Float = 0

        let nabla = {
            let c = matmul(a, b)
            sink += c.withUnsafeBufferPointer(as: Float.self) { $0[0] }
        }
        let direct = {
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    z.withUnsafeMutableBufferPointer { zp in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                                    1, xp.baseAddress, Int32(n), yp.baseAddress, Int32(n),
                                    0, zp.baseAddress, Int32(n))
                    }
                }
            }
            sink += z[0]
        }
        let times = interleavedBest(rounds: 12, minimumSampleSeconds: 0.05, [nabla, direct])
        let flops = 2 * Double(n) * Double(n) * Double(n)
        let nablaGFlops = flops / times[0] / 1e9, cblasGFlops = flops / times[1] / 1e9
        print("RESULT matmul n=\(n) nabla_gflops=\(fixed(nablaGFlops)) cblas_gflops=\(fixed(cblasGFlops))"
              + " ratio=\(fixed(nablaGFlops / cblasGFlops, 3))")
        if sink.isNaN { print("(unexpected NaN)") }
    }
}
