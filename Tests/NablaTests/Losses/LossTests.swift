import Testing
@testable import Nabla

@Suite struct LossTests {
    var g = RandomGenerator(seed: 11)

    mutating func random(_ shape: [Int], scale: Double = 1) -> Tensor {
        Tensor.randomNormal(shape, standardDeviation: scale, dtype: .float64, generator: &g)
    }

    @Test func crossEntropyOfUniformScoresIsLogC() {
        // Equal scores: every class has probability 1/C, so the loss is ln C (2.3026 for 10 classes).
        let loss = softmaxCrossEntropy(logits: Variable(.zeros([4, 10])), labels: [0, 3, 9, 5])
        #expect(abs(loss.value.scalar - Double.log(10)) < 1e-6)
    }

    @Test func crossEntropyMatchesTheLectureFormula() {
        // The CS231n example: scores 3.2, 5.1, -1.7 for the true class 0: L = -log(e^3.2 / Σ e^s) ≈ 2.04.
        let s = Tensor([3.2, 5.1, -1.7], shape: [1, 3], dtype: .float64)
        let loss = softmaxCrossEntropy(logits: Variable(s), labels: [0]).value.scalar
        let expected = -Double.log(Double.exp(3.2) / (Double.exp(3.2) + Double.exp(5.1) + Double.exp(-1.7)))
        #expect(abs(loss - expected) < 1e-12)
        #expect(abs(loss - 2.04) < 0.01)
    }

    @Test func crossEntropyIsFiniteForHugeScores() {
        // Naively, e^10000 overflows and -log(0) = ∞. The stable form gives the exact 20000.
        for dtype in [DType.float32, .float64] {
            let s = Tensor([1e4, -1e4], shape: [1, 2], dtype: dtype)
            let wrong = softmaxCrossEntropy(logits: Variable(s), labels: [1]).value.scalar
            let right = softmaxCrossEntropy(logits: Variable(s), labels: [0]).value.scalar
            #expect(wrong == 2e4)
            #expect(right == 0)
        }
        let v = Variable(Tensor([1e4, -1e4], shape: [1, 2], dtype: .float64), requiresGrad: true)
        softmaxCrossEntropy(logits: v, labels: [1]).backward()
        #expect(v.grad?.doubles == [1, -1])
    }

    @Test mutating func crossEntropyGradient() {
        let s = random([5, 4], scale: 2)
        let r = checkGradients(at: [s]) { softmaxCrossEntropy(logits: $0[0], labels: [0, 1, 2, 3, 1]) }
        #expect(r.passed(), "\(r)")
    }

    @Test func hingeLossMatchesTheLectureExample() {
        // CS231n: scores [3.2, 5.1, -1.7] with true class 0: max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1) = 2.9.
        let s = Tensor([3.2, 5.1, -1.7], shape: [1, 3], dtype: .float64)
        #expect(abs(multiclassHingeLoss(scores: Variable(s), labels: [0]).value.scalar - 2.9) < 1e-12)
    }

    @Test mutating func hingeLossGradient() {
        let s = random([6, 5], scale: 2)
        let r = checkGradients(at: [s]) { multiclassHingeLoss(scores: $0[0], labels: [0, 1, 2, 3, 4, 0]) }
        #expect(r.passed(), "\(r)")
    }

    @Test mutating func meanSquaredErrorAndItsGradient() {
        let p = Tensor([1, 2, 3], shape: [3], dtype: .float64), t = Tensor([1, 0, 0], shape: [3], dtype: .float64)
        #expect(meanSquaredError(predictions: Variable(p), targets: t).value.scalar == 13.0 / 3)
        let targets = random([4, 2])
        let r = checkGradients(at: [random([4, 2])]) { meanSquaredError(predictions: $0[0], targets: targets) }
        #expect(r.passed(), "\(r)")
    }

    @Test mutating func penaltiesCoverWeightsNotBiases() {
        let w = Variable(Tensor([1, -2, 3, 0], shape: [2, 2], dtype: .float64), requiresGrad: true)
        let b = Variable(Tensor([5, 5], shape: [2], dtype: .float64), requiresGrad: true)
        let parameters = [("weight", w), ("bias", b)]
        #expect(l2Penalty(parameters, strength: 0.5)?.value.scalar == 7)   // 0.5 · (1 + 4 + 9)
        #expect(l1Penalty(parameters, strength: 2)?.value.scalar == 12)    // 2 · (1 + 2 + 3)
        #expect(l2Penalty(parameters, strength: 0) == nil)
        l2Penalty(parameters, strength: 0.5)!.backward()
        #expect(w.grad?.doubles == [1, -2, 3, 0])                         // λ · 2w
        #expect(b.grad == nil)
        let x = random([3, 3])
        let r = checkGradients(at: [x]) { v in l1Penalty([("w", v[0])], strength: 0.3)! + l2Penalty([("w", v[0])], strength: 0.7)! }
        #expect(r.passed(), "\(r)")
    }

    @Test func accuracyCountsArgmaxHits() {
        let logits = Tensor([0.1, 0.9, 0.8, 0.2, 0.3, 0.7], shape: [3, 2])
        #expect(accuracy(logits: logits, labels: [1, 0, 0]) == 2.0 / 3)
        let p = softmaxProbabilities(Tensor([0, 0, 1000], shape: [1, 3]))
        #expect(p.floats == [0, 0, 1])
    }
}
