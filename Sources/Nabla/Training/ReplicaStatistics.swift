import Foundation

/// Which batch statistics batch norm normalizes with under data-parallel training.
public enum BatchNormStatistics: String, Codable, CaseIterable, Sendable {
    /// The global batch's, summed over the ranks (one small reduction per layer and step, and one
    /// in backward): training equals one process's whatever the number of ranks. The default.
    case global
    /// Each rank's own share's (PyTorch's DDP without SyncBatchNorm): no communication in the
    /// forward pass, but results depend on the number of ranks. Running statistics are still
    /// averaged over the ranks after every step, so all ranks keep the same ones.
    case rank
}

/// The trainer's `ReplicaReduction`: batch norm's per-feature sums through the communicator, with
/// the time spent and the first failure kept for the step to report (a forward pass cannot throw).
final class CommunicatorReduction: ReplicaReduction {
    let communicator: any Communicator
    /// The first failed reduction since the last `check()`; later ones are skipped.
    private var failure: Error?
    /// Seconds spent in reductions since the last `takeSeconds()`.
    private var seconds = 0.0

    init(_ communicator: any Communicator) { self.communicator = communicator }

    func sumAcrossReplicas(_ values: inout [Double]) {
        guard failure == nil else { return }
        let clock = Date()
        do { values = try communicator.allreduceSum(values) } catch { failure = error }
        seconds += Date().timeIntervalSince(clock)
    }

    /// Throws the failure of a reduction made since the last check.
    func check() throws {
        if let failure {
            self.failure = nil
            throw failure
        }
    }

    /// The seconds spent since the last call.
    func takeSeconds() -> Double {
        defer { seconds = 0 }
        return seconds
    }
}

extension Trainer {
    /// Installs (or, with `false`, removes) the global batch statistics on every module of the
    /// model, when this trainer shares its batches and `options.batchNormStatistics` is `.global`.
    func shareBatchStatistics(_ share: Bool) {
        let reduction = share ? communicator.flatMap { $0.size > 1 && options.batchNormStatistics == .global ? CommunicatorReduction($0) : nil } : nil
        replicaStatistics = reduction
        for (_, module) in model.modules() { module.replicaReduction = reduction }
    }
}

extension Trainer {
    /// Batch norm over dense features normalizes each feature over a batch's rows (each rank's
    /// rows, with per-rank statistics): one row has no variance to normalize by. Checked before
    /// training for every batch size of an epoch (the full ones and what is left at the end),
    /// where a step would otherwise stop the process. A rank without a share of a batch is not a
    /// problem: it stands in with a weightless row that the running statistics normalize.
    func checkBatchNormRows(train: Dataset) throws {
        let size = options.batchSize, count = train.count
        let batches = options.sampleBatches ? Set([Swift.min(size, count), count % size].filter { $0 > 0 }).sorted() : [count]
        let ranks = communicator.flatMap { $0.size > 1 && options.batchNormStatistics == .rank ? $0.size : nil } ?? 1
        func shares(_ rows: Int) -> [Int] { (0..<ranks).map { r in rows * (r + 1) / ranks - rows * r / ranks } }
        guard let batch = batches.first(where: { shares($0).contains(1) }),
              model.normalizesDenseFeatures(example: train.features(in: 0..<1)) else { return }
        let which = !options.sampleBatches || batch == size ? "each batch holds" : "the last batch of each epoch holds"
        let data = "\(count) training examples, batch size \(options.sampleBatches ? String(size) : "all")"
        if ranks == 1 {
            throw TrainingError("batch norm over dense features needs at least 2 examples per batch to train, but \(which) 1 (\(data)); "
                                + "choose a batch size that leaves at least 2")
        }
        throw TrainingError("batch norm over dense features with per-rank statistics needs at least 2 rows per rank, but \(which) \(batch), "
                            + "which gives some of the \(ranks) ranks 1 (\(data)); use global statistics or a batch size that leaves each rank 2")
    }
}
