import Testing
@testable import Nabla

@Suite struct DropoutTests {
    @Test func evaluationIsTheIdentity() {
        let dropout = Dropout(0.5, seed: 1)
        dropout.eval()
        let x = seededNormals([4, 10], seed: 101)
        #expect(dropout(x) == x)
        dropout.train()
        #expect(dropout(x) != x)
        #expect(dropout.description == "Dropout(0.5)")
        #expect(dropout.parameters().isEmpty)
    }

    @Test func trainingDropsAndScalesKeepingTheMean() {
        let dropout = Dropout(0.25, seed: 2)
        let y = dropout(Tensor.ones([400, 500])).floats
        let dropped = Double(y.filter { $0 == 0 }.count) / Double(y.count)
        #expect(abs(dropped - 0.25) < 0.005)
        #expect(y.allSatisfy { $0 == 0 || abs($0 - 4.0 / 3) < 1e-6 })
        #expect(abs(Double(y.reduce(0, +)) / Double(y.count) - 1) < 0.01)
    }

    @Test func masksAreReproducibleFromTheSeed() {
        let x = Tensor.ones([1000])
        let a = Dropout(0.5, seed: 3), b = Dropout(0.5, seed: 3), c = Dropout(0.5, seed: 4)
        let first = a(x)
        #expect(first == b(x))
        #expect(first != c(x))
        #expect(a(x) != first)  // the generator moves on between batches
        // Layers built from one generator get different masks, and the same ones from the same seed.
        var g1 = RandomGenerator(seed: 5), g2 = RandomGenerator(seed: 5)
        let d1 = Dropout(0.5, generator: &g1), d2 = Dropout(0.5, generator: &g1), e1 = Dropout(0.5, generator: &g2)
        #expect(e1.generator == d1.generator)
        #expect(d1(x) != d2(x))
    }

    @Test func zeroProbabilityPassesThrough() {
        let x = seededNormals([3, 3], seed: 102)
        #expect(Dropout(0)(x) == x)
    }

    @Test func layerGradientMatchesFiniteDifferencesWithAReplayedMask() {
        let dropout = Dropout(0.4, seed: 6)
        let result = moduleGradientCheck(dropout, input: seededNormals([5, 6], seed: 103), step: 1e-4,
                                         beforeForward: { dropout.generator = RandomGenerator(seed: 6) })
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }
}
