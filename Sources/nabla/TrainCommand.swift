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

    @OptionGroup var training: TrainingOptionsGroup

    @Option(help: "The run folder: config, weights (best, last), checkpoint, history and log are written there.")
    var out: String?

    @Option(help: "Continue the interrupted run in this folder, with its own settings.")
    var resume: String?

    @Option(help: "Also write TensorBoard event files into this folder (loss per step, epoch metrics, update ratios, weight histograms); watch with tensorboard --logdir DIR.")
    var tensorboard: String?

    @Flag(help: "Print only the final lines.")
    var quiet = false

    func run() throws {
        try reportingErrors(train)
    }

    private func train() throws {
        var config = try resume.map { try RunFolder.readConfig($0) } ?? training.makeConfig()
        if resume != nil, let epochs = training.epochs { config.epochs = epochs }
        let folder = resume ?? out
        try config.validate()
        let initializer = try parseInitializer(config.initializer)
        let spec = try config.modelSpec()

        let (splits, preprocessor, _) = try config.dataOptions.load()
        config.inputShape = splits.train.exampleShape
        config.classNames = splits.train.classNames
        config.preprocessor = preprocessor

        var generator = RandomGenerator(seed: config.seed)
        let (network, summary) = try spec.build(inputShape: splits.train.exampleShape, classCount: splits.train.classCount,
                                                initializer: initializer, generator: &generator)
        let optimizer = try config.buildOptimizer(for: network)
        let trainer = Trainer(model: network, optimizer: optimizer, options: try config.trainerOptions(verbose: !quiet),
                              callbacks: config.makeCallbacks())

        if let tensorboard {
            trainer.callbacks.append(try TensorBoardLogger(directory: tensorboard, history: trainer.history))
        }
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
}
