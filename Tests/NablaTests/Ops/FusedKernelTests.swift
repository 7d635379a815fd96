import Testing
@testable import Nabla

/// Kernels written for speed (fused or vectorized) against the plain computation they replace.
@Suite struct FusedKernelTests {
    /// Values that tie often (five levels), with NaN, infinities and signed zeros mixed in.
    private func awkward(_ shape: [Int], dtype: DType, seed: UInt64) -> Tensor {
        var g = RandomGenerator(seed: seed)
        let specials: [Double] = [.nan, .infinity, -.infinity, 0, -0.0]
        let values = (0..<shape.reduce(1, *)).map { _ -> Double in
            if g.nextUniform() < 0.04 { return specials[Int(g.next() % 5)] }
            return Double(Int(g.next() % 5)) - 2
        }
        return Tensor(values, shape: shape, dtype: dtype)
    }

    /// Same shape and dtype, and every element the same, bit for bit, except that any NaN matches any NaN.
    private func same(_ a: Tensor, _ b: Tensor) -> Bool {
        guard a.shape == b.shape && a.dtype == b.dtype else { return false }
        return zip(a.doubles, b.doubles).allSatisfy { x, y in
            (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign)
        }
    }

    @Test(arguments: [[3, 37], [600, 500]])   // the second is large enough to be split over the cores
    func reluGradientIsTheMaskedProduct(_ shape: [Int]) {
        for dtype in [DType.float32, .float64] {
            let x = awkward(shape, dtype: dtype, seed: 1), g = awkward(shape, dtype: dtype, seed: 2)
            let expected = g * (x .> 0)
            #expect(same(reluGradient(g, x), expected))
            let v = Variable(x, requiresGrad: true)
            relu(v).backward(seed: g)
            #expect(same(v.grad!, expected))
        }
    }

    /// Max pooling over 2×2 windows with stride 2, computed the obvious way in Double: each window's
    /// first largest element in reading order (NaN if the window holds one); backward, each tied
    /// maximum gets `0 + g / ties`, everything else 0.
    private func naiveMaxPool(_ x: Tensor, _ gy: Tensor) -> (Tensor, Tensor) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (h / 2, w / 2)
        let v = x.doubles, g = gy.doubles
        var y = [Double](repeating: 0, count: n * c * oh * ow), dx = [Double](repeating: 0, count: v.count)
        for p in 0..<(n * c) {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let window = [0, 1, w, w + 1].map { p * h * w + 2 * oy * w + 2 * ox + $0 }
                    var best = -Double.infinity
                    for i in window where v[i] > best { best = v[i] }
                    if window.contains(where: { v[$0].isNaN }) { best = .nan }
                    let o = (p * oh + oy) * ow + ox
                    y[o] = best
                    let ties = window.filter { v[$0] == best }
                    for i in ties { dx[i] = 0 + g[o] / Double(ties.count) }
                }
            }
        }
        return (Tensor(y, shape: [n, c, oh, ow], dtype: x.dtype), Tensor(dx, shape: x.shape, dtype: x.dtype))
    }

    // Widths 36 and 20: vector blocks of 8 windows plus a scalar tail; 7×9: an odd height and width
    // leave a row and a column that no window covers; 32×16×16: enough planes to split over the cores.
    @Test(arguments: [[2, 3, 6, 36], [1, 2, 4, 20], [1, 2, 7, 9], [4, 32, 16, 16]])
    func maxPoolTwoByTwoMatchesTheNaiveSweep(_ shape: [Int]) {
        for dtype in [DType.float32, .float64] {
            let x = awkward(shape, dtype: dtype, seed: 3)
            let input = Variable(x, requiresGrad: true)
            let y = maxPool2d(input, kernel: 2)
            let gy = awkward(y.shape, dtype: dtype, seed: 4)
            y.backward(seed: gy)
            let (expectedY, expectedDx) = naiveMaxPool(x, gy)
            #expect(same(y.value, expectedY), "\(dtype) \(shape) forward")
            #expect(same(input.grad!, expectedDx), "\(dtype) \(shape) backward")
        }
    }
}
