import Foundation
import Testing
@testable import Nabla

@Suite struct LearningRateFinderTests {
    /// The shipped digits scaled to [0, 1], split 80/10/10.
    static func mnist() throws -> DataSplits {
        let data = try Datasets.load("mnist-5k")
        let scaled = Dataset(features: data.features.flattenedToMatrix() / 255, labels: data.labels, classNames: data.classNames)
        return scaled.split(validation: 0.1, test: 0.1, stratified: false, seed: 1)
    }

    static func twoLayerNet(seed: UInt64) -> (Sequential, any Optimizer) {
        var g = RandomGenerator(seed: seed)
        let model = Sequential(Linear(784, 100, generator: &g), ReLUModule(), Linear(100, 10, generator: &g))
        return (model, try! Momentum(model.parameters(), learningRate: 1e-3, momentum: 0.9))
    }

    @Test func learningRatesGrowExponentially() {
        let finder = LearningRateFinder(start: 1e-6, end: 1, iterations: 7)
        let rates = (0..<7).map(finder.learningRate(at:))
        #expect(abs(rates[0] - 1e-6) < 1e-18 && abs(rates[6] - 1) < 1e-12)
        for i in 1..<7 { #expect(abs(rates[i] / rates[i - 1] - 10) < 1e-9) }
    }

    @Test func badSettingsNameTheSetting() {
        func error(_ f: LearningRateFinder) -> String { do { try f.validate(); return "none" } catch { return "\(error)" } }
        #expect(error(LearningRateFinder(start: 0)).contains("start learning rate must be positive"))
        #expect(error(LearningRateFinder(start: 1, end: 0.1)).contains("end learning rate (0.1) must be above the start"))
        #expect(error(LearningRateFinder(iterations: 3)).contains("iterations must be at least 10"))
        #expect(error(LearningRateFinder(smoothing: 1)).contains("smoothing must be in [0, 1)"))
    }

    /// On the digits with the lectures' two-layer net, the test stops once the loss explodes, its
    /// suggestion is a sane learning rate, and a short training run with it learns.
    @Test func suggestsALearningRateThatTrainsTheTwoLayerNet() throws {
        let splits = try Self.mnist()
        let (model, optimizer) = Self.twoLayerNet(seed: 2)
        let result = try LearningRateFinder().run(model: model, optimizer: optimizer, train: splits.train, batchSize: 100, seed: 3)
        #expect(result.stop != .finished, "the loss should explode before lr 10")
        #expect(result.learningRates.count < 300 && result.learningRates.count > 100)
        let suggestion = try #require(result.suggestion)
        #expect(suggestion.learningRate >= 1e-4 && suggestion.learningRate <= 1, "suggested \(suggestion)")
        #expect(suggestion.upperBound < suggestion.minimum)
        #expect(suggestion.range.lower < suggestion.learningRate && suggestion.range.upper >= suggestion.learningRate)

        let (fresh, freshOptimizer) = Self.twoLayerNet(seed: 2)
        var options = TrainerOptions()
        options.epochs = 2
        options.learningRate = suggestion.learningRate
        options.verbose = false
        let trained = try Trainer(model: fresh, optimizer: freshOptimizer, options: options)
            .fit(train: splits.train, validation: splits.validation)
        #expect((trained.bestValidationAccuracy ?? 0) > 0.85, "val_acc \(trained.bestValidationAccuracy ?? 0) with lr \(suggestion.learningRate)")
    }

    @Test func tableAndSuggestionCoverTheRun() throws {
        // A made-up run: the loss falls between 1e-4 and 1e-2, bottoms out at 1e-1 and explodes.
        let rates = (0..<100).map { 1e-6 * pow(10, 7 * Double($0) / 99) }
        let losses = rates.map { lr in 2.3 - 2 / (1 + pow(1e-3 / lr, 1.5)) + (lr > 0.1 ? 50 * (lr - 0.1) : 0) }
        let result = LearningRateFinderResult(learningRates: rates, losses: losses, smoothed: losses, stop: .exploded)
        let s = try #require(result.suggestion)
        #expect(s.steepest > 2e-4 && s.steepest < 5e-3, "\(s)")
        #expect(s.minimum > 3e-2 && s.minimum < 0.3, "\(s)")
        let table = result.table(rows: 10).split(separator: "\n")
        #expect(table.count >= 11 && table[0].contains("learning rate"))
    }
}
