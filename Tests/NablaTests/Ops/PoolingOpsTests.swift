import Testing
@testable import Nabla

@Suite struct PoolingOpTests {
    private let image = Tensor([1, 2, 5, 6,
                                3, 4, 7, 8,
                                9, 10, 13, 14,
                                11, 12, 15, 16], shape: [1, 1, 4, 4])

    @Test func maxPoolTwoByTwoByHand() {
        let y = maxPool2d(Variable(image), kernel: 2).value
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.floats == [4, 8, 12, 16])
        // Overlapping windows (stride 1).
        #expect(maxPool2d(Variable(image), kernel: 2, stride: 1).value.floats == [4, 7, 8, 10, 13, 14, 12, 15, 16])
    }

    @Test func maxPoolGradientGoesToTheMaximum() {
        let x = Variable(image, requiresGrad: true)
        maxPool2d(x, kernel: 2).sum().backward()
        #expect(x.grad!.floats == [0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1])
    }

    @Test func paddingNeverWinsAMaxPool() {
        let y = maxPool2d(Variable(Tensor.full([1, 1, 3, 3], value: -1)), kernel: 3, stride: 1, padding: 1).value
        #expect(y.floats == [Float](repeating: -1, count: 9))
    }

    @Test func nanPropagatesThroughMaxPool() {
        var x = image
        x[0, 0, 1, 1] = .nan
        let y = maxPool2d(Variable(x), kernel: 2).value.floats
        #expect(y[0].isNaN && y[1] == 8)
    }

    @Test func avgPoolByHand() {
        #expect(avgPool2d(Variable(image), kernel: 2).value.floats == [2.5, 6.5, 10.5, 14.5])
        // With padding the zeros count in the mean (PyTorch's count_include_pad): corners see 4 ones of 9.
        let y = avgPool2d(Variable(Tensor.ones([1, 1, 3, 3], dtype: .float64)), kernel: 3, stride: 1, padding: 1).value
        let expected: [Double] = [4, 6, 4, 6, 9, 6, 4, 6, 4].map { $0 / 9 }
        #expect(y.isAlmostEqual(to: Tensor(expected, shape: [1, 1, 3, 3], dtype: .float64), tolerance: 1e-15))
    }

    @Test func shapes() {
        let x = Variable(Tensor.zeros([8, 16, 28, 27]))
        #expect(maxPool2d(x, kernel: 2).shape == [8, 16, 14, 13])
        #expect(maxPool2d(x, kernel: 3, stride: 2, padding: 1).shape == [8, 16, 14, 14])
        #expect(avgPool2d(x, kernel: 3, stride: 1).shape == [8, 16, 26, 25])
    }

    @Test(arguments: [
        // (batch, channels, height, width, kernel, stride, padding)
        [2, 3, 4, 4, 2, 2, 0], [1, 2, 5, 7, 3, 2, 0], [2, 1, 5, 5, 3, 1, 1], [2, 2, 6, 5, 2, 1, 1], [1, 1, 7, 4, 3, 3, 1],
    ])
    func gradientsMatchFiniteDifferences(_ c: [Int]) {
        // Normal samples are distinct, so away from ties; the step stays below the gaps between them.
        let x = seededNormals([c[0], c[1], c[2], c[3]], seed: 11)
        let maxResult = checkGradients(at: [x], step: 1e-5) { v in maxPool2d(v[0], kernel: c[4], stride: c[5], padding: c[6]) }
        #expect(maxResult.passed(tolerance: 1e-6), "max \(c): \(maxResult)")
        let avgResult = checkGradients(at: [x], step: 1e-4) { v in avgPool2d(v[0], kernel: c[4], stride: c[5], padding: c[6]) }
        #expect(avgResult.passed(tolerance: 1e-6), "avg \(c): \(avgResult)")
    }

    /// Two elements tie for the maximum of a window: each gets half of the window's gradient, which
    /// is what centered differences measure there (one side raises the max, the other leaves it).
    @Test func tiedMaximaShareTheGradient() {
        let tied = Tensor([3, 3, 1, 2,
                           0, 1, 5, 0,
                           2, 7, 4, 4,
                           7, 1, 2, 0], shape: [1, 1, 4, 4], dtype: .float64)
        let x = Variable(tied, requiresGrad: true)
        maxPool2d(x, kernel: 2).sum().backward()
        #expect(x.grad!.doubles == [0.5, 0.5, 0, 0,
                                    0, 0, 1, 0,
                                    0, 0.5, 0.5, 0.5,
                                    0.5, 0, 0, 0])
        let result = checkGradients(at: [tied], step: 1e-5) { v in maxPool2d(v[0], kernel: 2) }
        #expect(result.passed(tolerance: 1e-6), "\(result)")
        // Overlapping windows that share a tied pair add their shares.
        let overlapping = checkGradients(at: [tied], step: 1e-5) { v in maxPool2d(v[0], kernel: 2, stride: 1) }
        #expect(overlapping.passed(tolerance: 1e-6), "\(overlapping)")
    }
}
