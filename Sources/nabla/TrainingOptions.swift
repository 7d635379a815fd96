import ArgumentParser
import Foundation
import Nabla

/// The options of a training recipe — data, model, optimizer, schedule, regularization, early
/// stopping — shared by `train`, `crossval`, `lr-find` and `search`. Each is optional: a flag not
/// given keeps the recipe's value, so the defaults live once, in `TrainingRecipe`.
struct TrainingOptionsGroup: ParsableArguments {
    private static let defaults = TrainingRecipe()

    @Option(help: "Start from a saved recipe: a JSON file such as a run's config.json; the options given override its fields.")
    var recipe: String?

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Passes over the training set (with --resume, the new total). (default: \(defaults.epochs))")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Examples per step. (default: \(defaults.batchSize))")
    var batchSize: Int?

    @Flag(help: "Use the whole training set as one batch each epoch (the lectures' sample_batches = False).")
    var fullBatch = false

    @Option(help: "Augment training images each epoch: flip, crop:PIXELS (random shifts with zero padding), or both (flip,crop:4).")
    var augment: String?

    @Option(help: "Update rule: \(OptimizerRecipe.Kind.allCases.map(\.rawValue).joined(separator: ", ")). (default: \(defaults.optimizer.kind.rawValue))")
    var optimizer: String?

    @Option(parsing: .unconditional, help: "Learning rate. (default: \(defaults.optimizer.learningRate))")
    var lr: Double?

    @Option(parsing: .unconditional, help: "Multiply the learning rate by this after every epoch (the lectures' learning_rate_decay; --schedule exp:FACTOR). (default: 1)")
    var lrDecay: Double?

    @Option(help: ArgumentHelp("Learning-rate schedule: constant, step:EPOCHS:FACTOR, exp:FACTOR (×FACTOR per epoch), inv:K (lr/(1+K·epochs), per step), "
        + "cosine (to 0 over the run, per step; see --warmup), onecycle:MAX_LR (per step), plateau:METRIC:FACTOR:PATIENCE. (default: constant)"))
    var schedule: String?

    @Option(parsing: .unconditional, help: "Linear warm-up of --schedule cosine, in epochs (fractions allowed). (default: 0)")
    var warmup: Double?

    @Option(parsing: .unconditional, help: "Scale the gradients down to this global L2 norm when above it; the history records the norms before clipping.")
    var clipGradNorm: Double?

    @Option(parsing: .unconditional, help: "Label smoothing ε of the softmax cross-entropy, in [0, 1). (default: 0)")
    var labelSmoothing: Double?

    @Option(parsing: .unconditional, help: "Stop when the validation accuracy first reaches this, and report the time it took (time-to-accuracy).")
    var targetAccuracy: Double?

    @Option(parsing: .unconditional, help: "Momentum of momentum and nesterov. (default: \(defaults.optimizer.momentum))")
    var momentum: Double?

    @Option(parsing: .unconditional, help: "L2 regularization strength λ (loss + λ Σ w²). (default: \(defaults.regularization))")
    var reg: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Decoupled weight decay λ for any update rule: w -= lr·λ·w each step, outside the rule (as AdamW). "
        + "(default: 0.01 for adamw, else 0)"))
    var weightDecay: Double?

    @Option(help: "Stop when this metric stops improving: \(EarlyStoppingRecipe.metrics.joined(separator: ", ")).")
    var earlyStopping: String?

    @Option(parsing: .unconditional, help: "Epochs without improvement before early stopping. (default: 5)")
    var patience: Int?

    @Option(help: ArgumentHelp("Also save the run's checkpoint within an epoch: every N steps (500) or a duration (90s, 5m, 1h); 'epoch' for only "
                               + "between epochs. (default: \(defaults.checkpointEvery?.text ?? "epoch"))"))
    var checkpointEvery: String?

    @Option(help: "Batch norm's statistics under mpirun: global (summed over the ranks, the numbers of one process) or rank (each rank's share). (default: global)")
    var batchnormStats: String?

    /// The options given, by flag (a resumed run refuses all but --epochs).
    var given: [String] {
        dataOptions.given + modelOptions.given + [
            epochs.map { _ in "--epochs" }, batchSize.map { _ in "--batch-size" }, fullBatch ? "--full-batch" : nil,
            augment.map { _ in "--augment" }, optimizer.map { _ in "--optimizer" }, lr.map { _ in "--lr" },
            lrDecay.map { _ in "--lr-decay" }, momentum.map { _ in "--momentum" }, reg.map { _ in "--reg" },
            weightDecay.map { _ in "--weight-decay" }, earlyStopping.map { _ in "--early-stopping" },
            patience.map { _ in "--patience" }, checkpointEvery.map { _ in "--checkpoint-every" }, recipe.map { _ in "--recipe" },
            schedule.map { _ in "--schedule" }, warmup.map { _ in "--warmup" }, clipGradNorm.map { _ in "--clip-grad-norm" },
            labelSmoothing.map { _ in "--label-smoothing" }, targetAccuracy.map { _ in "--target-accuracy" },
            batchnormStats.map { _ in "--batchnorm-stats" },
        ].compactMap { $0 }
    }

    /// `base` (the `--recipe` file if given, else the library's defaults) with the options given
    /// written over it, checked unless `validated` is false (a search's model template holds
    /// `{name}` placeholders).
    func makeRecipe(base: TrainingRecipe = TrainingRecipe(), validated: Bool = true) throws -> TrainingRecipe {
        var recipe = try self.recipe.map(TrainingRecipe.read) ?? base
        try dataOptions.apply(to: &recipe)
        try modelOptions.apply(to: &recipe)
        // A recipe file's cosine or one-cycle schedule spans its epochs: run longer, it stretches too.
        if let epochs { if self.recipe != nil { recipe.setEpochs(epochs) } else { recipe.epochs = epochs } }
        if let batchSize { recipe.batchSize = batchSize }
        if fullBatch { recipe.fullBatch = true }
        if let augment { recipe.augmentation = try Augmentation(parsing: augment) }
        if let optimizer { recipe.optimizer.kind = try .init(parsing: optimizer) }
        if let lr { recipe.optimizer.learningRate = lr }
        if let momentum { recipe.optimizer.momentum = momentum }
        if let weightDecay { recipe.optimizer.weightDecay = weightDecay }
        if lrDecay != nil && schedule != nil {
            throw CommandError("--lr-decay and --schedule cannot be given together (--lr-decay D is --schedule exp:D)")
        }
        if warmup != nil && schedule != "cosine" { throw CommandError("--warmup: only --schedule cosine has a warm-up") }
        if let lrDecay {
            guard lrDecay > 0, lrDecay <= 1 else { throw CommandError("--lr-decay: must be in (0, 1], got \(lrDecay)") }
            recipe.schedule = lrDecay == 1 ? .constant : .multiplicative(decay: lrDecay)
            recipe.plateau = nil
        }
        if let schedule { try recipe.setSchedule(schedule, warmup: warmup) }
        if let clipGradNorm { recipe.clipGradientNorm = clipGradNorm }
        if let labelSmoothing { recipe.labelSmoothing = labelSmoothing }
        if let targetAccuracy { recipe.targetAccuracy = targetAccuracy }
        if let reg { recipe.regularization = reg }
        if let batchnormStats {
            guard let statistics = BatchNormStatistics(rawValue: batchnormStats) else {
                throw CommandError("--batchnorm-stats: '\(batchnormStats)' is not one of: \(BatchNormStatistics.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            recipe.batchNormStatistics = statistics
        }
        if let earlyStopping { recipe.earlyStopping = EarlyStoppingRecipe(metric: earlyStopping, patience: patience ?? 5) }
        if let patience, earlyStopping == nil, recipe.earlyStopping != nil { recipe.earlyStopping?.patience = patience }
        if let checkpointEvery { recipe.checkpointEvery = checkpointEvery == "epoch" ? nil : try CheckpointInterval(parsing: checkpointEvery) }
        if validated { try recipe.validate() }
        return recipe
    }
}

/// A user error of the newer subcommands, printed as one line by `reportingErrors`.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension TrainingRecipe {
    /// The optimizer line the commands print: `momentum, lr 0.05, decay 0.95 per epoch, reg 0, batch 100`.
    var optimizerLine: String {
        var line = "\(optimizer.kind.rawValue), lr \(optimizer.learningRate)"
        if case .multiplicative(let decay) = schedule, plateau == nil {
            line += ", decay \(decay) per epoch"
        } else if schedule != .constant || plateau != nil {
            line += ", schedule \(scheduleText)"
        }
        if optimizer.effectiveWeightDecay > 0 { line += ", weight decay \(optimizer.effectiveWeightDecay)" }
        line += ", reg \(regularization)"
        if labelSmoothing > 0 { line += ", label smoothing \(labelSmoothing)" }
        if let clipGradientNorm { line += ", clip grad norm \(clipGradientNorm)" }
        return line + ", batch \(fullBatch ? "full" : String(batchSize))"
    }

    /// The options that give a trial of a search this recipe's schedule and training aids.
    var trainingAidArguments: [String] {
        var args: [String] = []
        if let plateau { args.append("--schedule=plateau:\(plateau.metric):\(plateau.factor):\(plateau.patience)") }
        switch schedule {
        case .constant, .multiplicative: break   // --lr-decay carries the latter
        case let .stepDecay(every, factor): args.append("--schedule=step:\(every):\(factor)")
        case let .inverseTime(rate): args.append("--schedule=inv:\(rate)")
        case let .warmupCosine(warmup, _, _): args += ["--schedule=cosine"] + (warmup > 0 ? ["--warmup=\(warmup)"] : [])
        case let .oneCycle(maximum, _): args.append("--schedule=onecycle:\(maximum)")
        case .exponential: break   // not a command-line schedule
        }
        if labelSmoothing > 0 { args.append("--label-smoothing=\(labelSmoothing)") }
        if let clipGradientNorm { args.append("--clip-grad-norm=\(clipGradientNorm)") }
        return args
    }
}
