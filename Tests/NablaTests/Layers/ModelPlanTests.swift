import Testing
@testable import Nabla

@Suite struct ModelPlanTests {
    func error(_ text: String, input: [Int] = [1, 28, 28]) -> String {
        do { _ = try ModelSpec.parse(text).plan(inputShape: input); return "no error" } catch { return "\(error)" }
    }

    @Test func planMatchesTheBuiltModelWithoutAllocating() throws {
        let spec = try ModelSpec.parse("conv(8, 3, pad: 1), batchnorm, prelu(channels: 8), maxpool(2), dropout(0.25), maxout(16, pieces: 3), elu, linear(10, bias: 0)")
        let plan = try spec.plan(inputShape: [1, 28, 28], classCount: 10)
        var g = RandomGenerator(seed: 0)
        let (model, summary) = try spec.build(inputShape: [1, 28, 28], classCount: 10, generator: &g)
        #expect(plan.summary == summary)
        #expect(summary.map(\.layer) == model.layers.map(\.description))
        #expect(plan.parameterCount == model.parameterCount)
        #expect(plan.outputShape == [10])
    }

    @Test func hugeModelsArePlannedNotAllocated() throws {
        let plan = try ModelSpec.parse("linear(100000000), relu, linear(10)").plan(inputShape: [1, 28, 28], classCount: 10)
        #expect(plan.layers[1].parameters == 784 * 100_000_000 + 100_000_000)
        let conv = try ModelSpec.parse("conv(999999999, 999, pad: 999), conv(999999999, 999)").plan(inputShape: [3, 999, 999])
        #expect(conv.layers[1].parameters == Int.max)  // saturates instead of overflowing
        #expect(conv.memoryEstimate(batchSize: 64).total == Int.max)
    }

    @Test func argumentsALayerDoesNotTakeAreRefused() {
        #expect(error("linear(10, 5)").hasPrefix("linear: 'bias' must be true or false (1 or 0), got 5"))
        #expect(error("elu(-1)").hasPrefix("elu: alpha must be > 0, got -1 at column 1"))
        #expect(error("leakyrelu(-0.5)").hasPrefix("leakyrelu: slope must be in [0, 1), got -0.5"))
        #expect(error("dropout(1.5)").hasPrefix("dropout: p must be in [0, 1), got 1.5"))
        #expect(error("conv(0, 3)").hasPrefix("conv: 'out' must be a whole number ≥ 1, got 0"))
        #expect(error("conv(4, 3, pad: -1)").hasPrefix("conv: 'pad' must be a whole number ≥ 0, got -1"))
        #expect(error("maxpool(2, pad: -2)").hasPrefix("maxpool: 'pad' must be a whole number ≥ 0, got -2"))
        #expect(error("maxout(10, pieces: 0)").hasPrefix("maxout: 'pieces' must be a whole number ≥ 1, got 0"))
        #expect(error("batchnorm(eps: 0)").hasPrefix("batchnorm: needs eps > 0"))
    }
}
