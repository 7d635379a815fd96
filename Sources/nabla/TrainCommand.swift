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

    @Option(help: "Passes over the training set.")
    var epochs: Int = 10

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

    @Option(help: "The run folder: config, history and log are written there.")
    var out: String?

    @Flag(help: "Print only the final line.")
    var quiet = false

    func run() throws {
        do {
            try train()
        } catch let error as ValidationError {
            throw error
        } catch {
            // Errors from files, specs and options: one line, no usage dump.
            fflush(stdout)
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func train() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard lrDecay > 0 else { throw ValidationError("--lr-decay must be positive, got \(lrDecay)") }
        let initializer = try parseInitializer(`init`)
        let spec = try ModelSpec.parse(try modelText())
        let (splits, preprocessor, _) = try dataOptions.load()

        var generator = RandomGenerator(seed: dataOptions.seed)
        let (network, summary) = try spec.build(inputShape: splits.train.exampleShape, classCount: splits.train.classCount,
                                                initializer: initializer, generator: &generator)
        let optimizer = try makeOptimizer(self.optimizer, parameters: network.parameters(), learningRate: lr,
                                          momentum: momentum, weightDecay: weightDecay)
        var options = TrainerOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.sampleBatches = !fullBatch
        options.learningRate = lr
        options.schedule = lrDecay == 1 ? .constant : .multiplicative(decay: lrDecay)
        options.regularization = reg
        options.seed = dataOptions.seed
        options.verbose = !quiet

        var callbacks: [any TrainingCallback] = []
        if let metric = earlyStopping { callbacks.append(EarlyStopping(metric: metric, patience: patience)) }
        let trainer = Trainer(model: network, optimizer: optimizer, options: options, callbacks: callbacks)

        if !quiet {
            print("data: \(dataOptions.data): \(splits.train.count) train, \(splits.validation.count) validation, \(splits.test.count) test; examples \(splits.train.exampleShape), \(splits.train.classCount) classes")
            print("model: \(spec.source) (\(summary.reduce(0) { $0 + $1.parameters }) parameters)")
            print("optimizer: \(self.optimizer), lr \(lr)\(lrDecay != 1 ? ", decay \(lrDecay) per epoch" : ""), reg \(reg), batch \(fullBatch ? "full" : String(batchSize))")
        }
        let started = Date()
        let result = try trainer.fit(train: splits.train, validation: splits.validation)
        let seconds = Date().timeIntervalSince(started)

        var testAccuracy: Double?
        if splits.test.count > 0 {
            testAccuracy = Trainer.evaluate(network, on: splits.test).accuracy
            print(String(format: "test accuracy: %f (%d examples)", testAccuracy!, splits.test.count))
        }
        if !quiet { print(String(format: "trained %d epochs in %.1f s", result.epochsRun, seconds)) }

        if let out {
            try writeRun(to: out, spec: spec, summary: summary, preprocessor: preprocessor, trainer: trainer,
                         result: result, testAccuracy: testAccuracy)
            if !quiet { print("run written to \(out)") }
        }
        if case .diverged = result.stopReason { throw ExitCode(2) }
    }

    private func modelText() throws -> String {
        if model.hasSuffix(".json") {
            guard let text = try? String(contentsOfFile: model, encoding: .utf8) else {
                throw DataError(file: model, "cannot read the model file")
            }
            return text
        }
        return model
    }

    private func writeRun(to folder: String, spec: ModelSpec, summary: [LayerSummary], preprocessor: Preprocessor,
                          trainer: Trainer, result: TrainingResult, testAccuracy: Double?) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var config: [String: Any] = [
            "data": dataOptions.data, "labelColumn": dataOptions.labelColumn, "val": dataOptions.val,
            "test": dataOptions.test, "stratify": dataOptions.stratify, "seed": dataOptions.seed,
            "preprocess": dataOptions.preprocess, "scale": preprocessor.scale,
            "model": spec.source, "epochs": epochs, "batchSize": batchSize, "fullBatch": fullBatch,
            "optimizer": optimizer, "lr": lr, "lrDecay": lrDecay, "momentum": momentum, "reg": reg,
            "weightDecay": weightDecay, "init": `init` ?? "default",
            "inputShape": trainer.model.description,
        ]
        config["result"] = [
            "bestValidationAccuracy": result.bestValidationAccuracy ?? -1, "bestEpoch": result.bestEpoch ?? 0,
            "epochsRun": result.epochsRun, "testAccuracy": testAccuracy ?? -1,
            "stopReason": result.stopReason.map { "\($0)" } ?? "completed",
        ] as [String: Any]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try writeAtomically(json, to: folder + "/config.json")
        try writeAtomically(Data(trainer.history.epochCSV.utf8), to: folder + "/history.csv")
        try writeAtomically(Data(trainer.history.stepCSV.utf8), to: folder + "/steps.csv")
    }
}

/// Writes `data` to a temporary file beside `path`, then renames it over `path`.
func writeAtomically(_ data: Data, to path: String) throws {
    let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
    do {
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw DataError(file: path, "cannot be written: \(error.localizedDescription)")
    }
}
