import Foundation
import Testing
@testable import Nabla

/// Data-parallel training with ranks as threads: the same run on 1, 2 or 3 ranks ends with the
/// same weights and losses (up to the order of float additions), dropout and augmentation included.
@Suite struct DataParallelTests {
    /// What a rank ends a run with.
    struct Outcome {
        var weights: [Tensor]
        var losses: [Double]
        var validationAccuracy: [Double]
        var communicationMilliseconds: [Double]
    }

    static let images = MidEpochCheckpointTests.data
    static let flat: DataSplits = {
        var s = images
        s.train.features = s.train.features.flattenedToMatrix()
        s.validation.features = s.validation.features.flattenedToMatrix()
        return s
    }()

    /// An MLP with dropout and L2, trained with momentum.
    func makeMLP(epochs: Int = 2, batchSize: Int = 64, modelSeed: UInt64 = 3) throws -> Trainer {
        var g = RandomGenerator(seed: modelSeed)
        let model = Sequential(Linear(784, 40, generator: &g), ReLU(), Dropout(0.3, generator: &g), Linear(40, 10, generator: &g))
        var options = TrainerOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = 0.05
        options.regularization = 1e-3
        options.verbose = false
        options.seed = 4
        return Trainer(model: model, optimizer: try Momentum(model.parameters(), learningRate: 0.05), options: options)
    }

    /// `MidEpochCheckpointTests`' CNN: convolution, dropout, flips and crops, Adam.
    func makeCNN(epochs: Int = 2) throws -> Trainer { try MidEpochCheckpointTests().makeTrainer(epochs: epochs) }

    func outcome(_ trainer: Trainer) -> Outcome {
        Outcome(weights: trainer.model.stateDict().map(\.variable.value), losses: trainer.history.stepLosses,
                validationAccuracy: trainer.history.metric("val_acc"), communicationMilliseconds: trainer.history.metric("comm_ms"))
    }

    /// Trains on `ranks` threads and checks that every rank ends alike; returns rank 0's outcome.
    func train(ranks: Int, data: DataSplits, make: @escaping () throws -> Trainer) throws -> Outcome {
        let outcomes = try InProcessGroup.run(ranks: ranks) { communicator -> Outcome in
            let trainer = try make()
            trainer.communicator = communicator
            try trainer.fit(train: data.train, validation: data.validation)
            return outcome(trainer)
        }
        for other in outcomes.dropFirst() { #expect(other.weights == outcomes[0].weights) }
        return outcomes[0]
    }

    /// Largest difference relative to the larger magnitude (at least 1).
    func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) / max(abs($0), abs($1), 1) }.max() ?? 0
    }

    func expectClose(_ a: Outcome, _ b: Outcome, tolerance: Double = 1e-4) {
        #expect(a.losses.count == b.losses.count)
        #expect(relativeDifference(a.losses, b.losses) <= tolerance)
        for (x, y) in zip(a.weights, b.weights) {
            #expect(relativeDifference(x.doubles, y.doubles) <= tolerance)
        }
        #expect(a.validationAccuracy == b.validationAccuracy)
    }

    @Test func oneRankIsExactlyTheSingleProcessRun() throws {
        let alone = try makeMLP()
        try alone.fit(train: Self.flat.train, validation: Self.flat.validation)
        let one = try train(ranks: 1, data: Self.flat) { try makeMLP() }
        #expect(one.weights == outcome(alone).weights)
        #expect(one.losses == alone.history.stepLosses)
    }

    @Test(arguments: [2, 3])
    func anMLPWithDropoutTrainsToTheSameWeightsOnAnyNumberOfRanks(ranks: Int) throws {
        let one = try train(ranks: 1, data: Self.flat) { try makeMLP() }
        let many = try train(ranks: ranks, data: Self.flat) { try makeMLP() }
        expectClose(many, one)
        #expect(many.communicationMilliseconds.count == 2 && many.communicationMilliseconds.allSatisfy { $0 >= 0 })
    }

    @Test(arguments: [2, 3])
    func aCNNWithDropoutAugmentationAndAdamTrainsToTheSameWeights(ranks: Int) throws {
        let one = try train(ranks: 1, data: Self.images) { try makeCNN() }
        let many = try train(ranks: ranks, data: Self.images) { try makeCNN() }
        expectClose(many, one)
    }

    @Test func aLastBatchSmallerThanTheNumberOfRanksLeavesSomeRanksIdle() throws {
        // 1000 examples in batches of 333: the last batch holds one example, computed by rank 2 alone.
        #expect(Self.flat.train.count == 1000)
        let one = try train(ranks: 1, data: Self.flat) { try makeMLP(epochs: 1, batchSize: 333) }
        let three = try train(ranks: 3, data: Self.flat) { try makeMLP(epochs: 1, batchSize: 333) }
        expectClose(three, one)
    }

    @Test func evaluationIsDividedAmongTheRanksAndGivesOneProcesssAccuracy() throws {
        let alone = Trainer.evaluate(try makeMLP().model, on: Self.flat.train, batchSize: 300)
        // 1000 examples: ranks of 333, 333 and 334, each in batches of up to 300.
        let shared = try InProcessGroup.run(ranks: 3) { communicator in
            try Trainer.evaluate(try makeMLP().model, on: Self.flat.train, batchSize: 300, communicator: communicator)
        }
        for result in shared {
            #expect(result.accuracy == alone.accuracy)
            #expect(abs(result.loss - alone.loss) <= 1e-6 * alone.loss)
        }
    }

    @Test func aCheckpointWrittenOnTwoRanksResumesOnThree() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-dp-\(UUID().uuidString).checkpoint").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try InProcessGroup.run(ranks: 2) { communicator in
            let trainer = try makeMLP(epochs: 1)
            trainer.communicator = communicator
            try trainer.fit(train: Self.flat.train, validation: Self.flat.validation)
            if communicator.rank == 0 { try trainer.checkpoint().write(to: path) }
        }
        let resumed = try InProcessGroup.run(ranks: 3) { communicator -> Outcome in
            let trainer = try makeMLP(epochs: 2)
            try trainer.resume(from: path)
            trainer.communicator = communicator
            try trainer.fit(train: Self.flat.train, validation: Self.flat.validation)
            return outcome(trainer)
        }
        let through = try makeMLP(epochs: 2)
        try through.fit(train: Self.flat.train, validation: Self.flat.validation)
        expectClose(resumed[0], outcome(through))
    }

    @Test func aRankWithDifferentWeightsIsRefusedByName() throws {
        #expect(throws: TrainingError("rank 2 holds different weights than rank 0; every rank must start from the same model, optimizer and data")) {
            _ = try InProcessGroup.run(ranks: 3) { communicator in
                let trainer = try makeMLP(modelSeed: communicator.rank == 2 ? 99 : 3)
                trainer.communicator = communicator
                try trainer.fit(train: Self.flat.train, validation: Self.flat.validation)
            }
        }
    }

    @Test func aRankWithDifferentDataIsRefusedByName() throws {
        #expect(throws: TrainingError("rank 1 holds different training data than rank 0; every rank must start from the same model, optimizer and data")) {
            _ = try InProcessGroup.run(ranks: 2) { communicator in
                let trainer = try makeMLP()
                trainer.communicator = communicator
                let train = communicator.rank == 1 ? Self.flat.train.subset(Array(0..<999)) : Self.flat.train
                try trainer.fit(train: train, validation: Self.flat.validation)
            }
        }
    }
}
