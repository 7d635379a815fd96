import Testing
@testable import Nabla

/// The convolution by its definition, in Double: the oracle (also of WinogradLanesTests).
func definition(_ x: Tensor, _ w: Tensor, _ b: Tensor?, padding: Int) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    let oh = h + 2 * padding - k + 1, ow = wd + 2 * padding - k + 1
    var y = Tensor.zeros([n, o, oh, ow], dtype: .float64)
    for i in 0..<n { for f in 0..<o { for r in 0..<oh { for s in 0..<ow {
        var sum = b?[f] ?? 0
        for ch in 0..<c { for p in 0..<k { for q in 0..<k {
            let iy = r - padding + p, ix = s - padding + q
            if iy >= 0 && iy < h && ix >= 0 && ix < wd { sum += x[i, ch, iy, ix] * w[f, ch, p, q] }
        } } }
        y[i, f, r, s] = sum
    } } } }
    return y
}

@Suite struct WinogradConvolutionTests {
    /// One tile in one dimension: `Aᵀ [(G g) ⊙ (Bᵀ d)]` is the correlation of `d` with `g`.
    @Test(arguments: [3, 5])
    func transformsComputeOneTileExactly(_ r: Int) {
        let t = WinogradTransform.forKernel(r)!
        let alpha = t.alpha
        #expect(t.m == 2 && t.r == r && alpha == r + 1)
        let d = (0..<alpha).map { Double($0 * $0) - 2.5 }, g = (0..<r).map { 1.5 - Double($0) }
        let gg = (0..<alpha).map { a in (0..<r).reduce(0.0) { $0 + t.filter[a * r + $1] * g[$1] } }
        let bd = (0..<alpha).map { a in (0..<alpha).reduce(0.0) { $0 + t.input[a * alpha + $1] * d[$1] } }
        for i in 0..<2 {
            let y = (0..<alpha).reduce(0.0) { $0 + t.output[$1 * 2 + i] * gg[$1] * bd[$1] }
            let expected = (0..<r).reduce(0.0) { $0 + g[$1] * d[i + $1] }
            #expect(abs(y - expected) < 1e-12, "F(2, \(r)) output \(i): \(y) vs \(expected)")
        }
        // F(2×2, 3×3)'s input transform is Lavin's, up to the signs of rows 0 and 3.
        if r == 3 { #expect(t.input == [-1, 0, 1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, -1, 0, 1]) }
    }

    @Test(arguments: [
        // (batch, channels, height, width, filters, kernel, padding): odd and even sizes, tiles past
        // the edge, several blocks, padding 0 to kernel - 1.
        [3, 2, 5, 6, 4, 3, 1], [2, 3, 7, 9, 2, 3, 0], [5, 1, 16, 16, 3, 3, 2], [2, 2, 8, 7, 3, 5, 2],
        [1, 3, 6, 5, 2, 5, 4], [40, 2, 6, 6, 2, 3, 1],
    ])
    func forwardAndGradientsMatchIm2colInDouble(_ c: [Int]) {
        let x = seededNormals([c[0], c[1], c[2], c[3]], seed: 21)
        let w = seededNormals([c[4], c[1], c[5], c[5]], seed: 22), b = seededNormals([c[4]], seed: 23)
        func run(_ algorithm: ConvolutionAlgorithm) -> [Tensor] {
            let vx = Variable(x, requiresGrad: true), vw = Variable(w, requiresGrad: true), vb = Variable(b, requiresGrad: true)
            let y = conv2d(vx, weight: vw, bias: vb, padding: c[6], algorithm: algorithm)
            y.backward(seed: seededNormals(y.shape, seed: 24))
            return [y.value, vx.grad!, vw.grad!, vb.grad!]
        }
        let winograd = run(.winograd), im2col = run(.im2col)
        #expect(winograd[0].isAlmostEqual(to: definition(x, w, b, padding: c[6]), tolerance: 1e-11))
        for (name, (a, e)) in zip(["y", "dx", "dw", "db"], zip(winograd, im2col)) {
            #expect(a.shape == e.shape && a.isAlmostEqual(to: e, tolerance: 1e-10), "\(c) \(name)")
        }
    }

    /// F(2×2, 3×3)'s written-out transforms against the general sparse loops, forward and backward.
    @Test func writtenOutTransformsMatchTheGeneralLoops() {
        let x = seededNormals([3, 3, 7, 9], seed: 32), w = seededNormals([4, 3, 3, 3], seed: 33)
        let b = seededNormals([4], seed: 34), gy = seededNormals([3, 4, 7, 9], seed: 35)
        func run(general: Bool) -> [Tensor] {
            var g = WinogradGeometry(.f2x3, channels: 3, outChannels: 4, height: 7, width: 9, padding: 1)
            g.generalLoops = general
            var y = Tensor.zeros([3, 4, 7, 9], dtype: .float64)
            winogradConv2dForward(x, w, b, &y, g, Double.self)
            var gx: Tensor? = Tensor.zeros(like: x), gw: Tensor? = Tensor.zeros(like: w), gb: Tensor? = Tensor.zeros(like: b)
            winogradConv2dBackward(x, w, gy, &gx, &gw, &gb, g, Double.self)
            return [y, gx!, gw!, gb!]
        }
        for (a, e) in zip(run(general: false), run(general: true)) { #expect(a.isAlmostEqual(to: e, tolerance: 1e-12)) }
    }

    @Test(arguments: [[2, 2, 5, 6, 3, 3, 1], [2, 2, 6, 5, 2, 5, 2]])
    func gradientsMatchFiniteDifferences(_ c: [Int]) {
        let x = seededNormals([c[0], c[1], c[2], c[3]], seed: 25)
        let w = seededNormals([c[4], c[1], c[5], c[5]], seed: 26), b = seededNormals([c[4]], seed: 27)
        let result = checkGradients(at: [x, w, b], step: 1e-4) { v in
            conv2d(v[0], weight: v[1], bias: v[2], padding: c[6], algorithm: .winograd)
        }
        #expect(result.passed(tolerance: 1e-6), "\(c): \(result)")
    }

    /// Float through Winograd against the exact convolution: the error of each output, over
    /// `Σ |w|·|x|` of its window, stays under the bound documented in WinogradConvolution.swift.
    @Test(arguments: [(3, 18.0), (5, 14.0)])
    func floatErrorStaysWithinTheDocumentedBound(_ r: Int, _ bits: Double) {
        let x = seededNormals([2, 32, 10, 10], seed: 28), w = seededNormals([16, 32, r, r], seed: 29)
        let padding = r / 2
        let exact = definition(x, w, nil, padding: padding)
        let scale = definition(abs(x), abs(w), nil, padding: padding)
        let y = conv2d(Variable(x.converted(to: .float32)), weight: Variable(w.converted(to: .float32)),
                       padding: padding, algorithm: .winograd).value.converted(to: .float64)
        let worst = (abs(y - exact) / scale).max().scalar
        let im2col = conv2d(Variable(x.converted(to: .float32)), weight: Variable(w.converted(to: .float32)),
                            padding: padding, algorithm: .im2col).value.converted(to: .float64)
        let im2colWorst = (abs(im2col - exact) / scale).max().scalar
        #expect(worst < pow2(-bits), "F(2×2, \(r)×\(r)): worst relative error \(worst), im2col \(im2colWorst)")
        #expect(im2colWorst < pow2(-20))
    }

    /// `conv2d` picks Winograd for stride-1 3×3 layers with 16 or more channels in and out, and
    /// gives im2col's values there (to Float rounding).
    @Test func automaticChoiceAndItsValues() {
        let g = ConvolutionGeometry(channels: 32, height: 16, width: 16, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        #expect(ConvolutionAlgorithm.automatic.usesWinograd(g, outChannels: 64, batch: 3) != nil)
        #expect(ConvolutionAlgorithm.automatic.usesWinograd(g, outChannels: 8, batch: 3) == nil)
        #expect(ConvolutionAlgorithm.im2col.usesWinograd(g, outChannels: 64, batch: 3) == nil)
        let strided = ConvolutionGeometry(channels: 32, height: 16, width: 16, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
        #expect(ConvolutionAlgorithm.winograd.usesWinograd(strided, outChannels: 64, batch: 3) == nil)
        let x = seededNormals([3, 16, 9, 10], seed: 30).converted(to: .float32)
        let w = (seededNormals([16, 16, 3, 3], seed: 31) * 0.1).converted(to: .float32)
        let auto = conv2d(Variable(x), weight: Variable(w), padding: 1).value
        let im2col = conv2d(Variable(x), weight: Variable(w), padding: 1, algorithm: .im2col).value
        #expect(auto.isAlmostEqual(to: im2col, tolerance: 1e-4))
    }
}

private func pow2(_ e: Double) -> Double { Double(sign: .plus, exponent: Int(e), significand: 1) }
