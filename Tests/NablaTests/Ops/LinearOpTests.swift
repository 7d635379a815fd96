import Testing
@testable import Nabla

@Suite struct LinearOpTests {
    /// The fused op against `relu(matmul(x, W, transposeB: true) + b)` and its parts: values and the
    /// gradients of the input, the weight and the bias agree exactly, with and without the bias and
    /// the ReLU, on inputs where many sums are exactly 0 (small integers) or negative.
    @Test(arguments: [(5, 7, 3), (1, 4, 9), (64, 33, 17)])
    func matchesMatmulBiasAndReLU(_ rows: Int, _ inputs: Int, _ outputs: Int) {
        for dtype in [DType.float32, .float64] {
            var random = RandomGenerator(seed: 51)
            func integers(_ shape: [Int]) -> Tensor {
                Tensor((0..<shape.reduce(1, *)).map { _ in Double(Int(random.next() % 5)) - 2 }, shape: shape, dtype: dtype)
            }
            let x = integers([rows, inputs]), w = integers([outputs, inputs]), b = integers([outputs])
            let seed = seededNormals([rows, outputs], seed: 52).converted(to: dtype)
            for (withBias, relu) in [(true, true), (true, false), (false, true), (false, false)] {
                let fused = [x, w, b].map { Variable($0, requiresGrad: true) }
                let plain = [x, w, b].map { Variable($0, requiresGrad: true) }
                let y = linear(fused[0], weight: fused[1], bias: withBias ? fused[2] : nil, relu: relu)
                var expected = matmul(plain[0], plain[1], transposeB: true)
                if withBias { expected = expected + plain[2] }
                if relu { expected = Nabla.relu(expected) }
                let label = "\(rows)×\(inputs) => \(outputs) \(dtype) bias: \(withBias) relu: \(relu)"
                #expect(y.value.doubles == expected.value.doubles, "\(label)")
                y.backward(seed: seed)
                expected.backward(seed: seed)
                for i in 0..<(withBias ? 3 : 2) {
                    #expect(fused[i].grad!.doubles == plain[i].grad!.doubles, "\(label), input \(i)")
                }
                #expect(withBias || fused[2].grad == nil)
            }
        }
    }

    /// In Double against centered differences; normal samples keep every sum away from ReLU's kink.
    @Test func gradientsMatchFiniteDifferences() {
        let x = seededNormals([6, 5], seed: 53), w = seededNormals([4, 5], seed: 54), b = seededNormals([4], seed: 55)
        for relu in [false, true] {
            let result = checkGradients(at: [x, w, b], step: 1e-6) { v in linear(v[0], weight: v[1], bias: v[2], relu: relu) }
            #expect(result.passed(tolerance: 1e-6), "relu: \(relu): \(result)")
        }
    }

    /// `Sequential` runs a `Linear` followed by a `ReLU` as the fused op, with the layers' own values.
    @Test func sequentialFusesLinearAndReLU() {
        let model = Sequential(Linear(6, 5, seed: 56), ReLU(), Linear(5, 3, seed: 57))
        let x = Variable(seededNormals([4, 6], seed: 58).converted(to: .float32))
        let hidden = model.layers[0](x)
        #expect(hidden.op == "linear")
        let separate = model.layers[2](model.layers[1](hidden))
        let together = model(x)
        #expect(together.value.floats == separate.value.floats)
        #expect(together.inputs[0].op == "linearReLU")
    }
}
