import Testing
@testable import Nabla

/// F(4×4, 3×3) and F(4×4, 5×5) (`ConvolutionAlgorithm.winograd4`, WinogradLanes.swift) against
/// im2col, finite differences and the exact convolution.
@Suite struct WinogradLanesTests {
    /// One tile in one dimension: `Aᵀ [(G g) ⊙ (Bᵀ d)]` is the correlation of `d` with `g`.
    @Test(arguments: [3, 5])
    func transformsComputeOneTileExactly(_ r: Int) {
        let t = WinogradTransform.forKernel(r, outputs: 4)!
        let alpha = t.alpha
        #expect(t.m == 4 && t.r == r && alpha == r + 3)
        let d = (0..<alpha).map { Double($0 * $0) - 2.5 }, g = (0..<r).map { 1.5 - Double($0) }
        let gg = (0..<alpha).map { a in (0..<r).reduce(0.0) { $0 + t.filter[a * r + $1] * g[$1] } }
        let bd = (0..<alpha).map { a in (0..<alpha).reduce(0.0) { $0 + t.input[a * alpha + $1] * d[$1] } }
        for i in 0..<4 {
            let y = (0..<alpha).reduce(0.0) { $0 + t.output[$1 * 4 + i] * gg[$1] * bd[$1] }
            let expected = (0..<r).reduce(0.0) { $0 + g[$1] * d[i + $1] }
            #expect(abs(y - expected) < 1e-10, "F(4, \(r)) output \(i): \(y) vs \(expected)")
        }
    }

    @Test(arguments: [
        // (batch, channels, height, width, filters, kernel, padding): one image, a partial group of
        // eight, several groups and blocks, odd sizes, tiles past the edge, padding 0 to 2 (and 4).
        [1, 3, 7, 9, 5, 3, 1], [11, 5, 14, 14, 3, 3, 1], [9, 2, 9, 7, 3, 3, 0], [3, 3, 6, 5, 2, 3, 2], [40, 2, 7, 7, 3, 3, 1],
        [1, 3, 7, 9, 5, 5, 2], [10, 5, 14, 14, 3, 5, 2], [17, 2, 9, 8, 3, 5, 0], [2, 3, 6, 7, 2, 5, 1], [3, 2, 5, 6, 2, 5, 4],
    ])
    func forwardAndGradientsMatchIm2colInDouble(_ c: [Int]) {
        let x = seededNormals([c[0], c[1], c[2], c[3]], seed: 41)
        let w = seededNormals([c[4], c[1], c[5], c[5]], seed: 42), b = seededNormals([c[4]], seed: 43)
        func run(_ algorithm: ConvolutionAlgorithm) -> [Tensor] {
            let vx = Variable(x, requiresGrad: true), vw = Variable(w, requiresGrad: true), vb = Variable(b, requiresGrad: true)
            let y = conv2d(vx, weight: vw, bias: vb, padding: c[6], algorithm: algorithm)
            y.backward(seed: seededNormals(y.shape, seed: 44))
            return [y.value, vx.grad!, vw.grad!, vb.grad!]
        }
        let winograd = run(.winograd4), im2col = run(.im2col)
        for (name, (a, e)) in zip(["y", "dx", "dw", "db"], zip(winograd, im2col)) {
            #expect(a.shape == e.shape && a.isAlmostEqual(to: e, tolerance: 1e-10), "\(c) \(name)")
        }
    }

    @Test(arguments: [[2, 2, 5, 6, 3, 3, 1], [9, 2, 6, 5, 2, 5, 2]])
    func gradientsMatchFiniteDifferences(_ c: [Int]) {
        let x = seededNormals([c[0], c[1], c[2], c[3]], seed: 45)
        let w = seededNormals([c[4], c[1], c[5], c[5]], seed: 46), b = seededNormals([c[4]], seed: 47)
        let result = checkGradients(at: [x, w, b], step: 1e-4) { v in
            conv2d(v[0], weight: v[1], bias: v[2], padding: c[6], algorithm: .winograd4)
        }
        #expect(result.passed(tolerance: 1e-6), "\(c): \(result)")
    }

    /// Float through 4 × 4 tiles against the exact convolution: the error of each output, over
    /// `Σ |w|·|x|` of its window, stays under the bound documented in WinogradConvolution.swift
    /// (the input gradient is the same forward pass on other operands).
    @Test(arguments: [(3, 16.0), (5, 16.0)])
    func floatErrorStaysWithinTheDocumentedBound(_ r: Int, _ bits: Double) {
        let x = seededNormals([9, 32, 14, 14], seed: 48), w = seededNormals([16, 32, r, r], seed: 49)
        let padding = r / 2
        let exact = definition(x, w, nil, padding: padding)
        let scale = definition(abs(x), abs(w), nil, padding: padding)
        let y = conv2d(Variable(x.converted(to: .float32)), weight: Variable(w.converted(to: .float32)),
                       padding: padding, algorithm: .winograd4).value.converted(to: .float64)
        let worst = (abs(y - exact) / scale).max().scalar
        #expect(worst < pow2(-bits), "F(4×4, \(r)×\(r)): worst relative error \(worst)")
    }

    /// Same inputs, same bits: the batch is split over the cores by groups of eight images, and the
    /// weight gradient's per-core sums are added in a fixed order.
    @Test func resultsAreTheSameBitsEveryRun() {
        let x = seededNormals([21, 6, 14, 14], seed: 50).converted(to: .float32)
        let w = seededNormals([8, 6, 5, 5], seed: 51).converted(to: .float32), b = seededNormals([8], seed: 52).converted(to: .float32)
        let seed = seededNormals([21, 8, 14, 14], seed: 53).converted(to: .float32)
        func run() -> [Tensor] {
            let vx = Variable(x, requiresGrad: true), vw = Variable(w, requiresGrad: true), vb = Variable(b, requiresGrad: true)
            let y = conv2d(vx, weight: vw, bias: vb, padding: 2, algorithm: .winograd4)
            y.backward(seed: seed)
            return [y.value, vx.grad!, vw.grad!, vb.grad!]
        }
        let first = run()
        for _ in 0..<3 { #expect(run() == first) }
    }

    /// `automatic` takes 4 × 4 tiles for stride-1 3×3 and 5×5 layers with 16 or more channels in
    /// and out and at least eight images, and gives im2col's values there (to Float rounding).
    @Test func automaticChoiceAndItsValues() {
        let g5 = ConvolutionGeometry(channels: 16, height: 14, width: 14, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2)
        #expect(ConvolutionAlgorithm.automatic.usesWinograd(g5, outChannels: 32, batch: 100)?.transform.m == 4)
        #expect(ConvolutionAlgorithm.automatic.usesWinograd(g5, outChannels: 32, batch: 1) == nil)
        #expect(ConvolutionAlgorithm.winograd4.usesWinograd(g5, outChannels: 32, batch: 1)?.transform.m == 4)
        #expect(ConvolutionAlgorithm.winograd.usesWinograd(g5, outChannels: 32, batch: 100)?.transform.m == 2)
        let x = seededNormals([10, 16, 9, 10], seed: 54).converted(to: .float32)
        let w = (seededNormals([16, 16, 5, 5], seed: 55) * 0.1).converted(to: .float32)
        let auto = conv2d(Variable(x), weight: Variable(w), padding: 2).value
        let im2col = conv2d(Variable(x), weight: Variable(w), padding: 2, algorithm: .im2col).value
        #expect(auto.isAlmostEqual(to: im2col, tolerance: 1e-4))
    }
}

private func pow2(_ e: Double) -> Double { Double(sign: .plus, exponent: Int(e), significand: 1) }
