import Testing
@testable import Nabla

/// Export → new optimizer → load → continue must equal the run that never stopped, bit for bit.
@Suite struct OptimizerStateTests {
    /// Six gradients; the rate is changed after step 2, as a schedule would, so that the restored
    /// optimizer must take it from the state rather than from its initializer.
    static let gradients: [[Double]] = [[3, -6], [4, 8], [12, 0], [-1, 0.5], [0.25, 2], [-7, -3]]

    static func run(_ optimizer: any Optimizer, _ w: Variable, steps: Range<Int>) {
        for k in steps {
            if k == 2 { optimizer.learningRate *= 0.5 }
            w.grad = Tensor(gradients[k], shape: [2], dtype: w.dtype)
            optimizer.step()
            optimizer.zeroGrad()
        }
    }

    @Test(arguments: goldenCases, [DType.float32, .float64])
    func resumingFromStateEqualsUninterruptedRun(_ golden: GoldenCase, _ dtype: DType) throws {
        let straight = Variable(Tensor(OptimizerFixture.initial, shape: [2], dtype: dtype), requiresGrad: true)
        let uninterrupted = try golden.make([("w", straight)])
        Self.run(uninterrupted, straight, steps: 0..<6)

        let first = Variable(Tensor(OptimizerFixture.initial, shape: [2], dtype: dtype), requiresGrad: true)
        let before = try golden.make([("w", first)])
        Self.run(before, first, steps: 0..<3)
        let savedWeights = first.value, saved = before.state()
        Self.run(before, first, steps: 3..<4)   // the original going on must not change the snapshot

        // A fresh process: weights from the checkpoint, a new optimizer made with the initial settings.
        let resumedWeights = Variable(savedWeights, requiresGrad: true)
        let again = try golden.make([("w", resumedWeights)])
        try again.load(state: saved)
        #expect(again.learningRate == uninterrupted.learningRate)
        Self.run(again, resumedWeights, steps: 3..<6)

        #expect(resumedWeights.value == straight.value, "\(golden.name) \(dtype)")
        #expect(again.state() == uninterrupted.state())
    }

    @Test func stateKeysAreParameterNamesWithPyTorchSlotNames() throws {
        let model = Sequential(Linear(3, 2), Linear(2, 1))
        let optimizer = try Adam(model.parameters())
        for (_, p) in model.parameters() { p.grad = Tensor.ones(like: p.value) }
        optimizer.step()
        optimizer.step()
        let state = optimizer.state()
        #expect(Set(state.keys) == [
            "learningRate",
            "0.weight.exp_avg", "0.weight.exp_avg_sq", "0.weight.step",
            "0.bias.exp_avg", "0.bias.exp_avg_sq", "0.bias.step",
            "1.weight.exp_avg", "1.weight.exp_avg_sq", "1.weight.step",
            "1.bias.exp_avg", "1.bias.exp_avg_sq", "1.bias.step",
        ])
        #expect(state["0.weight.exp_avg"]?.shape == [2, 3])
        #expect(state["0.weight.step"] == Tensor.scalar(2, dtype: .float64))
        #expect(state["learningRate"]?.scalar == 1e-3)
    }

    @Test func loadRejectsAnotherRulesState() throws {
        let w = Variable(Tensor([1, 2]), requiresGrad: true)
        let sgd = try SGD([("w", w)], learningRate: 0.1)
        let adam = try Adam([("w", w)])

        let missing = #expect(throws: OptimizerError.self) { try adam.load(state: sgd.state()) }
        #expect(missing?.description
                == "Optimizer state has no entry 'w.exp_avg' (was it saved by another optimizer or model?)")

        let unexpected = #expect(throws: OptimizerError.self) { try sgd.load(state: adam.state()) }
        #expect(unexpected?.description
                == "Optimizer state has unexpected entries 'w.exp_avg', 'w.exp_avg_sq' (was it saved by another optimizer or model?)")
    }

    @Test func loadRejectsWrongShapesAndStepsAndChangesNothing() throws {
        let w = Variable(Tensor([1, 2]), requiresGrad: true)
        let optimizer = try Momentum([("w", w)], learningRate: 0.1)
        w.grad = Tensor([1, 1])
        optimizer.step()
        let good = optimizer.state()

        var wrongShape = good
        wrongShape["w.momentum_buffer"] = Tensor.zeros([3])
        let shapeError = #expect(throws: OptimizerError.self) { try optimizer.load(state: wrongShape) }
        #expect(shapeError?.description == "Optimizer state entry 'w.momentum_buffer' has shape [3], but its parameter has shape [2]")

        var wrongStep = good
        wrongStep["w.step"] = Tensor.scalar(1.5, dtype: .float64)
        wrongStep["learningRate"] = Tensor.scalar(7, dtype: .float64)
        let stepError = #expect(throws: OptimizerError.self) { try optimizer.load(state: wrongStep) }
        #expect(stepError?.description == "Optimizer state entry 'w.step' is invalid: expected a whole number >= 0, found 1.5")
        #expect(optimizer.learningRate == 0.1)      // the failed load changed nothing

        var badRate = good
        badRate["learningRate"] = Tensor.scalar(-1, dtype: .float64)
        let rateError = #expect(throws: OptimizerError.self) { try optimizer.load(state: badRate) }
        #expect(rateError?.description == "Invalid learning rate: -1 (expected a finite value >= 0)")

        #expect(optimizer.state() == good)
    }

    @Test func floatStateLoadsIntoDoubleModel() throws {
        let single = Variable(Tensor([1, 2]), requiresGrad: true)
        let source = try RMSProp([("w", single)], learningRate: 0.1)
        single.grad = Tensor([0.5, -0.25])
        source.step()

        let double = Variable(single.value.converted(to: .float64), requiresGrad: true)
        let target = try RMSProp([("w", double)], learningRate: 0.1)
        try target.load(state: source.state())
        #expect(target.slots.value(of: "square_avg", for: "w")?.dtype == .float64)
        #expect(target.slots.value(of: "square_avg", for: "w")!.isAlmostEqual(to: Tensor([0.0025, 0.000625]), tolerance: 1e-8))
    }
}
