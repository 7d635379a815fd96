import Foundation
import Testing
@testable import Nabla

@Suite struct EvaluationTests {
    /// Three classes, ten examples; counted by hand:
    /// ```
    /// true\pred  a  b  c    support
    /// a          2  1  1    4
    /// b          1  2  0    3
    /// c          0  1  2    3
    /// predicted  3  4  3
    /// ```
    static let labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    static let predictions = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1]

    @Test func reportNumbersOfAHandMadeConfusion() {
        let report = ClassificationReport(predictions: Self.predictions, labels: Self.labels, classNames: ["a", "b", "c"])
        #expect(report.confusion == [[2, 1, 1], [1, 2, 0], [0, 1, 2]])
        #expect(report.count == 10)
        #expect(report.correct == 6)
        #expect(report.accuracy == 0.6)
        #expect(report.support == [4, 3, 3])
        #expect(report.predictedCounts == [3, 4, 3])
        #expect(zip(report.precision, [2.0 / 3, 0.5, 2.0 / 3]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(zip(report.recall, [0.5, 2.0 / 3, 2.0 / 3]).allSatisfy { abs($0 - $1) < 1e-12 })
        // F1 of a: 2 · (2/3 · 1/2) / (2/3 + 1/2) = 4/7; of b: 2 · (1/2 · 2/3) / (7/6) = 4/7; of c: 2/3.
        #expect(zip(report.f1, [4.0 / 7, 4.0 / 7, 2.0 / 3]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(abs(report.macroAverage.precision - (2.0 / 3 + 0.5 + 2.0 / 3) / 3) < 1e-12)
    }

    @Test func descriptionPrintsTheTableAndTheMatrix() {
        let report = ClassificationReport(predictions: Self.predictions, labels: Self.labels, classNames: ["a", "b", "c"])
        let lines = report.description.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "accuracy: 0.6000 (6 of 10)")
        #expect(lines[2] == "    class  precision  recall  f1-score  support")
        #expect(lines[3] == "        a     0.6667  0.5000    0.5714        4")
        #expect(lines[4] == "        b     0.5000  0.6667    0.5714        3")
        #expect(lines[6].hasPrefix("macro avg"))
        #expect(lines[8] == "confusion matrix (rows: true class, columns: predicted class):")
        #expect(lines[9] == "  a b c")
        #expect(lines[10] == "a 2 1 1")
        #expect(lines[12] == "c 0 1 2")
    }

    @Test func classesNeverPredictedOrAbsentHaveUndefinedValues() {
        // Class "z" never occurs and is never predicted; "y" occurs but is never predicted.
        let report = ClassificationReport(predictions: [0, 0, 0], labels: [0, 1, 0], classNames: ["x", "y", "z"])
        #expect(report.precision == [2.0 / 3, 0, 0])
        #expect(report.recall == [1, 0, 0])
        #expect(report.description.contains("        y          -  0.0000         -        1"))
        // Macro averages skip "z", which neither occurs nor is predicted.
        #expect(abs(report.macroAverage.recall - 0.5) < 1e-12)
    }

    @Test func reportFromProbabilitiesTakesTheMostProbableClass() {
        let p = Tensor(rows: [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])
        let report = ClassificationReport(probabilities: p, labels: [0, 2, 0], classNames: ["0", "1", "2"])
        #expect(report.confusion == [[1, 1, 0], [0, 0, 0], [0, 0, 1]])
    }

    @Test func ensembleAveragesProbabilities() {
        let a = Tensor(rows: [[0.6, 0.4], [0.9, 0.1]])
        let b = Tensor(rows: [[0.1, 0.9], [0.7, 0.3]])
        let mean = ensembleProbabilities([a, b])
        #expect(mean.isAlmostEqual(to: Tensor(rows: [[0.35, 0.65], [0.8, 0.2]])))
        // The first member alone says class 0 for row 0; the ensemble says 1.
        #expect(mean.argmax(alongAxis: 1) == [1, 0])
        #expect(ensembleProbabilities([a]).isAlmostEqual(to: a))
    }

    @Test func predictProbabilitiesIsTheBatchedSoftmaxInEvaluationMode() {
        var g = RandomGenerator(seed: 5)
        let dropout = Dropout(0.5, seed: 1)
        let model = Sequential(Linear(6, 8, generator: &g), ReLU(), dropout, Linear(8, 3, generator: &g))
        let x = Tensor.randomNormal([7, 6], generator: &g)
        let whole = predictProbabilities(model, x)
        let batched = predictProbabilities(model, x, batchSize: 3)
        #expect(whole.shape == [7, 3])
        #expect(whole.isAlmostEqual(to: batched, tolerance: 1e-6))
        #expect(whole.sum(alongAxes: 1).isAlmostEqual(to: .ones([7]), tolerance: 1e-5))
        // Dropout was off (two calls agree) and is back on afterwards.
        #expect(predictProbabilities(model, x).isAlmostEqual(to: whole, tolerance: 0))
        #expect(dropout.isTraining)
        model.eval()
        #expect(whole.isAlmostEqual(to: softmaxProbabilities(model(x)), tolerance: 1e-6))
        _ = predictProbabilities(model, x)
        #expect(!dropout.isTraining)
    }

    @Test func meanAndSampleStandardDeviationOfFolds() {
        let folds = [0.8, 0.9, 1.0].enumerated().map { i, accuracy in
            FoldResult(fold: i + 1, trainCount: 2, validationCount: 1, bestValidationAccuracy: accuracy, bestEpoch: 1,
                       epochsRun: 1, stopped: nil, diverged: false)
        }
        let result = CrossValidationResult(folds: folds)
        #expect(abs(result.meanAccuracy - 0.9) < 1e-12)
        #expect(abs(result.standardDeviation - 0.1) < 1e-12)
        #expect(result.summary == "0.900000 ± 0.100000")
    }

    @Test func crossValidationTrainsOneModelPerFoldOnMNIST() throws {
        let data = try Datasets.load("mnist-5k").split(validation: 0, test: 500, seed: 1).train
        var options = TrainerOptions()
        options.epochs = 2
        options.learningRate = 0.1
        options.verbose = false
        options.seed = 2
        var built: [Int] = [], seen: [Int] = []
        let result = try CrossValidation.run(
            data, folds: 3, stratified: true, seed: 3, preprocessing: .meanImage, scale: 1.0 / 255, options: options,
            makeModel: { fold in
                built.append(fold)
                var g = RandomGenerator(seed: 4)
                return Sequential(Flatten(), Linear(784, 16, generator: &g), ReLU(), Linear(16, 10, generator: &g))
            },
            makeOptimizer: { try Momentum($0.parameters(), learningRate: 0.1) },
            foldDidEnd: { result, trainer in
                seen.append(result.fold)
                #expect(trainer.history.epochs.count == 2)
            })
        #expect(built == [1, 2, 3])
        #expect(seen == [1, 2, 3])
        #expect(result.folds.map(\.validationCount) == [1500, 1500, 1500])
        #expect(result.folds.allSatisfy { $0.trainCount == 3000 && $0.epochsRun == 2 && !$0.diverged })
        for fold in result.folds { #expect(fold.bestValidationAccuracy > 0.8, "fold \(fold.fold)") }
        #expect(result.standardDeviation < 0.05)
        // Different folds validate on different examples, so their accuracies differ.
        #expect(Set(result.folds.map(\.bestValidationAccuracy)).count > 1)
    }

    @Test func crossValidationRejectsTooFewFolds() {
        let data = Dataset(features: .zeros([4, 2]), labels: [0, 1, 0, 1])
        #expect(throws: TrainingError("cross-validation needs at least 2 folds, got 1")) {
            try CrossValidation.run(data, folds: 1, options: TrainerOptions(), makeModel: { _ in Sequential() })
        }
    }
}
