import Testing
@testable import Nabla

/// Direct convolution by the definition, one output element at a time: the independent oracle.
private func directConvolution(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let oh = (h + 2 * padding - kh) / stride + 1, ow = (wd + 2 * padding - kw) / stride + 1
    var y = Tensor.zeros([n, o, oh, ow], dtype: .float64)
    for i in 0..<n { for f in 0..<o { for r in 0..<oh { for s in 0..<ow {
        var sum = b?[f] ?? 0
        for ch in 0..<c { for p in 0..<kh { for q in 0..<kw {
            let iy = r * stride - padding + p, ix = s * stride - padding + q
            if iy >= 0 && iy < h && ix >= 0 && ix < wd { sum += x[i, ch, iy, ix] * w[f, ch, p, q] }
        } } }
        y[i, f, r, s] = sum
    } } } }
    return y
}

@Suite struct ConvolutionOpTests {
    /// The input 1…9 as a 3×3 image and a 3×3 kernel of ones: each output sums a neighbourhood.
    @Test func oneChannelThreeByThreeByHand() {
        let x = Variable(Tensor((1...9).map(Float.init), shape: [1, 1, 3, 3]))
        let w = Variable(Tensor.ones([1, 1, 3, 3]))
        #expect(conv2d(x, weight: w).value.floats == [45])
        let padded = conv2d(x, weight: w, bias: Variable(Tensor([0.5])), padding: 1).value
        #expect(padded.shape == [1, 1, 3, 3])
        #expect(padded.floats == [12, 21, 16, 27, 45, 33, 24, 39, 28].map { $0 + 0.5 })
        let strided = conv2d(x, weight: w, stride: 2, padding: 1).value
        #expect(strided.floats == [12, 16, 24, 28])
        // A difference kernel: x[i][j] - x[i+1][j+1] = -4 everywhere.
        let diff = conv2d(x, weight: Variable(Tensor([1, 0, 0, -1], shape: [1, 1, 2, 2]))).value
        #expect(diff.shape == [1, 1, 2, 2] && diff.floats == [-4, -4, -4, -4])
    }

    @Test(arguments: [
        // (batch, channels, height, width, filters, kH, kW, stride, padding)
        [3, 2, 5, 6, 4, 3, 3, 1, 1], [4, 3, 7, 5, 2, 3, 2, 2, 0], [5, 1, 6, 6, 3, 2, 2, 2, 1],
        [2, 4, 4, 4, 5, 1, 1, 1, 0], [1, 2, 3, 8, 2, 3, 5, 1, 2],
    ])
    func matchesTheDefinition(_ c: [Int]) {
        let x = seededNormals([c[0], c[1], c[2], c[3]], seed: 1)
        let w = seededNormals([c[4], c[1], c[5], c[6]], seed: 2)
        let b = seededNormals([c[4]], seed: 3)
        let y = conv2d(Variable(x), weight: Variable(w), bias: Variable(b), stride: c[7], padding: c[8]).value
        let expected = directConvolution(x, w, b, stride: c[7], padding: c[8])
        #expect(y.shape == expected.shape)
        #expect(y.isAlmostEqual(to: expected, tolerance: 1e-12))
        // Float gives the same to single precision.
        let yf = conv2d(Variable(x.converted(to: .float32)), weight: Variable(w.converted(to: .float32)),
                        bias: Variable(b.converted(to: .float32)), stride: c[7], padding: c[8]).value
        #expect(yf.dtype == .float32 && yf.isAlmostEqual(to: expected, tolerance: 1e-4))
    }

    @Test(arguments: [
        // (batch, channels, height, width, filters, kH, kW, stride, padding, bias)
        [2, 2, 5, 5, 3, 3, 3, 1, 0, 1], [2, 2, 5, 6, 3, 3, 3, 1, 1, 1], [3, 1, 6, 7, 2, 2, 3, 2, 0, 0],
        [1, 3, 5, 4, 2, 3, 2, 2, 1, 1], [2, 2, 4, 5, 2, 1, 1, 1, 0, 0], [3, 1, 3, 3, 2, 3, 3, 2, 1, 1],
    ])
    func gradientsMatchFiniteDifferences(_ c: [Int]) {
        let x = seededNormals([c[0], c[1], c[2], c[3]], seed: 4)
        let w = seededNormals([c[4], c[1], c[5], c[6]], seed: 5)
        let b = seededNormals([c[4]], seed: 6)
        // The convolution is linear in each input, so a larger step adds no truncation error and
        // divides the round-off of the differences.
        let result = checkGradients(at: c[9] == 1 ? [x, w, b] : [x, w], step: 1e-4) { v in
            conv2d(v[0], weight: v[1], bias: v.count > 2 ? v[2] : nil, stride: c[7], padding: c[8])
        }
        #expect(result.passed(tolerance: 1e-6), "\(c): \(result)")
    }

    @Test func weightGradientAloneMatchesTheFullBackward() {
        let x = seededNormals([3, 2, 5, 5], seed: 7), w = seededNormals([2, 2, 3, 3], seed: 8)
        let w1 = Variable(w, requiresGrad: true)
        conv2d(Variable(x), weight: w1, padding: 1).sum().backward()
        let x2 = Variable(x, requiresGrad: true), w2 = Variable(w, requiresGrad: true)
        conv2d(x2, weight: w2, padding: 1).sum().backward()
        #expect(w1.grad!.isAlmostEqual(to: w2.grad!, tolerance: 1e-12))
        #expect(x2.grad!.shape == x.shape)
    }

    @Test func outputShapes() {
        let x = Variable(Tensor.zeros([8, 3, 32, 30]))
        #expect(conv2d(x, weight: Variable(.zeros([16, 3, 3, 3])), padding: 1).shape == [8, 16, 32, 30])
        #expect(conv2d(x, weight: Variable(.zeros([16, 3, 3, 3])), stride: 2, padding: 1).shape == [8, 16, 16, 15])
        #expect(conv2d(x, weight: Variable(.zeros([4, 3, 5, 1]))).shape == [8, 4, 28, 30])
        #expect(conv2d(Variable(Tensor.zeros([0, 3, 4, 4])), weight: Variable(.zeros([2, 3, 3, 3]))).shape == [0, 2, 2, 2])
    }
}
