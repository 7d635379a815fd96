import Foundation
import Testing
@testable import Nabla

@Suite struct Conv2DTests {
    @Test func descriptionShapesAndParameters() {
        let conv = Conv2D(3, 32, kernel: 3, padding: 1)
        #expect(conv.description == "Conv2D(3 => 32, kernel: 3, stride: 1, padding: 1)")
        #expect(Conv2D(1, 8, kernel: (3, 5), stride: 2, bias: false).description == "Conv2D(1 => 8, kernel: (3, 5), stride: 2, padding: 0, bias: false)")
        #expect(conv.parameters().map(\.name) == ["weight", "bias"])
        #expect(conv.weight.shape == [32, 3, 3, 3] && conv.bias!.shape == [32])
        #expect(conv(Tensor.zeros([8, 3, 32, 32])).shape == [8, 32, 32, 32])
        #expect(Conv2D(3, 16, kernel: 3, stride: 2, padding: 1)(Tensor.zeros([2, 3, 32, 30])).shape == [2, 16, 16, 15])
        #expect(Conv2D(3, 4, kernel: (5, 3))(Tensor.zeros([2, 3, 10, 10])).shape == [2, 4, 6, 8])
        #expect(conv.outputSize(height: 28, width: 20) == (28, 20))
    }

    @Test func defaultInitializationIsHeWithZeroBias() {
        let conv = Conv2D(16, 64, kernel: 3, seed: 7)
        let expected = (2.0 / Double(16 * 9)).squareRoot()
        let std = conv.weight.value.standardDeviation().scalar
        #expect(abs(std / expected - 1) < 0.05)
        #expect(abs(conv.weight.value.mean().scalar) < 0.01)
        #expect(conv.bias!.value.floats.allSatisfy { $0 == 0 })
        // The same seed gives the same weights.
        #expect(Conv2D(16, 64, kernel: 3, seed: 7).weight.value == conv.weight.value)
        #expect(Conv2D(16, 64, kernel: 3, seed: 8).weight.value != conv.weight.value)
    }

    @Test(arguments: [(3, 1, 0, true), (3, 2, 1, true), (2, 1, 1, false), (1, 2, 0, true)])
    func layerGradientsMatchFiniteDifferences(_ kernel: Int, _ stride: Int, _ padding: Int, _ bias: Bool) {
        let conv = Conv2D(2, 3, kernel: kernel, stride: stride, padding: padding, bias: bias, dtype: .float64, seed: 3)
        let result = moduleGradientCheck(conv, input: seededNormals([2, 2, 5, 6], seed: 61), step: 1e-4)
        #expect(result.maxRelativeError < 1e-6, "\(conv): \(result)")
    }

    @Test func nonSquareKernelGradients() {
        let conv = Conv2D(2, 2, kernel: (2, 3), stride: 2, padding: 1, dtype: .float64, seed: 4)
        let result = moduleGradientCheck(conv, input: seededNormals([3, 2, 4, 7], seed: 62), step: 1e-4)
        #expect(result.maxRelativeError < 1e-6, "\(conv): \(result)")
    }

    /// A small convolutional network, end to end in Double: every layer's parameters get the right
    /// gradient through the others (batch norm in training mode, pooling, flatten, linear).
    @Test func smallConvNetGradients() {
        var g = RandomGenerator(seed: 9)
        let net = Sequential(
            // No bias before batch norm: its gradient is exactly 0 (the normalization removes any shift).
            Conv2D(1, 2, kernel: 3, padding: 1, bias: false, dtype: .float64, generator: &g),
            BatchNorm(2, dtype: .float64),
            Tanh(),
            MaxPool2D(kernel: 2),
            Conv2D(2, 3, kernel: 2, dtype: .float64, generator: &g),
            ELU(),
            Flatten(),
            Linear(3, 2, dtype: .float64, generator: &g))
        #expect(net.parameters().map(\.name) == ["0.weight", "1.weight", "1.bias", "4.weight", "4.bias", "7.weight", "7.bias"])
        #expect(net.buffers().map(\.name) == ["1.running_mean", "1.running_var"])
        let result = moduleGradientCheck(net, input: seededNormals([3, 1, 4, 4], seed: 63), step: 1e-5)
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    @Test func wrongChannelCountStopsWithAClearMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2D(3, 32, kernel: 3)(Tensor.zeros([8, 1, 28, 28]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Conv2D(3 => 32, kernel: 3, stride: 1, padding: 0): input of shape [8, 1, 28, 28] has 1 channels, expected 3"))
    }
}
