import Foundation

/// One fold of a cross-validation: how its model did on the fold it did not train on.
public struct FoldResult: Codable, Equatable, Sendable {
    /// The fold's number, from 1.
    public var fold: Int
    /// Training and validation examples.
    public var trainCount: Int
    public var validationCount: Int
    /// The best validation accuracy over the epochs, and its epoch (from 1).
    public var bestValidationAccuracy: Double
    public var bestEpoch: Int?
    /// Epochs completed (fewer than asked when stopped early or diverged).
    public var epochsRun: Int
    /// Why the fold's training stopped early, in words, if it did.
    public var stopped: String?
    /// Whether it stopped because the loss diverged (the learning rate is probably too high).
    public var diverged: Bool
}

/// The folds' results and their summary.
public struct CrossValidationResult: Codable, Equatable, Sendable {
    public var folds: [FoldResult]

    /// The mean of the folds' best validation accuracies.
    public var meanAccuracy: Double {
        folds.isEmpty ? 0 : folds.reduce(0) { $0 + $1.bestValidationAccuracy } / Double(folds.count)
    }

    /// The sample standard deviation (divisor `k - 1`, as `torch.std`) of the folds' best
    /// validation accuracies; 0 for a single fold.
    public var standardDeviation: Double {
        guard folds.count > 1 else { return 0 }
        let mean = meanAccuracy
        return (folds.reduce(0) { $0 + ($1.bestValidationAccuracy - mean) * ($1.bestValidationAccuracy - mean) }
                / Double(folds.count - 1)).squareRoot()
    }

    /// `0.912000 ± 0.008124`.
    public var summary: String { String(format: "%f ± %f", meanAccuracy, standardDeviation) }
}

/// k-fold cross-validation of a training recipe: the data is cut into `k` folds (seeded, stratified
/// if asked, by `Splits.kFold`); for each fold a fresh model trains on the other `k - 1` folds and is
/// validated on it, and the fold's best validation accuracy is recorded.
///
/// Preprocessing is fitted on each fold's training part only, so that no statistic of a validation
/// fold leaks into its training. Hold a test set out before calling this (e.g. with
/// `data.split(validation: 0, test: 0.1)`): cross-validation chooses settings, the test set judges
/// the choice once.
public enum CrossValidation {
    /// Trains and validates one model per fold.
    ///
    /// - Parameters:
    ///   - data: the examples to cut into folds (raw: preprocessing is fitted per fold).
    ///   - folds: `k`, at least 2 and at most `data.count`.
    ///   - stratified: keep each class's share in every fold.
    ///   - seed: the seed of the folds.
    ///   - preprocessing: the input normalization fitted on each fold's training part, after
    ///     multiplying by `scale`.
    ///   - options: the trainer's options, the same for every fold.
    ///   - makeModel: a fresh, untrained model for fold `f` (from 1).
    ///   - makeOptimizer: the optimizer of a fold's model (default: SGD at `options.learningRate`).
    ///   - makeCallbacks: fresh callbacks for fold `f` (early stopping keeps state, so each fold
    ///     needs its own).
    ///   - foldWillBegin: called with each fold's number and trainer before it trains (to set a
    ///     reporter, say).
    ///   - foldDidEnd: called with each fold's result and trainer (holding the best model) after it trains.
    ///   - communicator: spreads the folds over its ranks (fold `f` on rank `(f - 1) % size`, each
    ///     trained by one rank alone, so the results do not depend on the number of ranks); every
    ///     rank returns every fold's result. The closures run on the rank that trains the fold.
    /// - Throws: `TrainingError` for an invalid `folds`, or any error of the closures or of `Trainer.fit`.
    public static func run(
        _ data: Dataset, folds: Int, stratified: Bool = false, seed: UInt64 = 0,
        preprocessing: Preprocessor.Method = .none, scale: Double = 1, options: TrainerOptions,
        makeModel: (_ fold: Int) throws -> any Module,
        makeOptimizer: ((_ model: any Module) throws -> any Optimizer)? = nil,
        makeCallbacks: (_ fold: Int) throws -> [any TrainingCallback] = { _ in [] },
        foldWillBegin: (_ fold: Int, _ trainer: Trainer) throws -> Void = { _, _ in },
        foldDidEnd: (_ result: FoldResult, _ trainer: Trainer) throws -> Void = { _, _ in },
        communicator: (any Communicator)? = nil
    ) throws -> CrossValidationResult {
        guard folds >= 2 else { throw TrainingError("cross-validation needs at least 2 folds, got \(folds)") }
        guard folds <= data.count else {
            throw TrainingError("cannot cut \(data.count) examples into \(folds) folds")
        }
        var results: [FoldResult] = []
        let (rank, ranks) = (communicator?.rank ?? 0, communicator?.size ?? 1)
        for (f, split) in Splits.kFold(labels: data.labels, folds: folds, stratified: stratified, seed: seed).enumerated()
        where f % ranks == rank {
            let fold = f + 1
            var train = data.subset(split.train), validation = data.subset(split.validation)
            let preprocessor = Preprocessor.fit(preprocessing, scale: scale, on: train)
            train = train.preprocessed(by: preprocessor)
            validation = validation.preprocessed(by: preprocessor)

            let model = try makeModel(fold)
            let optimizer = try makeOptimizer?(model) ?? SGD(model.parameters(), learningRate: options.learningRate)
            let trainer = Trainer(model: model, optimizer: optimizer, options: options, callbacks: try makeCallbacks(fold))
            try foldWillBegin(fold, trainer)
            let outcome = try trainer.fit(train: train, validation: validation)
            var stopped: String? = nil, diverged = false
            switch outcome.stopReason {
            case .diverged(let message)?: stopped = message; diverged = true
            case .earlyStopping(let message)?, .requested(let message)?: stopped = message
            case .interrupted?: stopped = "interrupted"
            case nil: break
            }
            let result = FoldResult(fold: fold, trainCount: train.count, validationCount: validation.count,
                                    bestValidationAccuracy: outcome.bestValidationAccuracy ?? 0, bestEpoch: outcome.bestEpoch,
                                    epochsRun: outcome.epochsRun, stopped: stopped, diverged: diverged)
            results.append(result)
            try foldDidEnd(result, trainer)
            if outcome.stopReason == .interrupted { break }
        }
        if let communicator, ranks > 1 { results = try gather(results, over: communicator) }
        return CrossValidationResult(folds: results)
    }

    /// Every rank's fold results on every rank, in fold order: each rank in turn broadcasts its
    /// results as JSON (their byte count first, since the others cannot know it).
    static func gather(_ results: [FoldResult], over communicator: any Communicator) throws -> [FoldResult] {
        let mine = try JSONEncoder().encode(results)
        var all: [FoldResult] = []
        for root in 0..<communicator.size {
            let count = try communicator.broadcast([UInt64(mine.count)], from: root)[0]
            var bytes = root == communicator.rank ? [UInt8](mine) : [UInt8](repeating: 0, count: Int(count))
            try bytes.withUnsafeMutableBytes { try communicator.broadcast($0, from: root) }
            all += try JSONDecoder().decode([FoldResult].self, from: Data(bytes))
        }
        return all.sorted { $0.fold < $1.fold }
    }
}
