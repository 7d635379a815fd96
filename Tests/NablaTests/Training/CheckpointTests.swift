import Foundation
import Testing
@testable import Nabla

@Suite struct CheckpointTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-ckpt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A small model with dropout (a random state of its own) and Adam (state per parameter).
    func makeTrainer(epochs: Int, callbacks: [any TrainingCallback] = []) throws -> Trainer {
        var g = RandomGenerator(seed: 8)
        let model = Sequential(Linear(784, 32, generator: &g), ReLU(), Dropout(0.3, generator: &g), Linear(32, 10, generator: &g))
        var options = TrainerOptions()
        options.epochs = epochs
        options.learningRate = 1e-3
        options.schedule = .multiplicative(decay: 0.9)
        options.verbose = false
        options.seed = 2
        return Trainer(model: model, optimizer: try Adam(model.parameters(), learningRate: 1e-3), options: options, callbacks: callbacks)
    }

    @Test func aResumedRunEqualsAnUninterruptedOne() throws {
        let data = TrainerTests.mnist
        let full = try makeTrainer(epochs: 4)
        try full.fit(train: data.train, validation: data.validation)

        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The checkpointer runs before the best model: order does not matter, each part saves itself.
        let first = try makeTrainer(epochs: 2)
        first.callbacks += [Checkpointer(folder: dir), BestModel(file: dir + "/best.safetensors")]
        try first.fit(train: data.train, validation: data.validation)
        for file in ["checkpoint", "last", "best"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(file).safetensors"))
        }

        let resumed = try makeTrainer(epochs: 4, callbacks: [BestModel(file: dir + "/best.safetensors")])
        try resumed.resume(from: dir + "/checkpoint.safetensors")
        #expect(resumed.startEpoch == 2)
        let result = try resumed.fit(train: data.train, validation: data.validation)
        #expect(result.epochsRun == 4)
        #expect(resumed.history.stepLosses == full.history.stepLosses)
        #expect(resumed.history.metric("val_acc") == full.history.metric("val_acc"))
        for ((name, a), (_, b)) in zip(resumed.model.stateDict(), full.model.stateDict()) {
            #expect(a.value == b.value, "\(name) differs after resuming")
        }
    }

    @Test func notACheckpointIsAClearError() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trainer = try makeTrainer(epochs: 1)
        try trainer.model.save(to: dir + "/weights.safetensors")
        #expect(throws: TrainingError("\(dir)/weights.safetensors: not a Nabla checkpoint (no 'nabla.state.…' metadata)")) {
            try trainer.resume(from: dir + "/weights.safetensors")
        }
    }

    @Test func nonFiniteMetricsSurviveACheckpoint() throws {
        // An epoch whose validation loss overflowed: JSON alone has no NaN or infinity.
        let history = History()
        history.recordEpoch(["val_loss": .infinity, "loss": .nan, "lr": 0.1], epoch: 1)
        history.recordUpdateRatios(["w": 2e-3, "b": .nan], epoch: 1)
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Checkpoint(parts: ["history": try history.saveState()]).write(to: dir + "/c.safetensors")
        let back = History()
        try back.restoreState(try Checkpoint.read(dir + "/c.safetensors").part("history"))
        #expect(back.epochs[0]["val_loss"] == .infinity)
        #expect(back.epochs[0]["loss"]!.isNaN)
        #expect(back.epochs[0]["lr"] == 0.1)
        #expect(back.updateRatios[0]["w"] == 2e-3 && back.updateRatios[0]["b"] == nil)   // undefined: left out
    }

    @Test func eachPartSavesItselfUnderItsKey() throws {
        let data = TrainerTests.mnist
        let trainer = try makeTrainer(epochs: 1, callbacks: [EarlyStopping(metric: "val_loss", patience: 2)])
        try trainer.fit(train: data.train, validation: data.validation)
        let checkpoint = try trainer.checkpoint()
        #expect(Set(checkpoint.parts.keys) == ["trainer", "model", "optimizer", "history", "best_model", "divergence_guard", "early_stopping"])
        #expect(checkpoint.parts["model"]!.tensors.keys.sorted() == ["0.bias", "0.weight", "3.bias", "3.weight"])
        #expect(try checkpoint.part("model").decode([String: RandomGenerator].self).keys.sorted() == ["2"])   // dropout's generator
        #expect(try checkpoint.part("best_model").decode(BestModel.Saved.self).bestEpoch == 1)
        #expect(throws: TrainingError.self) { try checkpoint.part("lr_schedule") }
    }

    @Test func reduceOnPlateauIsAScheduleThatResumesExactly() throws {
        let data = TrainerTests.mnist
        func plateau() throws -> PlateauScheduler {
            PlateauScheduler(try ReduceOnPlateau(learningRate: 1e-3, mode: .max, factor: 0.5, patience: 0), metric: "train_acc")
        }
        let full = try makeTrainer(epochs: 4, callbacks: [try plateau()])
        try full.fit(train: data.train, validation: data.validation)
        // Patience 0: the rate halves after every epoch that does not improve training accuracy.
        let rates = full.history.metric("lr")
        #expect(rates.first == 1e-3 && zip(rates, rates.dropFirst()).allSatisfy { $1 == $0 || $1 == $0 / 2 })

        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try makeTrainer(epochs: 2, callbacks: [try plateau(), Checkpointer(folder: dir)])
        try first.fit(train: data.train, validation: data.validation)
        let resumed = try makeTrainer(epochs: 4, callbacks: [try plateau()])
        try resumed.resume(from: dir + "/checkpoint.safetensors")
        try resumed.fit(train: data.train, validation: data.validation)
        #expect(resumed.history.metric("lr") == rates)
        #expect(resumed.history.stepLosses == full.history.stepLosses)
    }

    @Test func aStopRequestEndsTheRunAfterTheCurrentStep() throws {
        let trainer = try makeTrainer(epochs: 3)
        trainer.stopRequest.request()
        let result = try trainer.fit(train: TrainerTests.mnist.train, validation: TrainerTests.mnist.validation)
        #expect(result.stopReason == .interrupted && trainer.history.stepLosses.count == 1)
        // Another trainer is not affected.
        let other = try makeTrainer(epochs: 1)
        #expect(try other.fit(train: TrainerTests.mnist.train, validation: TrainerTests.mnist.validation).stopReason == nil)
    }
}
