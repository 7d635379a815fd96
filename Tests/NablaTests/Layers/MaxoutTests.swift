import Testing
@testable import Nabla

@Suite struct MaxoutTests {
    @Test func shapesNamesAndDescription() {
        let layer = Maxout(784, 100, pieces: 3)
        #expect(layer.description == "Maxout(784 => 100, pieces: 3)")
        #expect(layer.weight.shape == [3, 100, 784] && layer.bias!.shape == [3, 100])
        #expect(layer.parameters().map(\.name) == ["weight", "bias"])
        #expect(layer(Tensor.zeros([5, 784])).shape == [5, 100])
        #expect(Maxout(4, 2, bias: false).description == "Maxout(4 => 2, pieces: 2, bias: false)")
    }

    /// Each output is the larger of the two pieces `w1ᵀx + b1` and `w2ᵀx + b2`, computed here one by one.
    @Test func outputIsTheMaximumOfThePieces() {
        let layer = Maxout(4, 3, pieces: 2, dtype: .float64, seed: 1)
        layer.bias!.value = seededNormals([2, 3], seed: 131)
        let x = seededNormals([5, 4], seed: 132)
        let y = layer(x)
        let w = layer.weight.value, b = layer.bias!.value
        for n in 0..<5 {
            for j in 0..<3 {
                let pieces = (0..<2).map { i in (0..<4).reduce(b[i, j]) { $0 + w[i, j, $1] * x[n, $1] } }
                #expect(abs(y[n, j] - pieces.max()!) < 1e-12)
            }
        }
    }

    @Test(arguments: [2, 3])
    func gradientsReachEveryPiece(_ pieces: Int) {
        let layer = Maxout(4, 3, pieces: pieces, dtype: .float64, seed: 2)
        layer.bias!.value = seededNormals([pieces, 3], seed: 133)
        let result = moduleGradientCheck(layer, input: seededNormals([6, 4], seed: 134), step: 1e-5)
        #expect(result.maxRelativeError < 1e-6, "\(result)")
        // Every piece wins somewhere, so every piece's weights received a gradient.
        for i in 0..<pieces {
            #expect(layer.weight.grad!.slice(axis: 0, i..<(i + 1)).doubles.contains { $0 != 0 })
        }
    }
}
