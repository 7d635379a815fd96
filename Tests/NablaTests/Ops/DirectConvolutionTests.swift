import Testing
@testable import Nabla

@Suite struct DirectConvolutionTests {
    /// The direct kernel against im2col in Double, values and all three gradients: one and three
    /// input channels, odd output counts (the last channel pair half empty), 1×1 to 5×5 and
    /// rectangular filters, padding 0 to 2, widths that leave a partial chunk of 32.
    @Test(arguments: [
        // (batch, channels, height, width, filters, kH, kW, padding)
        [3, 1, 28, 28, 16, 5, 5, 2], [2, 3, 9, 11, 5, 3, 3, 1], [4, 2, 6, 7, 3, 1, 1, 0], [2, 1, 7, 5, 1, 3, 2, 0],
        [5, 4, 5, 5, 2, 3, 3, 2],
    ])
    func matchesIm2colInDouble(_ c: [Int]) {
        let x = seededNormals([c[0], c[1], c[2], c[3]], seed: 41)
        let w = seededNormals([c[4], c[1], c[5], c[6]], seed: 42), b = seededNormals([c[4]], seed: 43)
        func run(_ algorithm: ConvolutionAlgorithm) -> [Tensor] {
            let vx = Variable(x, requiresGrad: true), vw = Variable(w, requiresGrad: true), vb = Variable(b, requiresGrad: true)
            let y = conv2d(vx, weight: vw, bias: vb, padding: c[7], algorithm: algorithm)
            y.backward(seed: seededNormals(y.shape, seed: 44))
            return [y.value, vx.grad!, vw.grad!, vb.grad!]
        }
        let direct = run(.direct), im2col = run(.im2col)
        for (name, (a, e)) in zip(["y", "dx", "dw", "db"], zip(direct, im2col)) {
            #expect(a.shape == e.shape && a.isAlmostEqual(to: e, tolerance: 1e-10), "\(c) \(name)")
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        let x = seededNormals([2, 3, 5, 6], seed: 45), w = seededNormals([3, 3, 3, 3], seed: 46), b = seededNormals([3], seed: 47)
        let result = checkGradients(at: [x, w, b], step: 1e-4) { v in
            conv2d(v[0], weight: v[1], bias: v[2], padding: 1, algorithm: .direct)
        }
        #expect(result.passed(tolerance: 1e-6), "\(result)")
    }

    /// A first layer (input without a gradient) gets only its weight and bias gradients, and
    /// `automatic` computes stride-1 layers with up to 4 input channels directly.
    @Test func firstLayerAndAutomaticChoice() {
        let g = ConvolutionGeometry(channels: 3, height: 32, width: 32, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        #expect(usesDirectConvolution(g, .automatic) && !usesDirectConvolution(g, .im2col))
        let strided = ConvolutionGeometry(channels: 1, height: 8, width: 8, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
        #expect(!usesDirectConvolution(strided, .automatic) && !usesDirectConvolution(strided, .direct))
        let x = Variable(seededNormals([2, 1, 8, 8], seed: 48).converted(to: .float32))
        let w = Variable(seededNormals([4, 1, 3, 3], seed: 49).converted(to: .float32), requiresGrad: true)
        let y = conv2d(x, weight: w, padding: 1)
        y.sum().backward()
        #expect(x.grad == nil && w.grad!.shape == [4, 1, 3, 3])
        let reference = Variable(w.value, requiresGrad: true)
        conv2d(x, weight: reference, padding: 1, algorithm: .im2col).sum().backward()
        #expect(y.value.isAlmostEqual(to: conv2d(x, weight: w, padding: 1, algorithm: .im2col).value, tolerance: 1e-5))
        #expect(w.grad!.isAlmostEqual(to: reference.grad!, tolerance: 1e-4))
    }
}
