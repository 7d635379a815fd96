import Foundation
import Testing
@testable import Nabla

/// Batch norm under data-parallel training: by default its statistics are the global batch's,
/// summed over the ranks, so that 2 or 3 ranks train what one process trains (up to the order of
/// float additions); `BatchNormStatistics.rank` keeps each rank's own.
@Suite struct DataParallelBatchNormTests {
    let parallel = DataParallelTests()

    /// An MLP with batch norm and dropout, trained with momentum.
    static func makeMLP(epochs: Int = 2, batchSize: Int = 64, statistics: BatchNormStatistics = .global) throws -> Trainer {
        var g = RandomGenerator(seed: 3)
        let model = Sequential(Linear(784, 40, generator: &g), BatchNorm(40), ReLU(), Dropout(0.3, generator: &g), Linear(40, 10, generator: &g))
        var options = TrainerOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.verbose = false
        options.seed = 4
        options.batchNormStatistics = statistics
        return Trainer(model: model, optimizer: try Momentum(model.parameters(), learningRate: 0.05), options: options)
    }

    /// A CNN with batch norm after the convolution and dropout, flips and crops, momentum. (Not
    /// Adam: the gradient of a bias that batch norm follows is zero up to round-off, which Adam
    /// scales up to whole steps, so that bias would differ between any two orders of additions.)
    static func makeCNN(batchSize: Int = 50) throws -> Trainer {
        var g = RandomGenerator(seed: 5)
        let model = Sequential(Conv2D(1, 4, kernel: 3, generator: &g), BatchNorm(4), ReLU(), MaxPool2D(kernel: 2), Dropout(0.3, generator: &g),
                               Flatten(), Linear(4 * 13 * 13, 10, generator: &g))
        var options = TrainerOptions()
        options.epochs = 2
        options.batchSize = batchSize
        options.augmentation = Augmentation(horizontalFlip: true, cropPadding: 2)
        options.verbose = false
        options.seed = 9
        return Trainer(model: model, optimizer: try Momentum(model.parameters(), learningRate: 0.02), options: options)
    }

    @Test(arguments: [2, 3])
    func anMLPWithBatchNormTrainsToTheSameWeightsAndRunningStatistics(ranks: Int) throws {
        let one = try parallel.train(ranks: 1, data: DataParallelTests.flat) { try Self.makeMLP() }
        let many = try parallel.train(ranks: ranks, data: DataParallelTests.flat) { try Self.makeMLP() }
        // (The weights compared include batch norm's running mean and variance.)
        parallel.expectClose(many, one)
    }

    @Test(arguments: [2, 3])
    func aCNNWithBatchNormDropoutAndAugmentationTrainsToTheSameWeights(ranks: Int) throws {
        let one = try parallel.train(ranks: 1, data: DataParallelTests.images) { try Self.makeCNN() }
        let many = try parallel.train(ranks: ranks, data: DataParallelTests.images) { try Self.makeCNN() }
        parallel.expectClose(many, one)
    }

    @Test func aRankWithoutAShareOfTheLastBatchStillTakesPartInItsStatistics() throws {
        // 1000 examples in batches of 499: the last batch holds two, and rank 0 of three has none.
        let one = try parallel.train(ranks: 1, data: DataParallelTests.flat) { try Self.makeMLP(batchSize: 499) }
        let three = try parallel.train(ranks: 3, data: DataParallelTests.flat) { try Self.makeMLP(batchSize: 499) }
        parallel.expectClose(three, one)
    }

    @Test func perRankStatisticsDependOnTheRanksButEveryRankKeepsTheSameRunningOnes() throws {
        // `train` checks that both ranks end with the same weights and running statistics.
        let two = try parallel.train(ranks: 2, data: DataParallelTests.flat) { try Self.makeMLP(statistics: .rank) }
        let one = try parallel.train(ranks: 1, data: DataParallelTests.flat) { try Self.makeMLP(statistics: .rank) }
        // Batch statistics over 32 examples instead of 64: close, not equal.
        #expect(abs(two.validationAccuracy.last! - one.validationAccuracy.last!) < 0.05)
        #expect(two.weights != one.weights)
    }

    @Test func ranksThatDisagreeOnTheStatisticsAreRefusedByName() throws {
        #expect(throws: TrainingError("rank 1 holds different settings (epochs, batch size, seed, position, batch norm statistics) than rank 0; "
                                      + "every rank must start from the same model, optimizer and data")) {
            _ = try InProcessGroup.run(ranks: 2) { communicator in
                let trainer = try Self.makeMLP(statistics: communicator.rank == 1 ? .rank : .global)
                trainer.communicator = communicator
                try trainer.fit(train: DataParallelTests.flat.train, validation: DataParallelTests.flat.validation)
            }
        }
    }

    @Test func theModelTrainsAloneAgainAfterADataParallelRun() throws {
        // The trainer removes the global statistics from the model's batch norm when `fit` ends.
        let trainers = try InProcessGroup.run(ranks: 2) { communicator -> Trainer in
            let trainer = try Self.makeMLP(epochs: 1)
            trainer.communicator = communicator
            try trainer.fit(train: DataParallelTests.flat.train, validation: DataParallelTests.flat.validation)
            return trainer
        }
        #expect(trainers[0].model.modules().allSatisfy { $0.module.replicaReduction == nil })
    }

    @Test func aBatchThatLeavesDenseBatchNormOneRowIsRefusedBeforeTraining() throws {
        let train = DataParallelTests.flat.train, validation = DataParallelTests.flat.validation
        let leftover = train.count - 1   // each epoch's last batch: 1 example
        #expect(throws: TrainingError("batch norm over dense features needs at least 2 examples per batch to train, but the last batch of each "
                                      + "epoch holds 1 (\(train.count) training examples, batch size \(leftover)); choose a batch size that leaves at least 2")) {
            try Self.makeMLP(batchSize: leftover).checkOptions(train: train, validation: validation)
        }
        // After a convolution, batch norm has every position of the image to normalize over.
        let images = DataParallelTests.images
        try Self.makeCNN(batchSize: images.train.count - 1).checkOptions(train: images.train, validation: images.validation)
        // Per-rank statistics: a batch of 2 gives two of three ranks a single row; global statistics see both.
        #expect(throws: TrainingError.self) {
            _ = try InProcessGroup.run(ranks: 3) { communicator in
                let trainer = try Self.makeMLP(batchSize: 2, statistics: .rank)
                trainer.communicator = communicator
                try trainer.checkOptions(train: train, validation: validation)
            }
        }
        _ = try InProcessGroup.run(ranks: 3) { communicator in
            let trainer = try Self.makeMLP(batchSize: 2)
            trainer.communicator = communicator
            try trainer.checkOptions(train: train, validation: validation)
        }
    }
}
