import Testing
@testable import Nabla

@Suite struct LinearTests {
    @Test func computesXTimesWTransposePlusB() {
        let layer = Linear(3, 2)
        layer.weight.value = Tensor([1, 0, -1, 2, 1, 0], shape: [2, 3])
        layer.bias!.value = Tensor([0.5, -0.5], shape: [2])
        let y = layer(Tensor([1, 2, 3], shape: [1, 3]))
        #expect(y.floats == [-1.5, 3.5])
        #expect(layer.description == "Linear(3 => 2)")
        #expect(layer.parameters().map(\.name) == ["weight", "bias"])
    }

    @Test func gradientCheckInDouble() {
        let layer = Linear(4, 3, dtype: .float64, seed: 2)
        var g = RandomGenerator(seed: 5)
        let x = Tensor.randomNormal([5, 4], dtype: .float64, generator: &g)
        let r = checkGradients(at: [x, layer.weight.value, layer.bias!.value]) { v in
            matmul(v[0], v[1], transposeB: true) + v[2]
        }
        #expect(r.passed(), "\(r)")
        // And through the module itself: its parameters receive the same gradients as the check's.
        let out = layer(Variable(x))
        out.sum().backward()
        #expect(layer.bias!.grad!.isAlmostEqual(to: .full([3], value: 5, dtype: .float64)))
    }

    @Test func sequentialNamesParametersByPosition() {
        let model = Sequential(Linear(4, 3), Linear(3, 2, bias: false))
        #expect(model.parameters().map(\.name) == ["0.weight", "0.bias", "1.weight"])
        #expect(model.parameterCount == 4 * 3 + 3 + 3 * 2)
    }

    @Test func userDefinedModulesFindTheirParts() {
        final class Net: Module {
            let encoder = Sequential(Linear(4, 3)), head = Linear(3, 2)
            var children: [(name: String, module: any Module)] { [("encoder", encoder), ("head", head)] }
            func callAsFunction(_ x: Variable) -> Variable { head(relu(encoder(x))) }
        }
        let net = Net()
        #expect(net.parameters().map(\.name) == ["encoder.0.weight", "encoder.0.bias", "head.weight", "head.bias"])
        #expect(net(Tensor.zeros([2, 4])).shape == [2, 2])
    }
}

@Suite struct InitializerTests {
    func std(_ rule: Initializer, fanIn: Int) -> Double {
        var g = RandomGenerator(seed: 3)
        return rule.make([fanIn, 400], fanIn: fanIn, fanOut: 400, dtype: .float64, generator: &g).standardDeviation().scalar
    }

    @Test func scalesFollowTheRules() {
        #expect(abs(std(.gaussian(scale: 0.01), fanIn: 500) - 0.01) < 0.0005)
        #expect(abs(std(.xavier, fanIn: 500) - 1 / Double(500).squareRoot()) < 0.002)
        #expect(abs(std(.he, fanIn: 500) - (2 / Double(500)).squareRoot()) < 0.002)
        // U(-a, a) has standard deviation a / sqrt(3).
        #expect(abs(std(.uniform(scale: 0.3), fanIn: 500) - 0.3 / Double(3).squareRoot()) < 0.003)
        #expect(abs(std(.xavierUniform, fanIn: 500) - (6.0 / 900).squareRoot() / Double(3).squareRoot()) < 0.002)
    }

    @Test func sameSeedSameWeights() {
        #expect(Linear(10, 5, seed: 4).weight.value == Linear(10, 5, seed: 4).weight.value)
        #expect(Linear(10, 5, seed: 4).weight.value != Linear(10, 5, seed: 5).weight.value)
        #expect(Linear(10, 5, initializer: .zeros).weight.value == Tensor.zeros([5, 10]))
    }
}
