import Foundation
import Testing
@testable import Nabla

/// Clipping by global norm: gradients [3, 4] and [12] have norm √(9 + 16 + 144) = 13.
@Suite struct GradientClippingTests {
    func parameters(_ dtype: DType) -> [(name: String, variable: Variable)] {
        let a = Variable(Tensor([0, 0], shape: [2], dtype: dtype), requiresGrad: true)
        let b = Variable(Tensor([0], shape: [1], dtype: dtype), requiresGrad: true)
        let c = Variable(Tensor([0], shape: [1], dtype: dtype), requiresGrad: true)   // no gradient: left out
        a.grad = Tensor([3, 4], shape: [2], dtype: dtype)
        b.grad = Tensor([12], shape: [1], dtype: dtype)
        return [("a", a), ("b", b), ("c", c)]
    }

    @Test(arguments: [DType.float32, .float64])
    func aNormAboveTheLimitIsScaledDownToIt(dtype: DType) {
        let p = parameters(dtype)
        #expect(gradientNorm(p) == 13)
        // 6.5 / 13 = 0.5: [1.5, 2] and [6], whose norm is 6.5.
        #expect(clipGradientNorm(p, maxNorm: 6.5) == 13)
        #expect(p[0].variable.grad?.doubles == [1.5, 2] && p[1].variable.grad?.doubles == [6])
        #expect(p[2].variable.grad == nil)
        #expect(gradientNorm(p) == 6.5)
    }

    @Test func aNormAtOrBelowTheLimitIsLeftAlone() {
        let p = parameters(.float64)
        #expect(clipGradientNorm(p, maxNorm: 13) == 13)
        #expect(p[0].variable.grad?.doubles == [3, 4] && p[1].variable.grad?.doubles == [12])
    }

    /// One full-batch SGD step per epoch: the history's norm is the norm of the first gradient, and
    /// the weights move by exactly lr · limit.
    @Test func theTrainerClipsAndRecordsTheNormBeforeClipping() throws {
        let data = TrainerTests.mnist
        var g = RandomGenerator(seed: 3)
        let model = Sequential(Linear(784, 10, generator: &g))
        let before = model.parameters().map { $0.variable.value }
        // The norm the first step will see, measured by hand on the same weights and data.
        let loss = softmaxCrossEntropy(logits: model(Variable(data.train.features)), labels: data.train.labels)
        loss.backward()
        let norm = gradientNorm(model.parameters())
        model.parameters().forEach { $0.variable.zeroGrad() }

        var options = TrainerOptions()
        options.epochs = 1
        options.sampleBatches = false
        options.learningRate = 0.1
        options.maxGradientNorm = norm / 4
        options.verbose = false
        let trainer = Trainer(model: model, optimizer: try SGD(model.parameters(), learningRate: 0.1), options: options)
        try trainer.fit(train: data.train, validation: data.validation)
        #expect(abs(trainer.history.metric("grad_norm")[0] - norm) <= 1e-9 * norm)
        #expect(trainer.history.metric("grad_norm_max") == trainer.history.metric("grad_norm"))
        let moved = zip(model.parameters().map { $0.variable.value }, before).map { a, b in ((a - b) * (a - b)).sum().scalar }
        #expect(abs(moved.reduce(0, +).squareRoot() - 0.1 * norm / 4) <= 1e-5 * norm)
        #expect(trainer.history.epochCSV.hasPrefix("epoch,loss,train_acc,val_acc,val_loss,lr,time,elapsed,grad_norm,grad_norm_max\n"))
    }
}
