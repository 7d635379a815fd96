import Foundation
import Testing
@testable import Nabla

/// Cross-validation spread over ranks: each fold trains on one rank alone, so 2 or 3 ranks give
/// every fold's result of one process, on every rank.
@Suite struct CrossValidationOnRanksTests {
    static let data = Result { try Datasets.load("mnist-5k").split(validation: 0, test: 3500, seed: 1).train }

    /// Cross-validates a small MLP in 4 folds; `trained` records the folds this rank trained.
    static func crossValidate(communicator: (any Communicator)?, trained: inout [Int]) throws -> CrossValidationResult {
        var options = TrainerOptions()
        options.epochs = 2
        options.verbose = false
        options.seed = 2
        var folds: [Int] = []
        let result = try CrossValidation.run(
            try data.get(), folds: 4, stratified: true, seed: 3, preprocessing: .meanImage, scale: 1.0 / 255, options: options,
            makeModel: { _ in
                var g = RandomGenerator(seed: 4)
                return Sequential(Flatten(), Linear(784, 16, generator: &g), ReLU(), Linear(16, 10, generator: &g))
            },
            makeOptimizer: { try Momentum($0.parameters(), learningRate: 0.1) },
            foldDidEnd: { result, _ in folds.append(result.fold) },
            communicator: communicator)
        trained = folds
        return result
    }

    @Test(arguments: [2, 3])
    func ranksShareTheFoldsAndAllGetEveryResult(ranks: Int) throws {
        var all: [Int] = []
        let alone = try Self.crossValidate(communicator: nil, trained: &all)
        #expect(all == [1, 2, 3, 4] && alone.folds.count == 4)

        let outcomes = try InProcessGroup.run(ranks: ranks) { communicator -> (CrossValidationResult, [Int]) in
            var mine: [Int] = []
            let result = try Self.crossValidate(communicator: communicator, trained: &mine)
            return (result, mine)
        }
        for (rank, (result, trained)) in outcomes.enumerated() {
            // Fold K on rank (K - 1) mod N.
            #expect(trained == Array(stride(from: rank + 1, through: 4, by: ranks)), "rank \(rank)")
            #expect(result == alone, "rank \(rank)")
        }
    }
}
