import Testing
@testable import Nabla

@Suite struct PoolingLayerTests {
    @Test func descriptionsAndShapes() {
        #expect(MaxPool2D(kernel: 2).description == "MaxPool2D(kernel: 2, stride: 2)")
        #expect(AvgPool2D(kernel: 3, stride: 1, padding: 1).description == "AvgPool2D(kernel: 3, stride: 1, padding: 1)")
        #expect(MaxPool2D(kernel: 2)(Tensor.zeros([8, 32, 28, 28])).shape == [8, 32, 14, 14])
        #expect(AvgPool2D(kernel: 3, stride: 2)(Tensor.zeros([2, 3, 9, 7])).shape == [2, 3, 4, 3])
        #expect(MaxPool2D(kernel: 2).parameters().isEmpty)
    }

    @Test func poolingLayersMatchTheirOps() {
        let x = seededNormals([2, 3, 6, 5], seed: 111)
        #expect(MaxPool2D(kernel: 3, stride: 2, padding: 1)(x) == maxPool2d(Variable(x), kernel: 3, stride: 2, padding: 1).value)
        #expect(AvgPool2D(kernel: 2)(x) == avgPool2d(Variable(x), kernel: 2).value)
    }

    @Test(arguments: [(2, nil, 0), (3, 2, 1), (2, 1, 0)] as [(Int, Int?, Int)])
    func layerGradientsMatchFiniteDifferences(_ kernel: Int, _ stride: Int?, _ padding: Int) {
        let x = seededNormals([2, 2, 5, 6], seed: 112)
        let maxResult = moduleGradientCheck(MaxPool2D(kernel: kernel, stride: stride, padding: padding), input: x, step: 1e-5)
        #expect(maxResult.maxRelativeError < 1e-6, "\(maxResult)")
        let avgResult = moduleGradientCheck(AvgPool2D(kernel: kernel, stride: stride, padding: padding), input: x, step: 1e-4)
        #expect(avgResult.maxRelativeError < 1e-6, "\(avgResult)")
    }

    @Test func flattenKeepsTheBatchAxis() {
        let flatten = Flatten()
        #expect(flatten.description == "Flatten()")
        let x = seededNormals([4, 3, 2, 5], seed: 113)
        let y = flatten(x)
        #expect(y.shape == [4, 30])
        #expect(y.doubles == x.doubles)
        #expect(flatten(Tensor.zeros([0, 3, 2])).shape == [0, 6])
        let result = moduleGradientCheck(flatten, input: x, step: 1e-4)
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }
}
