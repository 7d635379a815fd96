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
        let first = try makeTrainer(epochs: 2)
        first.callbacks.append(Checkpointer(folder: dir, trainer: first))
        try first.fit(train: data.train, validation: data.validation)
        for file in ["checkpoint", "last", "best"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(file).safetensors"))
        }

        let resumed = try makeTrainer(epochs: 4)
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
        #expect(throws: TrainingError("\(dir)/weights.safetensors: not a Nabla checkpoint (no valid 'nabla.checkpoint' metadata)")) {
            try trainer.resume(from: dir + "/weights.safetensors")
        }
    }

    @Test func nonFiniteMetricsSurviveACheckpoint() throws {
        // An epoch whose validation loss overflowed: JSON alone has no NaN or infinity.
        let info = CheckpointInfo(epoch: 1, step: 10, generator: RandomGenerator(seed: 1), dropoutGenerators: [:],
                                  best: 0.5, bestEpoch: 1, initialLoss: 2.3,
                                  history: [["val_loss": .infinity, "loss": .nan, "lr": 0.1]],
                                  callbacks: [:], plateau: nil, updateRatios: [["w": -.infinity]])
        let json = try CheckpointInfo.encoder.encode(info)
        let back = try CheckpointInfo.decoder.decode(CheckpointInfo.self, from: json)
        #expect(back.history[0]["val_loss"] == .infinity)
        #expect(back.history[0]["loss"]!.isNaN)
        #expect(back.history[0]["lr"] == 0.1)
        #expect(back.updateRatios?[0]["w"] == -.infinity)
    }
}
