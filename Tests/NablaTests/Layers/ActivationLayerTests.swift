import Testing
@testable import Nabla

@Suite struct ActivationLayerTests {
    @Test func descriptions() {
        let layers: [any Module] = [ReLU(), LeakyReLU(), ELU(), Sigmoid(), Tanh(), Softmax(), LogSoftmax(axis: 1), PReLU(), PReLU(channels: 8)]
        #expect(layers.map(\.description) == ["ReLU()", "LeakyReLU(slope: 0.01)", "ELU(alpha: 1.0)", "Sigmoid()", "Tanh()",
                                              "Softmax(axis: -1)", "LogSoftmax(axis: 1)", "PReLU()", "PReLU(channels: 8)"])
        #expect(layers.allSatisfy { $0 is PReLU || $0.parameters().isEmpty })
    }

    @Test func layersApplyTheirOps() {
        let x = seededNormals([3, 4], seed: 121)
        let v = Variable(x)
        #expect(ReLU()(x) == relu(x))
        #expect(LeakyReLU(slope: 0.2)(x) == leakyReLU(v, slope: 0.2).value)
        #expect(ELU(alpha: 0.5)(x) == elu(v, alpha: 0.5).value)
        #expect(Sigmoid()(x) == sigmoid(x))
        #expect(Tanh()(x) == tanh(x))
        #expect(Softmax(axis: 0)(x) == softmax(v, axis: 0).value)
        #expect(LogSoftmax()(x) == logSoftmax(v).value)
    }

    @Test func activationLayerGradients() {
        let x = seededNormals([3, 4], seed: 122) + 0.05  // keeps the normal samples used here away from 0
        let layers: [any Module] = [LeakyReLU(slope: 0.1), ELU(), Sigmoid(), Tanh(), Softmax(), LogSoftmax(axis: 0)]
        for layer in layers {
            let result = moduleGradientCheck(layer, input: x, step: 1e-5)
            #expect(result.maxRelativeError < 1e-6, "\(layer): \(result)")
        }
    }

    @Test func preluStartsAtAQuarterAndLearnsItsSlope() {
        let prelu = PReLU(channels: 3, dtype: .float64)
        #expect(prelu.weight.value.doubles == [0.25, 0.25, 0.25])
        #expect(prelu.parameters().map(\.name) == ["weight"])
        prelu.weight.value = Tensor([0.1, 0.3, -0.2], shape: [3], dtype: .float64)
        let x = seededNormals([4, 3, 2, 2], seed: 123)
        let result = moduleGradientCheck(prelu, input: x + sign(x) * 0.1, step: 1e-4)
        #expect(result.maxRelativeError < 1e-6, "\(result)")
        let shared = PReLU(dtype: .float64)
        let sharedResult = moduleGradientCheck(shared, input: seededNormals([5, 3], seed: 124) + 0.01, step: 1e-4)
        #expect(sharedResult.maxRelativeError < 1e-6, "\(sharedResult)")
    }
}
