import Foundation
import Testing
@testable import Nabla

@Suite struct UpdateRatiosTests {
    /// 60 random examples of 8 features in 3 classes.
    static func data(seed: UInt64 = 5) -> Dataset {
        var g = RandomGenerator(seed: seed)
        let features = Tensor.randomNormal([60, 8], generator: &g)
        return Dataset(features: features, labels: (0..<60).map { $0 % 3 })
    }

    static func trainer(epochs: Int, batchSize: Int, fullBatch: Bool = false, lr: Double = 0.1) throws -> Trainer {
        var g = RandomGenerator(seed: 2)
        let model = Sequential(Linear(8, 6, generator: &g), ReLU(), Linear(6, 3, generator: &g))
        var options = TrainerOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.sampleBatches = !fullBatch
        options.learningRate = lr
        options.verbose = false
        return Trainer(model: model, optimizer: try SGD(model.parameters(), learningRate: lr), options: options)
    }

    @Test func measuresEvenlySpacedStepsEndingWithTheEpochsLast() {
        func measured(_ steps: Int, _ samples: Int) -> [Int] {
            (0..<steps).filter { UpdateRatioMonitor.measures(stepAfter: $0, of: steps, samples: samples) }.map { $0 + 1 }
        }
        #expect(measured(50, 10) == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50])
        #expect(measured(53, 10) == [8, 13, 18, 23, 28, 33, 38, 43, 48, 53])   // every 5th, counted back from the last
        #expect(measured(3, 10) == [1, 2, 3])
        #expect(measured(40, 1) == [40])
        #expect(measured(40, 0) == [])
    }

    @Test func ratioIsTheChangeOverTheWeights() {
        let before = Tensor([3, 4], shape: [2]), after = Tensor([3.03, 4.04], shape: [2])
        #expect(abs(UpdateRatioMonitor.ratio(before: before, after: after) - 0.01) < 1e-6)   // |(0.03, 0.04)| / |(3, 4)|
        let double = Tensor([1, 0, 0], shape: [3], dtype: .float64), moved = Tensor([1, 0, 0.002], shape: [3], dtype: .float64)
        #expect(abs(UpdateRatioMonitor.ratio(before: double, after: moved) - 0.002) < 1e-12)
        #expect(UpdateRatioMonitor.ratio(before: .zeros([4]), after: .ones([4])).isNaN)   // a bias at zero: undefined
    }

    /// With plain SGD one step changes the weights by `lr · g`, so the recorded ratio of a
    /// full-batch epoch must be `lr · ‖g‖ / ‖w‖`, and equal to the change measured from outside.
    @Test func sgdRatioIsTheLearningRateTimesTheGradientOverTheWeights() throws {
        let trainer = try Self.trainer(epochs: 1, batchSize: 60, fullBatch: true)
        let before = trainer.model.parameters().map { ($0.name, $0.variable.value.doubles) }
        try trainer.fit(train: Self.data(), validation: Self.data(seed: 6))
        #expect(trainer.callback(UpdateRatioMonitor.self)!.measuredSteps == 1)
        let row = try #require(trainer.history.updateRatios.first)
        #expect(row["epoch"] == 1 && trainer.history.updateRatios.count == 1)
        func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let now = Dictionary(uniqueKeysWithValues: trainer.model.parameters().map { ($0.name, $0.variable) })
        for (name, old) in before {
            let variable = try #require(now[name])
            let expected = norm(zip(variable.value.doubles, old).map { $0 - $1 }) / norm(old)
            let recorded = try #require(row[name], "\(name)")
            if name.hasSuffix("bias") {
                #expect(recorded.isNaN, "\(name) starts at zero")
                continue
            }
            #expect(abs(recorded - expected) <= 1e-5 * expected, "\(name): \(recorded) vs \(expected)")
            let gradient = try #require(variable.grad).doubles
            #expect(abs(recorded - 0.1 * norm(gradient) / norm(old)) <= 1e-4 * recorded, "\(name)")
        }
    }

    @Test func samplesAFewStepsOfEveryEpochIntoTheHistory() throws {
        let trainer = try Self.trainer(epochs: 3, batchSize: 3)   // 20 steps per epoch
        trainer.options.updateRatioSamples = 4
        try trainer.fit(train: Self.data(), validation: Self.data(seed: 6))
        #expect(trainer.callback(UpdateRatioMonitor.self)!.measuredSteps == 3 * 4)
        #expect(trainer.history.updateRatios.map { $0["epoch"] } == [1, 2, 3])
        #expect(trainer.history.updateRatioNames == ["0.bias", "0.weight", "2.bias", "2.weight"])
        for row in trainer.history.updateRatios {
            for name in trainer.history.updateRatioNames {
                let ratio = try #require(row[name])
                #expect(ratio > 1e-5 && ratio < 1, "\(name): \(ratio)")
            }
        }
        let csv = trainer.history.updateRatioCSV.split(separator: "\n")
        #expect(csv.count == 4 && csv[0] == "epoch,0.bias,0.weight,2.bias,2.weight")
        #expect(csv[3].hasPrefix("3,") && csv[3].split(separator: ",").count == 5)

        let off = try Self.trainer(epochs: 1, batchSize: 3)
        off.options.updateRatioSamples = 0
        try off.fit(train: Self.data(), validation: Self.data(seed: 6))
        #expect(off.callback(UpdateRatioMonitor.self)!.measuredSteps == 0 && off.history.updateRatios.isEmpty)
    }

    @Test func namesSortPartByPartWithNumbersAsNumbers() {
        let names = ["layers.10.weight", "layers.2.weight", "layers.2.bias", "fc.weight", "layers.1.running"]
        #expect(names.sorted(by: History.naturalOrder)
                == ["fc.weight", "layers.1.running", "layers.2.bias", "layers.2.weight", "layers.10.weight"])
    }

    @Test func checkpointsKeepTheUpdateRatiosEvenUndefinedOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-ratios-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // One step per epoch: the biases start at zero, so their first epoch has no ratio (NaN).
        let first = try Self.trainer(epochs: 2, batchSize: 60, fullBatch: true)
        first.callbacks = [Checkpointer(folder: folder)]
        try first.fit(train: Self.data(), validation: Self.data(seed: 6))
        #expect(first.history.updateRatios[0]["0.bias"]!.isNaN && first.history.updateRatios[1]["0.bias"]!.isFinite)

        let second = try Self.trainer(epochs: 3, batchSize: 60, fullBatch: true)
        try second.resume(from: folder + "/checkpoint.safetensors")
        let restored = second.history.updateRatios
        #expect(restored.count == 2 && restored[0]["0.bias"] == nil && restored[0]["0.weight"] == first.history.updateRatios[0]["0.weight"])
        #expect(restored[1] == first.history.updateRatios[1])
        try second.fit(train: Self.data(), validation: Self.data(seed: 6))
        #expect(second.history.updateRatios.map { $0["epoch"] } == [1, 2, 3])
    }
}
