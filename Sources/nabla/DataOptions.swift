import ArgumentParser
import Foundation
import Nabla

/// The data options shared by every command that loads a data set. Each is optional: a flag that
/// is not given keeps the recipe's value (the library's default, or a resumed run's own), so the
/// defaults are declared once, in `DataRecipe` and `TrainingRecipe`.
struct DataOptions: ParsableArguments {
    private static let defaults = DataRecipe()

    @Option(help: ArgumentHelp("A data set's name (\(Datasets.allNames.joined(separator: ", "))), a folder of MNIST IDX, CIFAR-10 binary or image files "
        + "(class folders of .png/.jpg), a CSV file (.csv, .csv.gz) or a .npy features file (with --labels). (default: \(defaults.source))"))
    var data: String?

    @Option(help: "The labels .npy file that goes with a .npy features file.")
    var labels: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The CSV column holding the label: a name (with a header line) or an index (negative counts from the end). (default: "
        + "\(defaults.labelColumn))"))
    var labelColumn: String?

    @Option(help: ArgumentHelp("Input normalization fitted on the training split: \(Preprocessor.Method.allCases.map(\.rawValue).joined(separator: ", ")). (default: "
        + "\(defaults.preprocess.rawValue))"))
    var preprocess: String?

    @Option(help: "Multiply raw inputs by this first; 'auto' maps image bytes (0-255) to [0, 1]. (default: \(defaults.scale))")
    var scale: String?

    @Option(parsing: .unconditional, help: "Validation split: a fraction in [0, 1) or a whole count. (default: \(defaults.validation))")
    var val: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Test split drawn at random from the training files: a fraction in [0, 1) or a whole count; 0 for none. "
        + "(default: the data set's own test files, else \(DataRecipe.defaultTest))"))
    var test: Double?

    @Option(parsing: .unconditional, help: "Seed of the random splits alone, so that runs with different --seed share them. (default: --seed)")
    var splitSeed: UInt64?

    @Option(parsing: .unconditional, help: "Image folders: resize every image to this height and width (bilinear). (default: all images must have one size)")
    var imageSize: Int?

    @Flag(help: "Image folders: skip unreadable images (counted and listed) instead of stopping at the first.")
    var skipBad = false

    @Option(help: "The axis order of a .npy array of images: nchw (channels first) or nhwc (channels last). (default: nchw)")
    var layout: String?

    @Option(parsing: .unconditional, help: "The number of classes, when the labels need not cover them all; a label at or above it is an error. (default: the largest label + 1)")
    var classes: Int?

    @Flag(help: "Keep each class's share in every split.")
    var stratify = false

    @Option(parsing: .unconditional, help: "Seed of the splits, the weights and the batch order. (default: \(TrainingRecipe().seed))")
    var seed: UInt64?

    /// Whether any of these options was given (a resumed run refuses them).
    var given: [String] {
        [data.map { _ in "--data" }, labels.map { _ in "--labels" }, labelColumn.map { _ in "--label-column" },
         preprocess.map { _ in "--preprocess" }, scale.map { _ in "--scale" }, val.map { _ in "--val" },
         test.map { _ in "--test" }, classes.map { _ in "--classes" }, stratify ? "--stratify" : nil, seed.map { _ in "--seed" }, splitSeed.map { _ in "--split-seed" },
         imageSize.map { _ in "--image-size" }, skipBad ? "--skip-bad" : nil, layout.map { _ in "--layout" }].compactMap { $0 }
    }

    /// Writes the given options into `recipe`.
    func apply(to recipe: inout TrainingRecipe) throws {
        if let data { recipe.data.source = data }
        if let labels { recipe.data.labels = labels }
        if let labelColumn { recipe.data.labelColumn = labelColumn }
        if let preprocess {
            guard let method = Preprocessor.Method(rawValue: preprocess) else {
                throw SettingError(field: "data.preprocess", "unknown method '\(preprocess)'; choose one of: "
                    + "\(Preprocessor.Method.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            recipe.data.preprocess = method
        }
        if let scale { recipe.data.scale = try InputScale(parsing: scale) }
        if let val { recipe.data.validation = val }
        if let test { recipe.data.test = test }
        if let classes { recipe.data.classes = classes }
        if stratify { recipe.data.stratify = true }
        if let seed { recipe.seed = seed }
        if let splitSeed { recipe.data.splitSeed = splitSeed }
        if let imageSize { recipe.data.imageSize = imageSize }
        if skipBad { recipe.data.skipBad = true }
        if let layout {
            guard let value = ImageLayout(rawValue: layout) else {
                throw SettingError(field: "data.layout", "unknown layout '\(layout)'; choose nchw or nhwc")
            }
            recipe.data.layout = value
        }
    }

    /// A recipe holding these options and the defaults for the rest.
    func recipe() throws -> TrainingRecipe {
        var recipe = TrainingRecipe()
        try apply(to: &recipe)
        return recipe
    }
}

/// The model options shared by the commands that build a network.
struct ModelOptions: ParsableArguments {
    @Option(help: "The network, e.g. \"linear(100), relu, linear(10)\", or a JSON file holding it. (default: \(TrainingRecipe().model))")
    var model: String?

    @Option(help: "Weight initialization: \(Initializer.names) (default: each layer's own).")
    var `init`: String?

    var given: [String] { [model.map { _ in "--model" }, `init`.map { _ in "--init" }].compactMap { $0 } }

    func apply(to recipe: inout TrainingRecipe) throws {
        if let model { recipe.model = model }
        if let `init` { recipe.initializer = try Initializer(parsing: `init`) }
    }
}

/// The command-line flag of each recipe field, so that a library `SettingError` names what the user typed.
let flagOfField = [
    "data": "--data", "data.source": "--data", "data.labels": "--labels", "data.labelColumn": "--label-column",
    "data.validation": "--val", "data.test": "--test", "data.preprocess": "--preprocess", "data.scale": "--scale", "data.classes": "--classes",
    "data.imageSize": "--image-size", "data.skipBad": "--skip-bad", "data.layout": "--layout", "data.splitSeed": "--split-seed",
    "initializer": "--init", "model": "--model", "optimizer.kind": "--optimizer", "optimizer.learningRate": "--lr",
    "optimizer.momentum": "--momentum", "optimizer.weightDecay": "--weight-decay", "schedule": "--schedule",
    "regularization": "--reg", "epochs": "--epochs", "batchSize": "--batch-size", "augmentation": "--augment",
    "earlyStopping.metric": "--early-stopping", "earlyStopping.patience": "--patience", "checkpointEvery": "--checkpoint-every",
    "schedule.warmup": "--warmup", "labelSmoothing": "--label-smoothing", "clipGradientNorm": "--clip-grad-norm", "targetAccuracy": "--target-accuracy",
]
