import Testing
@testable import Nabla

/// Whole-model gradient checks: every parameter tensor against centered differences in Double.
@Suite struct ModelGradientCheckTests {
    /// Four seeded random "images" `[4, 1, 10, 10]` in Double, with labels.
    static func imageBatch(seed: UInt64 = 5) -> Batch {
        var g = RandomGenerator(seed: seed)
        return Batch(features: Tensor.randomNormal([4, 1, 10, 10], dtype: .float64, generator: &g), labels: [3, 0, 9, 3])
    }

    static func build(_ spec: String, inputShape: [Int] = [1, 10, 10], dtype: DType = .float64, seed: UInt64 = 2) throws -> Sequential {
        var g = RandomGenerator(seed: seed)
        return try ModelSpec.parse(spec).build(inputShape: inputShape, classCount: 10, dtype: dtype, generator: &g).model
    }

    @Test func convBatchNormReLULinearPasses() throws {
        let model = try Self.build("conv(3, 3), batchnorm, relu, maxpool(2), linear(10)")
        let result = try checkModelGradients(model, batch: Self.imageBatch())
        #expect(result.passed, "\(result)")
        #expect(result.parameters.map(\.name) == ["0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias"])
        #expect(result.parameters.map(\.shape) == [[3, 1, 3, 3], [3], [3], [3], [10, 48], [10]])
        // The linear weight has 480 elements: a sample of 50; the rest are checked whole.
        #expect(result.parameters.map(\.checkedCount) == [27, 3, 3, 3, 50, 10])
        #expect(result.parameters[4].isSampled && !result.parameters[0].isSampled)
        #expect(result.parameters.filter { $0.verdict == .ok }.count >= 5, "\(result)")
    }

    @Test func dropoutReplaysOneMaskAndRegularizationIsChecked() throws {
        let model = try Self.build("linear(12), tanh, dropout(0.5), linear(10)")
        var options = ModelGradientCheckOptions()
        options.regularization = 0.1
        let result = try checkModelGradients(model, batch: Self.imageBatch(), options: options)
        #expect(result.verdict == .ok, "\(result)")
    }

    @Test func leavesTheModelAsItWas() throws {
        let model = try Self.build("conv(2, 3), batchnorm, relu, flatten, dropout(0.3), linear(10)")
        let dropout = model.layers.compactMap { $0 as? Dropout }.first!
        let before = model.stateDict().map(\.variable.value), generator = dropout.generator
        model.eval()
        _ = try checkModelGradients(model, batch: Self.imageBatch())
        #expect(model.stateDict().map(\.variable.value) == before)
        #expect(dropout.generator == generator)
        #expect(!dropout.isTraining)
        #expect(model.parameters().allSatisfy { $0.variable.grad == nil })
    }

    @Test func aWrongBackwardFails() throws {
        var g = RandomGenerator(seed: 3)
        let broken = BrokenScale(10, dtype: .float64)
        let model = Sequential(Flatten(), Linear(100, 10, dtype: .float64, generator: &g), broken)
        let result = try checkModelGradients(model, batch: Self.imageBatch())
        #expect(!result.passed)
        #expect(result.verdict == .fail)
        let byName = Dictionary(uniqueKeysWithValues: result.parameters.map { ($0.name, $0) })
        #expect(byName["2.scale"]!.verdict == .fail)
        // Twice the true gradient: relative error |2n - n| / |2n| = 0.5.
        #expect(Swift.abs(byName["2.scale"]!.maxRelativeError - 0.5) < 1e-6)
        // The layers below get the right gradient through the broken one.
        #expect(byName["1.weight"]!.verdict == .ok)
        #expect(byName["1.bias"]!.verdict == .ok)
    }

    @Test func reluKinksAreWarningsNotFailures() throws {
        // Zero inputs on the left half and zero biases: those conv outputs sit exactly at relu's kink,
        // where backprop takes the derivative 0 and the differences see half the slope.
        var batch = Self.imageBatch()
        for i in 0..<batch.features.count where i % 10 < 5 { batch.features[flat: i] = 0 }
        var g = RandomGenerator(seed: 2)
        let model = try ModelSpec.parse("conv(3, 3), relu, linear(10)")
            .build(inputShape: [1, 10, 10], classCount: 10, initializer: .he, dtype: .float64, generator: &g).model
        let result = try checkModelGradients(model, batch: batch)
        let bias = result.parameters[1]
        #expect(bias.name == "0.bias")
        #expect(bias.verdict == .warning && bias.kinkCount > 0, "\(result)")
        #expect(bias.maxRelativeError > 1e-4, "a kink's error is large, yet only a warning")
        #expect(result.passed)
    }

    @Test func kinksNeedDisagreeingOneSidedDifferencesWithTheAnalyticBetween() {
        #expect(isKink(analytic: 0, forward: 1, backward: 0, floor: 1e-8))         // at the kink, left slope
        #expect(isKink(analytic: 0.5, forward: 1, backward: 0, floor: 1e-8))       // a subgradient
        #expect(!isKink(analytic: 2, forward: 1, backward: 0, floor: 1e-8))        // outside: wrong
        #expect(!isKink(analytic: 2, forward: 1.00001, backward: 0.99999, floor: 1e-8))  // smooth: no kink
    }

    @Test func aFloatModelIsAClearError() throws {
        let model = try Self.build("linear(10)", dtype: .float32)
        #expect(throws: TrainingError.self) { try checkModelGradients(model, batch: Self.imageBatch()) }
    }

    @Test(arguments: [(0.0, GradientCheckVerdict.ok), (9.9e-7, .ok), (1e-6, .warning), (5e-5, .warning), (1e-4, .fail), (.nan, .fail)])
    func verdictThresholds(error: Double, verdict: GradientCheckVerdict) {
        #expect(GradientCheckVerdict(relativeError: error) == verdict)
    }
}

/// `x ⊙ s` with a per-feature scale whose backward for `s` is deliberately twice the truth.
final class BrokenScale: Module {
    let scale: Variable
    init(_ features: Int, dtype: DType) {
        var g = RandomGenerator(seed: 9)
        scale = Variable(.randomNormal([features], dtype: dtype, generator: &g), requiresGrad: true)
    }
    var ownParameters: [(name: String, variable: Variable)] { [("scale", scale)] }
    func callAsFunction(_ x: Variable) -> Variable {
        let s = scale.value
        return Variable(op: "brokenScale", value: x.value * s, inputs: [x, scale]) { g in
            [g * s, (g * x.value).sum(alongAxes: 0) * 2]
        }
    }
}
