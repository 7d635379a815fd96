import Testing
@testable import Nabla

@Suite struct TrainerTests {
    /// MNIST-5k, flattened and scaled to [0, 1], split 4000/500/500.
    static let mnist: DataSplits = {
        let data = try! Datasets.load("mnist-5k")
        var s = data.split(validation: 500, test: 500, seed: 1)
        for k in [\DataSplits.train, \DataSplits.validation, \DataSplits.test] {
            s[keyPath: k].features = s[keyPath: k].features.flattenedToMatrix() / 255
        }
        return s
    }()

    func makeTrainer(lr: Double = 0.05, epochs: Int = 3, callbacks: [any TrainingCallback] = [],
                     lines: Box<[String]>? = nil) throws -> Trainer {
        var g = RandomGenerator(seed: 3)
        let model = Sequential(Linear(784, 50, generator: &g), ReLU(), Linear(50, 10, generator: &g))
        var options = TrainerOptions()
        options.epochs = epochs
        options.learningRate = lr
        options.seed = 4
        let trainer = Trainer(model: model, optimizer: try Momentum(model.parameters(), learningRate: lr),
                              options: options, callbacks: callbacks)
        if let lines { trainer.callbacks.append(ProgressReporter(isTerminal: false) { lines.value.append($0) }) }
        return trainer
    }

    @Test func printsTheLecturesEpochLines() throws {
        let lines = Box<[String]>([])
        let trainer = try makeTrainer(lines: lines)
        let result = try trainer.fit(train: Self.mnist.train, validation: Self.mnist.validation)
        let text = lines.value.joined()
        #expect(lines.value.count == 4)
        #expect(text.contains("Finished epoch 1 / 3: cost "))
        #expect(lines.value[2].contains(", lr 5.000000e-02, time ") && lines.value[2].hasSuffix("s\n"))
        #expect(lines.value[3] == String(format: "finished optimization. best validation accuracy: %f\n", result.bestValidationAccuracy!))
        #expect(result.bestValidationAccuracy! >= 0.88)
        #expect(trainer.history.epochs.count == 3)
        #expect(trainer.history.stepLosses.count == 3 * 40)
        #expect(trainer.history.metric("lr") == [0.05, 0.05, 0.05])
    }

    @Test func theBestModelIsRestoredAtTheEnd() throws {
        let trainer = try makeTrainer(epochs: 4)
        trainer.options.verbose = false
        let result = try trainer.fit(train: Self.mnist.train, validation: Self.mnist.validation)
        let (accuracy, _) = trainer.evaluate(Self.mnist.validation)
        #expect(accuracy == result.bestValidationAccuracy)
        #expect(trainer.history.metric("val_acc").max() == accuracy)
    }

    @Test func aTooHighLearningRateIsStoppedWithAClearMessage() throws {
        let lines = Box<[String]>([])
        let trainer = try makeTrainer(lr: 50, lines: lines)
        let result = try trainer.fit(train: Self.mnist.train, validation: Self.mnist.validation)
        guard case .diverged(let message) = result.stopReason else {
            Issue.record("expected divergence, got \(String(describing: result.stopReason))")
            return
        }
        #expect(message.contains("learning rate (50.000000) is probably too high"))
        #expect(lines.value.joined().contains("stopped: "))
        #expect(result.epochsRun == 0)
    }

    @Test func earlyStoppingStopsAndUnknownMetricsAreNamed() throws {
        let stopper = EarlyStopping(metric: "val_acc", patience: 1, minDelta: 0.5)
        let trainer = try makeTrainer(epochs: 10, callbacks: [stopper])
        trainer.options.verbose = false
        let result = try trainer.fit(train: Self.mnist.train, validation: Self.mnist.validation)
        #expect(result.epochsRun == 2)
        if case .earlyStopping = result.stopReason {} else { Issue.record("expected early stopping") }

        let wrong = try makeTrainer(callbacks: [EarlyStopping(metric: "val_accuracy")])
        wrong.options.verbose = false
        #expect(throws: TrainingError("early stopping: no metric 'val_accuracy'; available: cost, elapsed, loss, lr, time, train_acc, val_acc, val_loss")) {
            try wrong.fit(train: Self.mnist.train, validation: Self.mnist.validation)
        }
    }

    @Test func scheduleSetsTheLearningRateEachEpoch() throws {
        let trainer = try makeTrainer(lr: 0.04, epochs: 3)
        trainer.options.verbose = false
        trainer.options.schedule = .multiplicative(decay: 0.5)
        try trainer.fit(train: Self.mnist.train, validation: Self.mnist.validation)
        #expect(trainer.history.metric("lr") == [0.04, 0.02, 0.01])
    }

    @Test func sameSeedSameRun() throws {
        func run() throws -> [Double] {
            let t = try makeTrainer(epochs: 2)
            t.options.verbose = false
            try t.fit(train: Self.mnist.train, validation: Self.mnist.validation)
            return t.history.stepLosses
        }
        #expect(try run() == run())
    }
}

/// A reference holder for values captured by escaping closures in tests.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
