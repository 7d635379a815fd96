import ArgumentParser
import Foundation
import Nabla

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a classifier, printing the lectures' epoch lines.",
        discussion: """
        Example:
          nabla train --data mnist-5k --model "linear(100), relu, linear(10)" --epochs 10 \\
                      --optimizer momentum --lr 0.05 --lr-decay 0.95 --reg 1e-4 --out runs/mnist

        The model is a comma-separated list of layers; input sizes follow from the data:
          conv(32, 3, pad: 1), batchnorm, relu, maxpool(2), flatten, dropout(0.5), linear(10)
        Layers: \(ModelSpec.catalog.map(\.name).joined(separator: ", ")).
        """
    )

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "The network, e.g. \"linear(100), relu, linear(10)\", or a JSON file holding it.")
    var model: String = "linear(100), relu, linear(10)"

    @Option(help: "Passes over the training set (default 10; with --resume, the new total).")
    var epochs: Int?

    @Option(help: "Examples per step.")
    var batchSize: Int = 100

    @Flag(help: "Use the whole training set as one batch each epoch (the lectures' sample_batches = False).")
    var fullBatch = false

    @Option(help: "Update rule: \(optimizerNames.joined(separator: ", ")).")
    var optimizer: String = "momentum"

    @Option(help: "Learning rate.")
    var lr: Double = 0.05

    @Option(help: "Multiply the learning rate by this after every epoch (the lectures' learning_rate_decay).")
    var lrDecay: Double = 1

    @Option(help: "Momentum of momentum and nesterov.")
    var momentum: Double = 0.9

    @Option(help: "L2 regularization strength λ (loss + λ Σ w²).")
    var reg: Double = 0

    @Option(help: "Decoupled weight decay of adamw.")
    var weightDecay: Double = 0.01

    @Option(help: "Weight initialization: xavier, he, gaussian:0.01, uniform:0.1, xavier-uniform, he-uniform (default: each layer's own).")
    var `init`: String?

    @Option(help: "Stop when this metric stops improving: val_acc, val_loss, train_acc, loss.")
    var earlyStopping: String?

    @Option(help: "Epochs without improvement before early stopping.")
    var patience: Int = 5

    @Option(help: "The run folder: config, weights (best, last), checkpoint, history and log are written there.")
    var out: String?

    @Option(help: "Continue the interrupted run in this folder, with its own settings.")
    var resume: String?

    @Flag(help: "Print only the final lines.")
    var quiet = false

    func run() throws {
        do {
            try train()
        } catch let error as ValidationError {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch {
            // Errors from files, specs and options: one line, no usage dump.
            fflush(stdout)
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// This command's options as a run configuration (the data-dependent fields filled in later).
    private func makeConfig() -> RunConfig {
        RunConfig(data: dataOptions.data, labelColumn: dataOptions.labelColumn, labels: dataOptions.labels,
                  validation: dataOptions.val, test: dataOptions.test, stratify: dataOptions.stratify, seed: dataOptions.seed,
                  preprocess: dataOptions.preprocess, scale: dataOptions.scale, model: model, initializer: `init`,
                  inputShape: [], classNames: [], preprocessor: .fit(.none, on: .zeros([1, 1])),
                  epochs: epochs ?? 10, batchSize: batchSize, fullBatch: fullBatch, optimizer: optimizer,
                  learningRate: lr, learningRateDecay: lrDecay, momentum: momentum, regularization: reg,
                  weightDecay: weightDecay, earlyStopping: earlyStopping, patience: patience)
    }

    private func train() throws {
        var config = try resume.map { try RunFolder.readConfig($0) } ?? makeConfig()
        if resume != nil, let epochs { config.epochs = epochs }
        let folder = resume ?? out
        guard config.epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard config.batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard config.learningRateDecay > 0 else { throw ValidationError("--lr-decay must be positive, got \(config.learningRateDecay)") }
        let initializer = try parseInitializer(config.initializer)
        let spec = try ModelSpec.parse(try modelText(config.model))

        var data = dataOptions
        data.data = config.data; data.labelColumn = config.labelColumn; data.labels = config.labels
        data.val = config.validation; data.test = config.test; data.stratify = config.stratify; data.seed = config.seed
        data.preprocess = config.preprocess; data.scale = config.scale
        let (splits, preprocessor, _) = try data.load()
        config.inputShape = splits.train.exampleShape
        config.classNames = splits.train.classNames
        config.preprocessor = preprocessor

        var generator = RandomGenerator(seed: config.seed)
        let (network, summary) = try spec.build(inputShape: splits.train.exampleShape, classCount: splits.train.classCount,
                                                initializer: initializer, generator: &generator)
        let optimizer = try makeOptimizer(config.optimizer, parameters: network.parameters(), learningRate: config.learningRate,
                                          momentum: config.momentum, weightDecay: config.weightDecay)
        var options = TrainerOptions()
        options.epochs = config.epochs
        options.batchSize = config.batchSize
        options.sampleBatches = !config.fullBatch
        options.learningRate = config.learningRate
        options.schedule = config.learningRateDecay == 1 ? .constant : .multiplicative(decay: config.learningRateDecay)
        options.regularization = config.regularization
        options.seed = config.seed
        options.verbose = !quiet

        var callbacks: [any TrainingCallback] = []
        if let metric = config.earlyStopping { callbacks.append(EarlyStopping(metric: metric, patience: config.patience)) }
        let trainer = Trainer(model: network, optimizer: optimizer, options: options, callbacks: callbacks)

        var log: FileHandle? = nil
        if let folder {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try RunFolder.writeConfig(config, to: folder)
            trainer.callbacks += [Checkpointer(folder: folder, trainer: trainer, metadata: ["model": spec.source]),
                                  RunRecorder(folder: folder, trainer: trainer)]
            let logPath = folder + "/train.log"
            if resume == nil || !FileManager.default.fileExists(atPath: logPath) {
                FileManager.default.createFile(atPath: logPath, contents: nil)
            }
            log = FileHandle(forWritingAtPath: logPath)
            _ = try? log?.seekToEnd()
        }
        let say = { (text: String) in
            ProgressReporter.standardOutput(text)
            if !text.hasPrefix("\r") { log?.write(Data(text.utf8)) }
        }
        trainer.reporter = ProgressReporter(write: say)

        if let resume {
            try trainer.resume(from: resume + "/checkpoint.safetensors")
            guard trainer.startEpoch < config.epochs else {
                throw TrainingError("\(resume) has already run \(trainer.startEpoch) of \(config.epochs) epochs; give a larger --epochs to continue")
            }
            say("resuming \(resume) after epoch \(trainer.startEpoch)\n")
        }
        if !quiet {
            say("data: \(config.data): \(splits.train.count) train, \(splits.validation.count) validation, \(splits.test.count) test; examples \(splits.train.exampleShape), \(splits.train.classCount) classes\n")
            say("model: \(spec.source) (\(summary.reduce(0) { $0 + $1.parameters }) parameters)\n")
            say("optimizer: \(config.optimizer), lr \(config.learningRate)\(config.learningRateDecay != 1 ? ", decay \(config.learningRateDecay) per epoch" : ""), reg \(config.regularization), batch \(config.fullBatch ? "full" : String(config.batchSize))\n")
        }

        // Ctrl-C finishes the current step, then the run stops (its last checkpoint is intact).
        signal(SIGINT) { _ in Trainer.interruptRequested = true }
        let started = Date()
        let result = try trainer.fit(train: splits.train, validation: splits.validation)
        let seconds = Date().timeIntervalSince(started)
        signal(SIGINT, SIG_DFL)

        if splits.test.count > 0 {
            let testAccuracy = Trainer.evaluate(network, on: splits.test).accuracy
            say(String(format: "test accuracy: %f (%d examples)\n", testAccuracy, splits.test.count))
        }
        if !quiet { say(String(format: "trained %d epochs in %.1f s\n", result.epochsRun - trainer.startEpoch, seconds)) }
        if let folder, !quiet { say("run written to \(folder)\n") }
        switch result.stopReason {
        case .diverged: throw ExitCode(2)
        case .interrupted:
            say(folder.map { "resume with: nabla train --resume \($0)\n" } ?? "no run folder (--out) was given, so the run cannot be resumed\n")
            throw ExitCode(130)
        default: break
        }
    }

    private func modelText(_ model: String) throws -> String {
        if model.hasSuffix(".json") {
            guard let text = try? String(contentsOfFile: model, encoding: .utf8) else {
                throw DataError(file: model, "cannot read the model file")
            }
            return text
        }
        return model
    }
}
