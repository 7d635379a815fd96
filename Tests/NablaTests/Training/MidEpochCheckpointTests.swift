import Foundation
import Testing
@testable import Nabla

/// Checkpoints within an epoch: a run stopped at any step and resumed ends exactly as one that ran
/// through, with dropout, augmentation and Adam (every random state and buffer saved).
@Suite struct MidEpochCheckpointTests {
    /// Asks the trainer to stop once the run has taken `step` steps.
    final class StopAt: TrainingCallback {
        let step: Int
        let request: StopRequest
        init(step: Int, request: StopRequest) { self.step = step; self.request = request }
        func batchWillBegin(_ state: TrainingState) throws { if state.step + 1 == step { request.request() } }
    }

    func makeTrainer(epochs: Int, callbacks: [any TrainingCallback] = [], modern: Bool = false) throws -> Trainer {
        var g = RandomGenerator(seed: 5)
        let model = Sequential(Conv2D(1, 4, kernel: 3, generator: &g), ReLU(), MaxPool2D(kernel: 2), Dropout(0.3, generator: &g),
                               Flatten(), Linear(4 * 13 * 13, 10, generator: &g))
        var options = TrainerOptions()
        options.epochs = epochs
        options.batchSize = 50
        options.learningRate = 1e-3
        options.schedule = .multiplicative(decay: 0.8)
        options.augmentation = Augmentation(horizontalFlip: true, cropPadding: 2)
        options.verbose = false
        options.seed = 9
        if modern {
            // A per-step schedule with a fractional warm-up, clipping and decoupled weight decay.
            options.schedule = .warmupCosine(warmup: 0.5, total: epochs, minimum: 0)
            options.maxGradientNorm = 0.5
            let optimizer = try DecoupledWeightDecay(Momentum(model.parameters(), learningRate: 0.05), weightDecay: 1e-3)
            options.learningRate = 0.05
            return Trainer(model: model, optimizer: optimizer, options: options, callbacks: callbacks)
        }
        return Trainer(model: model, optimizer: try Adam(model.parameters(), learningRate: 1e-3), options: options, callbacks: callbacks)
    }

    /// An epoch's metrics without its wall-clock times, which no two runs share.
    static func withoutTimes(_ row: [String: Double]) -> [String: Double] { row.filter { $0.key != "time" && $0.key != "elapsed" } }

    static let data: DataSplits = {
        var s = try! Datasets.load("mnist-5k").subset(Array(0..<1200)).split(validation: 200, seed: 3)
        let scale = Preprocessor.fit(.none, scale: 1.0 / 255, on: s.train)
        s.train = s.train.preprocessed(by: scale)
        s.validation = s.validation.preprocessed(by: scale)
        return s
    }()

    @Test(arguments: [1, 7, 20, 27])
    func aRunStoppedWithinAnEpochResumesToTheSameWeights(stopStep: Int) throws {
        let data = Self.data
        let full = try makeTrainer(epochs: 2)
        try full.fit(train: data.train, validation: data.validation)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-mid-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try makeTrainer(epochs: 2, callbacks: [Checkpointer(folder: dir, every: .steps(6))])
        first.callbacks.append(StopAt(step: stopStep, request: first.stopRequest))
        let stopped = try first.fit(train: data.train, validation: data.validation)
        #expect(stopped.stopReason == .interrupted && first.history.stepLosses.count == stopStep)

        let resumed = try makeTrainer(epochs: 2)
        try resumed.resume(from: dir + "/checkpoint.safetensors")
        #expect(resumed.startStep == stopStep)
        try resumed.fit(train: data.train, validation: data.validation)
        #expect(resumed.history.stepLosses == full.history.stepLosses)
        #expect(resumed.history.epochs.map(Self.withoutTimes) == full.history.epochs.map(Self.withoutTimes))
        #expect(resumed.history.updateRatios == full.history.updateRatios)
        for ((name, a), (_, b)) in zip(resumed.model.stateDict(), full.model.stateDict()) {
            #expect(a.value == b.value, "\(name) differs after resuming at step \(stopStep)")
        }
    }

    @Test(arguments: [5, 20])
    func aRunWithAPerStepScheduleClippingAndDecayResumesExactly(stopStep: Int) throws {
        let data = Self.data
        let full = try makeTrainer(epochs: 2, modern: true)
        try full.fit(train: data.train, validation: data.validation)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-mid-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try makeTrainer(epochs: 2, callbacks: [Checkpointer(folder: dir, every: .steps(6))], modern: true)
        first.callbacks.append(StopAt(step: stopStep, request: first.stopRequest))
        _ = try first.fit(train: data.train, validation: data.validation)

        let resumed = try makeTrainer(epochs: 2, modern: true)
        try resumed.resume(from: dir + "/checkpoint.safetensors")
        try resumed.fit(train: data.train, validation: data.validation)
        #expect(resumed.history.stepLosses == full.history.stepLosses)
        #expect(resumed.history.epochs.map(Self.withoutTimes) == full.history.epochs.map(Self.withoutTimes))
        #expect(full.history.metric("grad_norm").count == 2)
        for ((name, a), (_, b)) in zip(resumed.model.stateDict(), full.model.stateDict()) {
            #expect(a.value == b.value, "\(name) differs after resuming at step \(stopStep)")
        }
    }

    @Test func aKillLosesAtMostTheInterval() throws {
        // Without a stop request (a kill), the last checkpoint is the last multiple of the interval.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-mid-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        final class Crash: TrainingCallback {
            func batchDidEnd(_ state: TrainingState, loss: Double) throws { if state.step == 16 { throw TrainingError("crash") } }
        }
        let trainer = try makeTrainer(epochs: 1, callbacks: [Checkpointer(folder: dir, every: .steps(6)), Crash()])
        #expect(throws: TrainingError("crash")) { try trainer.fit(train: Self.data.train, validation: Self.data.validation) }
        let resumed = try makeTrainer(epochs: 1)
        try resumed.resume(from: dir + "/checkpoint.safetensors")
        #expect(resumed.startStep == 12 && resumed.stepsDoneInEpoch == 12)
    }

    @Test func intervalsReadAsUsersWriteThem() throws {
        #expect(try CheckpointInterval(parsing: "500") == .steps(500))
        #expect(try CheckpointInterval(parsing: "90s") == .seconds(90))
        #expect(try CheckpointInterval(parsing: "5m") == .seconds(300))
        #expect(try CheckpointInterval(parsing: "1h").text == "60m")
        for bad in ["0", "-3", "5x", "m", "1.5"] {
            #expect(throws: SettingError.self) { try CheckpointInterval(parsing: bad) }
        }
    }
}
