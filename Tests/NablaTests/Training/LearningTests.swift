import Testing
@testable import Nabla

/// Learning on real data: the shipped MNIST digits.
@Suite struct LearningTests {
    @Test func twoLayerNetworkLearnsMNIST() throws {
        let data = try Datasets.load("mnist-5k")
        var g = RandomGenerator(seed: 1)
        let order = g.permutation(data.count)
        let train = data.subset(Array(order[1000...])), test = data.subset(Array(order[..<1000]))
        let x = train.features.flattenedToMatrix() / 255, testX = test.features.flattenedToMatrix() / 255

        // The training loop, by hand: sample a batch, forward, loss, backward, update.
        let model = Sequential(Linear(784, 100, generator: &g), ReLUModule(), Linear(100, 10, generator: &g))
        let learningRate = 0.1
        for _ in 0..<8 {
            for slice in g.permutation(train.count).chunked(100) {
                let batch = Array(slice)
                let loss = softmaxCrossEntropy(logits: model(Variable(x.gathering(rows: batch))),
                                               labels: batch.map { train.labels[$0] })
                model.zeroGrad()
                loss.backward()
                for (_, p) in model.parameters() { p.value -= p.grad! * learningRate }
            }
        }
        model.eval()
        let testAccuracy = accuracy(logits: model(testX), labels: test.labels)
        #expect(testAccuracy >= 0.90, "test accuracy \(testAccuracy)")
    }
}

/// `max(0, x)` as a module, until the layer library has its own.
final class ReLUModule: Module {
    func callAsFunction(_ x: Variable) -> Variable { relu(x) }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
