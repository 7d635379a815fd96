import Foundation
import Testing
@testable import Nabla

/// Softmax cross-entropy against smoothed targets `q = (1 - ε)·onehot(y) + ε/C`.
@Suite struct LabelSmoothingTests {
    @Test func theLossAndGradientMatchTheFormula() {
        // Scores [1, 2, 3], label 0, ε = 0.3, C = 3: q = [0.8, 0.1, 0.1]; L = -Σ q_j log p_j.
        let s = Variable(Tensor([1, 2, 3], shape: [1, 3], dtype: .float64), requiresGrad: true)
        let loss = softmaxCrossEntropy(logits: s, labels: [0], smoothing: 0.3)
        let z = exp(1.0) + exp(2.0) + exp(3.0)
        let p = [exp(1.0) / z, exp(2.0) / z, exp(3.0) / z]
        let q = [0.8, 0.1, 0.1]
        #expect(abs(loss.value.scalar - -zip(q, p).map { $0 * log($1) }.reduce(0, +)) < 1e-12)
        loss.backward()
        // dL/ds = p - q
        for (got, want) in zip(s.grad!.doubles, zip(p, q).map { $0 - $1 }) { #expect(abs(got - want) < 1e-15) }
    }

    @Test func noSmoothingIsThePlainLoss() {
        var g = RandomGenerator(seed: 4)
        let s = Tensor.randomNormal([6, 5], standardDeviation: 2, dtype: .float32, generator: &g)
        let labels = [0, 4, 2, 2, 1, 3]
        #expect(softmaxCrossEntropy(logits: Variable(s), labels: labels, smoothing: 0).value
                == softmaxCrossEntropy(logits: Variable(s), labels: labels).value)
    }

    @Test(arguments: [0.1, 0.5, 0.9])
    func theGradientPassesTheCheck(smoothing: Double) {
        var g = RandomGenerator(seed: 12)
        let s = Tensor.randomNormal([5, 4], standardDeviation: 2, dtype: .float64, generator: &g)
        let r = checkGradients(at: [s]) { softmaxCrossEntropy(logits: $0[0], labels: [0, 1, 2, 3, 1], smoothing: smoothing) }
        #expect(r.passed(), "\(r)")
    }

    @Test func theTrainersLossSmoothsAndChanceStaysLogC() {
        let logits = Variable(Tensor([1, 2, 3], shape: [1, 3], dtype: .float64))
        let loss = ClassificationLoss.labelSmoothedCrossEntropy(smoothing: 0.3)
        #expect(loss(logits, [0]).value == softmaxCrossEntropy(logits: logits, labels: [0], smoothing: 0.3).value)
        #expect(SanityChecks.chanceLoss(classCount: 10, loss).value == log(10.0))
    }
}
