import Foundation

/// The loss a classifier is trained with.
public enum ClassificationLoss: Equatable, Sendable {
    /// Softmax cross-entropy (the default).
    case softmaxCrossEntropy
    /// The multiclass SVM hinge loss with the given margin.
    case multiclassHinge(margin: Double)
    /// Softmax cross-entropy against targets smoothed by ε (`(1 - ε)·onehot + ε/C`).
    case labelSmoothedCrossEntropy(smoothing: Double)

    /// The mean loss of `logits` against `labels`.
    public func callAsFunction(_ logits: Variable, _ labels: [Int]) -> Variable {
        switch self {
        case .softmaxCrossEntropy: return Nabla.softmaxCrossEntropy(logits: logits, labels: labels)
        case .multiclassHinge(let margin): return multiclassHingeLoss(scores: logits, labels: labels, margin: margin)
        case .labelSmoothedCrossEntropy(let smoothing): return Nabla.softmaxCrossEntropy(logits: logits, labels: labels, smoothing: smoothing)
        }
    }
}

/// The lectures' training options (`ClassifierTrainer.train`).
public struct TrainerOptions {
    /// Passes over the training set.
    public var epochs = 10
    /// Examples per step.
    public var batchSize = 100
    /// Random mini-batches (`true`) or the whole training set as one batch per epoch (`false`).
    public var sampleBatches = true
    /// The base learning rate.
    public var learningRate = 1e-3
    /// The learning rate of each epoch. The lectures' `learning_rate_decay` is `.multiplicative(decay:)`.
    public var schedule: LearningRateSchedule = .constant
    /// L2 regularization strength `λ` in `L = data loss + λ Σ w²` (weights, not biases).
    public var regularization = 0.0
    /// The loss function.
    public var loss: ClassificationLoss = .softmaxCrossEntropy
    /// Training accuracy each epoch is measured on a fixed random sample of this many examples.
    public var trainAccuracySample = 1000
    /// Batch size for evaluation passes.
    public var evaluationBatchSize = 1000
    /// Random flips and crops of training images (drawn from the trainer's generator).
    public var augmentation = Augmentation()
    /// Seed of the batch order and the training-accuracy sample.
    public var seed: UInt64 = 0
    /// Print the epoch lines (and a progress bar on a terminal).
    public var verbose = true
    /// Steps per epoch whose update-to-weight ratios are measured into the history (0: none).
    public var updateRatioSamples = 10
    /// The divergence guard stops a run whose loss climbs above this many times its first value.
    public var divergenceFactor = 3.0
    /// When set, the gradients of all parameters together are scaled down to this global L2 norm
    /// whenever it is exceeded (`clipGradientNorm`), and each epoch records the norms before
    /// clipping: their mean as `grad_norm`, their largest as `grad_norm_max`.
    public var maxGradientNorm: Double?
    /// Batch norm's statistics under data-parallel training: the global batch's (default) or each rank's share's.
    public var batchNormStatistics = BatchNormStatistics.global

    public init() {}
}

/// How a run ended.
public struct TrainingResult {
    /// The best validation accuracy seen (and restored into the model).
    public var bestValidationAccuracy: Double?
    /// The epoch of the best validation accuracy.
    public var bestEpoch: Int?
    /// Epochs completed.
    public var epochsRun: Int
    /// Why the run stopped early, if it did.
    public var stopReason: StopReason?
}

/// Runs the mini-batch loop, like the lectures' `ClassifierTrainer`: each epoch shuffles the
/// training set into batches, and for each batch runs forward, loss, backward and the update; then
/// measures training accuracy (on a fixed sample), validation accuracy and loss, and prints
/// `Finished epoch 3 / 10: cost 1.942257, train: 0.376000, val 0.352000, lr 3.000000e-03`.
///
/// The trainer is the loop and a list of callbacks. Besides `callbacks` (yours: early stopping,
/// checkpoints, logs) it runs its standard ones, made from `options` when training starts: the
/// learning-rate schedule (unless you give a `LearningRateControl`), the best model, the
/// divergence guard, the update-ratio monitor and, when `verbose`, the progress reporter. It
/// records every step and epoch into `history` itself.
public final class Trainer: Checkpointable {
    public let model: any Module
    public let optimizer: any Optimizer
    public var options: TrainerOptions
    /// Everything measured so far.
    public let history = History()
    /// Your callbacks, run after the standard ones.
    public var callbacks: [any TrainingCallback]
    /// The random source of batch order and augmentation; part of a checkpoint.
    public var generator: RandomGenerator
    /// Ask the run to stop after its current step (a signal handler may set `stopRequest.flag`).
    public var stopRequest = StopRequest()
    /// The first epoch `fit` runs (from 0) and the steps taken before it: set by `resume(from:)`.
    public internal(set) var startEpoch = 0
    public internal(set) var startStep = 0
    /// The epoch in progress (kept for checkpoints within an epoch), or the one to resume.
    var progress: EpochProgress?
    /// Steps of epoch `startEpoch + 1` already done when resuming within it (0: none).
    public var stepsDoneInEpoch: Int { progress?.steps ?? 0 }
    /// The ranks this trainer shares each batch with (data-parallel training; `DataParallel.swift`),
    /// or nil to train alone. Every rank runs `fit` with the same model, optimizer, options and data.
    public var communicator: (any Communicator)?
    /// Seconds this rank spent reducing gradients and losses since the epoch began.
    public internal(set) var communicationSeconds = 0.0
    /// Whether the ranks agreed, with the last step's reduction, to stop (data-parallel only).
    var ranksAgreedToStop = false
    /// Batch norm's reductions over the ranks while `fit` runs with global batch statistics.
    var replicaStatistics: CommunicatorReduction?
    /// The global gradient norm of the last step, before clipping (set only with `maxGradientNorm`).
    public private(set) var lastGradientNorm: Double?

    public init(model: any Module, optimizer: any Optimizer, options: TrainerOptions = TrainerOptions(),
                callbacks: [any TrainingCallback] = []) {
        self.model = model
        self.optimizer = optimizer
        self.options = options
        self.callbacks = callbacks
        self.generator = RandomGenerator(seed: options.seed)
    }

    /// The standard callbacks, made from `options` on first use (by `fit` or `resume`); a kind you
    /// give yourself (a `BestModel` with a file, a `ProgressReporter` writing elsewhere) replaces its own.
    private lazy var standardCallbacks: [any TrainingCallback] = {
        var standard: [any TrainingCallback] = [UpdateRatioMonitor(samplesPerEpoch: options.updateRatioSamples)]
        if !callbacks.contains(where: { $0 is DivergenceGuard }) { standard.append(DivergenceGuard(factor: options.divergenceFactor)) }
        if !callbacks.contains(where: { $0 is BestModel }) { standard.append(BestModel()) }
        if options.verbose && !callbacks.contains(where: { $0 is ProgressReporter }) { standard.append(ProgressReporter()) }
        return standard
    }()

    /// Every callback in the order they run: the schedule, the standard ones, then yours.
    public var allCallbacks: [any TrainingCallback] {
        var all = standardCallbacks + callbacks
        if !all.contains(where: { $0 is any LearningRateControl }) {
            all.insert(LearningRateScheduler(options.schedule, base: options.learningRate), at: 0)
        }
        return all
    }

    /// The first callback of a type, standard or yours (the `BestModel`, say).
    public func callback<T>(_ type: T.Type) -> T? { allCallbacks.lazy.compactMap { $0 as? T }.first }

    /// Trains on `train`, validating on `validation` after each epoch.
    /// - Throws: `TrainingError` for invalid options or a callback's error (e.g. an unknown metric).
    @discardableResult
    public func fit(train: Dataset, validation: Dataset) throws -> TrainingResult {
        try checkOptions(train: train, validation: validation)
        if let communicator, communicator.size > 1 { try checkReplicas(train: train, validation: validation, communicator: communicator) }
        shareBatchStatistics(true)
        defer { shareBatchStatistics(false) }
        // The training-accuracy sample is drawn from its own seed, so it is the same after a resume.
        var sampleGenerator = RandomGenerator(seed: options.seed &+ 1)
        let sample = train.count <= options.trainAccuracySample ? train
            : train.subset(Array(sampleGenerator.permutation(train.count).prefix(options.trainAccuracySample)))

        let state = TrainingState(model: model, optimizer: optimizer, history: history, epochs: options.epochs,
                                  batchSize: options.batchSize, checkpoint: { [weak self] in
            // A callback may keep the state after the run; it must not keep the trainer alive.
            guard let self else { throw TrainingError("the trainer of this run no longer exists") }
            return try self.checkpoint()
        })
        state.step = startStep
        let callbacks = allCallbacks
        for c in callbacks { try c.trainingWillBegin(state) }
        var epochsRun = startEpoch

        for epoch in startEpoch..<options.epochs {
            state.epoch = epoch + 1
            for c in callbacks { try c.epochWillBegin(state) }
            // A resumed epoch draws its batches from the generator it began with, then skips those done.
            // (Then `generator`, restored to where the stop left it, goes on drawing augmentations.)
            let resumed = progress.flatMap { $0.steps > 0 ? $0 : nil }
            let epochStart = resumed?.generator ?? generator
            var drawn = epochStart
            let batches = options.sampleBatches
                ? train.batchIndices(size: options.batchSize, shuffle: true, generator: &drawn)
                : [Array(0..<train.count)]
            if resumed == nil { generator = drawn }
            progress = resumed ?? EpochProgress(steps: 0, generator: epochStart, lossSum: 0, lastLoss: .nan)
            // An epoch's time counts what it ran before a stop, not the pause until the resume.
            let epochClock = Date().addingTimeInterval(-(progress!.seconds ?? 0))
            state.stepsPerEpoch = batches.count
            state.stepInEpoch = progress!.steps
            model.train()
            communicationSeconds = 0
            for indices in batches.dropFirst(progress!.steps) {
                var batch = train.batch(indices)
                batch.features = options.augmentation.apply(batch.features, generator: &generator)
                for c in callbacks { try c.batchWillBegin(state) }
                let loss = try communicator.map { try dataParallelStep(batch, communicator: $0) } ?? trainStep(batch)
                progress!.lossSum += loss
                progress!.lastLoss = loss
                progress!.steps += 1
                if let norm = lastGradientNorm { progress!.recordGradientNorm(norm) }
                progress!.seconds = Date().timeIntervalSince(epochClock)
                state.step += 1
                state.stepInEpoch += 1
                history.recordStep(loss: loss, learningRate: optimizer.learningRate)
                // Callbacks hear of a stop request with the step it ends on (a checkpointer saves it then).
                if communicator == nil ? stopRequest.isRequested : ranksAgreedToStop { state.stopReason = .interrupted }
                for c in callbacks { try c.batchDidEnd(state, loss: loss) }
                if state.stopReason != nil { break }
            }
            if case .diverged = state.stopReason { break }
            if state.stopReason == .interrupted { break }
            let done = progress!
            progress = nil   // the epoch's steps are done: checkpoints from here on are between epochs

            // Shared by the ranks when data-parallel: each evaluates its share and the sums are reduced.
            let (trainAccuracy, _) = try evaluateShared(sample)
            let (validationAccuracy, validationLoss) = try evaluateShared(validation)
            // Wall-clock seconds of the epoch (steps and evaluation), and of the run up to its end.
            let seconds = Date().timeIntervalSince(epochClock)
            var metrics: [String: Double] = [
                "loss": done.lossSum / Double(Swift.max(state.stepInEpoch, 1)), "cost": done.lastLoss,
                "train_acc": trainAccuracy, "val_acc": validationAccuracy, "val_loss": validationLoss,
                "lr": optimizer.learningRate, "time": seconds, "elapsed": (history.epochs.last?["elapsed"] ?? 0) + seconds,
            ]
            // Milliseconds per step this rank waited on the others (data-parallel only).
            if communicator != nil { metrics["comm_ms"] = communicationSeconds * 1000 / Double(Swift.max(state.stepInEpoch, 1)) }
            if let sum = done.gradientNormSum, let largest = done.gradientNormMax {
                metrics["grad_norm"] = sum / Double(Swift.max(done.steps, 1))
                metrics["grad_norm_max"] = largest
            }
            history.recordEpoch(metrics.filter { $0.key != "cost" }, epoch: state.epoch)
            for c in callbacks { try c.epochDidEnd(state, metrics: metrics) }
            for c in callbacks { try c.epochDidSettle(state) }
            epochsRun = epoch + 1
            if state.stopReason != nil { break }
        }
        for c in callbacks { try c.trainingDidEnd(state) }
        let best = callback(BestModel.self)
        return TrainingResult(bestValidationAccuracy: best?.best, bestEpoch: best?.bestEpoch,
                              epochsRun: epochsRun, stopReason: state.stopReason)
    }

    /// Checks the options against the data (as `fit` does first), so that a command can refuse
    /// them before it writes anything.
    public func checkOptions(train: Dataset, validation: Dataset) throws {
        guard options.epochs >= 1 else { throw TrainingError("epochs must be at least 1, got \(options.epochs)") }
        guard options.batchSize >= 1 else { throw TrainingError("batch size must be at least 1, got \(options.batchSize)") }
        guard train.count > 0 else { throw TrainingError("the training set is empty") }
        guard validation.count > 0 else { throw TrainingError("the validation set is empty") }
        if !options.augmentation.isIdentity && train.exampleShape.count != 3 {
            throw TrainingError("augmentation needs images [C, H, W]; these examples are \(train.exampleShape)")
        }
        if options.augmentation.cropPadding > 0 {
            let (h, w) = (train.exampleShape[1], train.exampleShape[2])
            guard options.augmentation.cropPadding < Swift.min(h, w) else {
                throw TrainingError("random crops with padding \(options.augmentation.cropPadding) would shift \(h)×\(w) images out of view; use less than \(Swift.min(h, w))")
            }
        }
        guard options.regularization >= 0 else { throw TrainingError("regularization strength must be ≥ 0, got \(options.regularization)") }
        if let norm = options.maxGradientNorm, !(norm.isFinite && norm > 0) {
            throw TrainingError("the gradient norm limit must be a positive number, got \(norm)")
        }
        try options.schedule.validate()
        try checkBatchNormRows(train: train)
    }

    /// One optimization step on a batch; returns its loss (data loss plus penalty).
    public func trainStep(_ batch: Batch) -> Double {
        let logits = model(Variable(batch.features))
        var loss = options.loss(logits, batch.labels)
        if let penalty = l2Penalty(model.parameters(), strength: options.regularization) { loss = loss + penalty }
        optimizer.zeroGrad()
        loss.backward()
        finishStep()
        return loss.value.scalar
    }

    /// The end of a step, once the gradients are complete (and, data-parallel, summed): the update.
    func finishStep() {
        if let maxNorm = options.maxGradientNorm { lastGradientNorm = clipGradientNorm(optimizer.parameters, maxNorm: maxNorm) }
        optimizer.step()
    }

    /// Accuracy and mean data loss on `data`, in evaluation mode, without recording a graph.
    public func evaluate(_ data: Dataset) -> (accuracy: Double, loss: Double) {
        Trainer.evaluate(model, on: data, loss: options.loss, batchSize: options.evaluationBatchSize)
    }

    /// Accuracy and mean data loss of `model` on `data`, in evaluation mode, without recording a graph.
    public static func evaluate(_ model: any Module, on data: Dataset, loss: ClassificationLoss = .softmaxCrossEntropy,
                                batchSize: Int = 1000) -> (accuracy: Double, loss: Double) {
        let sums = evaluationSums(model, on: data, rows: 0..<data.count, loss: loss, batchSize: batchSize)
        let n = Double(Swift.max(data.count, 1))
        return (sums.correct / n, sums.loss / n)
    }

    /// The number of correct predictions and the summed data loss of `model` on `rows` of `data`,
    /// in batches of `batchSize` from the first row, in evaluation mode, without recording a graph.
    static func evaluationSums(_ model: any Module, on data: Dataset, rows: Range<Int>, loss: ClassificationLoss,
                               batchSize: Int) -> (correct: Double, loss: Double) {
        model.eval()
        defer { model.train() }
        var correct = 0.0, total = 0.0
        withoutGradients {
            for start in stride(from: rows.lowerBound, to: rows.upperBound, by: batchSize) {
                // Only this batch's features are converted (compact data stays bytes until here).
                let range = start..<Swift.min(start + batchSize, rows.upperBound)
                let labels = Array(data.labels[range])
                let logits = model(Variable(data.features(in: range)))
                // A whole count, so that sums over ranks give one process's accuracy exactly.
                correct += (accuracy(logits: logits.value, labels: labels) * Double(range.count)).rounded()
                total += loss(logits, labels).value.scalar * Double(range.count)
            }
        }
        return (correct, total)
    }

    /// `%f`, as the lectures print costs and accuracies.
    public static func format(_ x: Double) -> String { String(format: "%f", x) }
}
