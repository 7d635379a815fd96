import Foundation

/// Data-parallel steps: every rank holds the whole model, computes forward and backward on its
/// share of each global batch, and the ranks sum their gradients before one identical update.
///
/// Each rank's data loss is its share's mean weighted by `share / batch`, and the L2 penalty is
/// split evenly, so the summed gradient is the gradient of the whole batch's loss: the update
/// equals one process's on the whole batch, up to the order of float additions.
///
/// Gradients travel in buckets of `bucketElements` floats, last layer first, each started with a
/// non-blocking allreduce as soon as backward has finished its parameters (`GradientBuckets`), so
/// communication overlaps the rest of the backward pass.
extension Trainer {
    /// Floats per gradient bucket (4 MiB).
    static let bucketElements = 1 << 20

    /// One optimization step on this rank's share of `batch` (the global batch); returns the
    /// whole batch's loss, the same on every rank.
    func dataParallelStep(_ batch: Batch, communicator: any Communicator) throws -> Double {
        let total = batch.labels.count
        let share = communicator.share(of: total)
        optimizer.zeroGrad()
        // A rank with no share of a batch smaller than the number of ranks computes the first row
        // with a loss weight of zero: it draws the batch's dropout masks like the others and takes
        // part in batch norm's reductions, and its gradients are zero.
        let rows = share.isEmpty ? 0..<1 : share
        let features = rows.count == total ? batch.features : batch.features[rows: rows]
        let slice = BatchSlice(offset: rows.lowerBound, total: total, isPlaceholder: share.isEmpty)
        let logits = BatchSlice.withCurrent(slice) { model(Variable(features)) }
        var loss = options.loss(logits, Array(batch.labels[rows])) * (Double(share.count) / Double(total))
        let strength = options.regularization / Double(communicator.size)
        if let penalty = l2Penalty(model.parameters(), strength: strength) { loss = loss + penalty }
        // Each bucket of gradients starts its sum as soon as backward has finished its parameters.
        let buckets = GradientBuckets(parameters: optimizer.parameters.map(\.variable), communicator: communicator,
                                      capacity: Self.bucketElements)
        loss.backward(onLeafGradient: buckets.gradientIsFinal)
        communicationSeconds += replicaStatistics?.takeSeconds() ?? 0
        try replicaStatistics?.check()
        let clock = Date()
        try buckets.finish()
        try averageBuffers(communicator, computed: !share.isEmpty)
        // A stop request (Ctrl-C reaches each rank at its own moment) travels with the loss, so
        // that every rank stops after the same step.
        let sums = try communicator.allreduceSum([loss.value.scalar, stopRequest.isRequested ? 1 : 0])
        ranksAgreedToStop = sums[1] > 0
        communicationSeconds += Date().timeIntervalSince(clock)
        finishStep()
        return sums[0]
    }

    /// `evaluate(_:)`, divided among the ranks when data-parallel: each rank evaluates its share of
    /// `data` and the correct predictions and losses are summed, so that every rank gets the
    /// accuracy one process would (the loss up to the order of additions).
    func evaluateShared(_ data: Dataset) throws -> (accuracy: Double, loss: Double) {
        guard let communicator, communicator.size > 1 else { return evaluate(data) }
        return try Trainer.evaluate(model, on: data, loss: options.loss, batchSize: options.evaluationBatchSize, communicator: communicator)
    }

    /// Accuracy and mean data loss of `model` on `data`, the work divided among the ranks of
    /// `communicator` (each evaluates its share; the sums are reduced). Every rank gets the result.
    public static func evaluate(_ model: any Module, on data: Dataset, loss: ClassificationLoss = .softmaxCrossEntropy,
                                batchSize: Int = 1000, communicator: any Communicator) throws -> (accuracy: Double, loss: Double) {
        let share = communicator.share(of: data.count)
        let local = share.isEmpty ? (correct: 0.0, loss: 0.0) : evaluationSums(model, on: data, rows: share, loss: loss, batchSize: batchSize)
        let sums = try communicator.allreduceSum([local.correct, local.loss])
        let n = Double(Swift.max(data.count, 1))
        return (sums[0] / n, sums[1] / n)
    }

    /// Averages the model's buffers (batch norm's running statistics) over the ranks that
    /// computed a share of this step, so that every rank evaluates and saves the same ones.
    ///
    /// With global batch statistics (the default) the ranks' running statistics are already the
    /// same, and averaging leaves them as they are. With per-rank statistics
    /// (`BatchNormStatistics.rank`) training depends on the number of ranks: the averaged running
    /// mean equals one process's when the shares are equal; the running variance misses the
    /// spread between the ranks' means.
    func averageBuffers(_ communicator: any Communicator, computed: Bool) throws {
        let buffers = model.buffers().map(\.variable)
        guard !buffers.isEmpty else { return }
        var packed: [Double] = []
        for buffer in buffers { packed += computed ? buffer.value.doubles : Array(repeating: 0, count: buffer.value.count) }
        packed.append(computed ? 1 : 0)
        packed = try communicator.allreduceSum(packed)
        let ranks = packed.removeLast()
        var offset = 0
        for buffer in buffers {
            let n = buffer.value.count
            buffer.value = Tensor(packed[offset..<(offset + n)].map { $0 / ranks }, shape: buffer.value.shape, dtype: buffer.value.dtype)
            offset += n
        }
    }
}
