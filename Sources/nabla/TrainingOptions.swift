import ArgumentParser
import Foundation
import Nabla

/// The options of a training recipe — data, model, optimizer, schedule, regularization, early
/// stopping — shared by `train`, `crossval`, `lr-find` and `search`. Each is optional: a flag not
/// given keeps the recipe's value, so the defaults live once, in `TrainingRecipe`.
struct TrainingOptionsGroup: ParsableArguments {
    private static let defaults = TrainingRecipe()

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

    @Option(parsing: .unconditional, help: "Multiply the learning rate by this after every epoch (the lectures' learning_rate_decay). (default: 1)")
    var lrDecay: Double?

    @Option(parsing: .unconditional, help: "Momentum of momentum and nesterov. (default: \(defaults.optimizer.momentum))")
    var momentum: Double?

    @Option(parsing: .unconditional, help: "L2 regularization strength λ (loss + λ Σ w²). (default: \(defaults.regularization))")
    var reg: Double?

    @Option(parsing: .unconditional, help: "Decoupled weight decay of adamw. (default: \(defaults.optimizer.weightDecay))")
    var weightDecay: Double?

    @Option(help: "Stop when this metric stops improving: \(EarlyStoppingRecipe.metrics.joined(separator: ", ")).")
    var earlyStopping: String?

    @Option(parsing: .unconditional, help: "Epochs without improvement before early stopping. (default: 5)")
    var patience: Int?

    /// The options given, by flag (a resumed run refuses all but --epochs).
    var given: [String] {
        dataOptions.given + modelOptions.given + [
            epochs.map { _ in "--epochs" }, batchSize.map { _ in "--batch-size" }, fullBatch ? "--full-batch" : nil,
            augment.map { _ in "--augment" }, optimizer.map { _ in "--optimizer" }, lr.map { _ in "--lr" },
            lrDecay.map { _ in "--lr-decay" }, momentum.map { _ in "--momentum" }, reg.map { _ in "--reg" },
            weightDecay.map { _ in "--weight-decay" }, earlyStopping.map { _ in "--early-stopping" },
            patience.map { _ in "--patience" },
        ].compactMap { $0 }
    }

    /// `base` (the library's defaults unless given) with the options given written over it, checked
    /// unless `validated` is false (a search's model template holds `{name}` placeholders).
    func makeRecipe(base: TrainingRecipe = TrainingRecipe(), validated: Bool = true) throws -> TrainingRecipe {
        var recipe = base
        try dataOptions.apply(to: &recipe)
        try modelOptions.apply(to: &recipe)
        if let epochs { recipe.epochs = epochs }
        if let batchSize { recipe.batchSize = batchSize }
        if fullBatch { recipe.fullBatch = true }
        if let augment { recipe.augmentation = try Augmentation(parsing: augment) }
        if let optimizer { recipe.optimizer.kind = try .init(parsing: optimizer) }
        if let lr { recipe.optimizer.learningRate = lr }
        if let momentum { recipe.optimizer.momentum = momentum }
        if let weightDecay { recipe.optimizer.weightDecay = weightDecay }
        if let lrDecay {
            guard lrDecay.isFinite, lrDecay > 0 else { throw SettingError(field: "schedule", "must be positive, got \(lrDecay)") }
            recipe.schedule = lrDecay == 1 ? .constant : .multiplicative(decay: lrDecay)
        }
        if let reg { recipe.regularization = reg }
        if let earlyStopping { recipe.earlyStopping = EarlyStoppingRecipe(metric: earlyStopping, patience: patience ?? 5) }
        if let patience, earlyStopping == nil, recipe.earlyStopping != nil { recipe.earlyStopping?.patience = patience }
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
        if case .multiplicative(let decay) = schedule { line += ", decay \(decay) per epoch" } else if schedule != .constant { line += ", \(schedule)" }
        return line + ", reg \(regularization), batch \(fullBatch ? "full" : String(batchSize))"
    }
}
