import Foundation
import Testing
@testable import Nabla

/// The lectures' sanity checks on real data: MNIST-5k, scaled to [0, 1].
@Suite struct SanityChecksTests {
    static let mnist: Dataset = {
        var data = try! Datasets.load("mnist-5k")
        data.features = data.features / 255
        return data
    }()

    /// A small MLP from its spec, with the given initialization.
    static func mlp(_ initializer: Initializer?) -> (inout RandomGenerator) throws -> any Module {
        { g in
            try ModelSpec.parse("linear(50), relu, linear(10)")
                .build(inputShape: [1, 28, 28], classCount: 10, initializer: initializer, generator: &g).model
        }
    }

    @Test func allThreeChecksPassForASmallMLP() throws {
        // Small weights for checks 1-2 (the lectures' 0.0001 · randn), He (the training init) for check 3.
        let report = try runSanityChecks(modelFactory: Self.mlp(.gaussian(scale: 1e-4)), overfitModelFactory: Self.mlp(nil),
                                         data: Self.mnist)
        #expect(report.passed, "\(report)")
        #expect(report.checks.map(\.name) == ["initial loss", "regularization", "overfit a tiny subset"])

        let initial = report.checks[0]
        #expect(Swift.abs(initial.value("loss")! - log(10.0)) < 1e-3)
        #expect(initial.value("expected")! == log(10.0))
        #expect(initial.explanation.contains("ln(10) = 2.302585"))

        let regularization = report.checks[1]
        #expect(regularization.value("loss") == initial.value("loss"), "both start from the same weights")
        // 1e3 · Σ w² with ~39,700 weights of standard deviation 1e-4: about +0.4.
        #expect(regularization.value("regularized loss")! > initial.value("loss")! + 0.2)

        let overfit = report.checks[2]
        #expect(overfit.value("accuracy") == 1)
        #expect(overfit.value("examples") == 20)
        #expect(overfit.value("epochs")! < 200)
        #expect(report.verdict == "all 3 sanity checks passed")
    }

    @Test func smallWeightsEverywherePassToo() throws {
        let report = try runSanityChecks(modelFactory: Self.mlp(.gaussian(scale: 1e-4)), data: Self.mnist)
        #expect(report.passed, "\(report)")
    }

    @Test func checksAreReproducible() throws {
        let a = try runSanityChecks(modelFactory: Self.mlp(.gaussian(scale: 1e-4)), data: Self.mnist)
        let b = try runSanityChecks(modelFactory: Self.mlp(.gaussian(scale: 1e-4)), data: Self.mnist)
        #expect(a.description == b.description)
        #expect(a.checks[2].value("epochs") == b.checks[2].value("epochs"))
    }

    @Test func largeWeightsFailTheInitialLossCheck() throws {
        let result = try SanityChecks.initialLoss(modelFactory: Self.mlp(.gaussian(scale: 10)), data: Self.mnist)
        #expect(!result.passed)
        #expect(result.value("loss")! > 10 * log(10.0))
        #expect(result.explanation.contains("far above chance"))
        #expect(result.explanation.contains("weights are too large"))
        #expect(result.description.hasPrefix("FAIL  initial loss: loss "))
    }

    @Test func hingeLossChanceLevelIsCMinusOneTimesTheMargin() throws {
        var options = SanityCheckOptions()
        options.loss = .multiclassHinge(margin: 1)
        let result = try SanityChecks.initialLoss(modelFactory: Self.mlp(.gaussian(scale: 1e-4)), data: Self.mnist, options: options)
        #expect(result.passed, "\(result)")
        #expect(result.value("expected") == 9)
    }

    @Test func aModelWithoutWeightsFailsTheRegularizationCheck() throws {
        // Only a bias: nothing of rank ≥ 2 to penalize, so the loss cannot rise.
        let factory: (inout RandomGenerator) throws -> any Module = { _ in Sequential(Flatten(), BiasOnly(784, 10)) }
        let result = try SanityChecks.regularization(modelFactory: factory, data: Self.mnist)
        #expect(!result.passed)
        #expect(result.explanation.contains("did not raise the loss"))
    }

    @Test func aModelThatCannotLearnFailsTheOverfittingCheck() throws {
        // A learning rate of almost zero: the weights stay small and accuracy stays near chance.
        var options = SanityCheckOptions()
        options.maxEpochs = 5
        options.makeOptimizer = { try SGD($0, learningRate: 1e-9) }
        let result = try SanityChecks.overfitting(modelFactory: Self.mlp(.gaussian(scale: 1e-4)), data: Self.mnist, options: options)
        #expect(!result.passed)
        #expect(result.value("epochs") == 5)
        #expect(result.explanation.contains("cannot overfit 20 examples in 5 epochs"))
    }

    @Test func aModelWithTheWrongOutputIsAClearError() throws {
        let factory: (inout RandomGenerator) throws -> any Module = { g in Sequential(Flatten(), Linear(784, 3, generator: &g)) }
        #expect(throws: TrainingError.self) { try runSanityChecks(modelFactory: factory, data: Self.mnist) }
    }
}

/// `x[:, :out] + b`: a layer with a bias and no weight matrix (nothing for L2 to penalize).
final class BiasOnly: Module {
    let bias: Variable
    let outputs: Int
    init(_ inputs: Int, _ outputs: Int) {
        self.outputs = outputs
        bias = Variable(.zeros([outputs]), requiresGrad: true)
    }
    var ownParameters: [(name: String, variable: Variable)] { [("bias", bias)] }
    func callAsFunction(_ x: Variable) -> Variable { x.slice(axis: 1, 0..<outputs) + bias }
}
