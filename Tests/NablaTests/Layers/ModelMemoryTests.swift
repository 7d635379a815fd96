import Testing
@testable import Nabla

@Suite struct ModelMemoryTests {
    @Test func estimateCountsWeightsGradientsOptimizerStateAndActivations() throws {
        let plan = try ModelSpec.parse("linear(100), relu, linear(10)").plan(inputShape: [784])
        let estimate = plan.memoryEstimate(batchSize: 32)
        #expect(estimate.parameters == plan.parameterCount * 4 * 4)
        #expect(estimate.activations == (784 + 2 * (100 + 100 + 10)) * 32 * 4)
        #expect(estimate.total == estimate.parameters + estimate.activations)
    }

    @Test func aModelThatDoesNotFitIsAOneLineErrorNamingTheLayer() throws {
        var g = RandomGenerator(seed: 0)
        let spec = try ModelSpec.parse("linear(100000000), relu, linear(10)")
        do {
            _ = try spec.build(inputShape: [1, 28, 28], classCount: 10, availableMemory: 8_000_000_000, generator: &g)
            Issue.record("expected an error")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("the model does not fit in memory: its largest layer, Linear(784 => 100000000) (linear(100000000)), needs 1.3 TB"))
            #expect(text.contains("and 8.0 GB is available at column 1"))
            #expect(!text.contains("\n"))
        }
    }

    @Test func theIssuesModelsAreRefusedWithTheSystemsMemory() throws {
        var g = RandomGenerator(seed: 0)
        for text in ["maxout(10, pieces: 1000000)", "conv(10000000, 3), linear(10)", "linear(100000000), relu, linear(10)"] {
            #expect(throws: ModelSpecError.self) {
                _ = try ModelSpec.parse(text).build(inputShape: [1, 28, 28], classCount: 10, batchSize: 64, generator: &g)
            }
        }
    }

    @Test func systemMemoryIsReadOnLinux() throws {
        let available = try #require(SystemMemory.available())
        #expect(available > 0)
        #expect(formatBytes(1_500_000) == "1.5 MB")
        #expect(formatBytes(Int.max) == "more than 9 EB")
    }
}
