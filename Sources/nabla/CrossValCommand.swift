import ArgumentParser
import Foundation
import Nabla

/// `nabla crossval`: k-fold cross-validation of a training recipe (the options of `train`).
struct CrossValCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossval",
        abstract: "Cross-validate a training recipe: one model per fold, then mean ± std of the folds' best validation accuracy.",
        discussion: """
        The test split is held out first, as train holds it out (the data set's own test files, or \
        --test of the training files); the rest is cut into \
        --folds folds (stratified with --stratify, seeded by --seed). Each fold trains a fresh \
        model on the other folds and validates on itself; --val is not used. Preprocessing is \
        fitted on each fold's training part. The std is the sample standard deviation (k - 1).

        With --out DIR: DIR/crossval.json (the options and every fold's result), DIR/folds.csv, \
        and each fold's best weights and history in DIR/fold-K/.

        Started by mpirun (a build with the MPI trait), the folds are spread over the ranks: fold K \
        trains on rank (K - 1) mod N, alone, so the results are those of one process. Rank 0 prints \
        its own folds' progress and every fold's result; each rank writes its folds' DIR/fold-K/ \
        (on several machines, --out must be a folder they share).

        Example:
          nabla crossval --folds 5 --data mnist-5k --model "linear(100), relu, linear(10)" --epochs 5
        """
    )

    @OptionGroup var training: TrainingOptionsGroup

    @Option(help: "The number of folds k (at least 2).")
    var folds: Int = 5

    @Option(help: "A folder for the results and each fold's best weights and history.")
    var out: String?

    @Option(help: "Also write TensorBoard event files, one folder per fold (DIR/fold-1, …); watch with tensorboard --logdir DIR.")
    var tensorboard: String?

    @Flag(help: "Print only each fold's result and the summary.")
    var quiet = false

    func run() throws {
        try reportingErrors(crossValidate)
    }

    private func crossValidate() throws {
        // No deadline: a rank that has trained its folds waits at the gathering for the others' (whole trainings).
        let job = try TrainingJob.join(timeout: .infinity)
        let ranks = job.communicator?.size ?? 1
        // Only rank 0 speaks; the others write nothing but their errors and their folds' folders.
        let say = { (text: String) in if job.writes { tell(text) } }
        var config = try training.makeRecipe()
        guard folds >= 2 else { throw CommandError("--folds must be at least 2, got \(folds)") }
        let spec = try config.modelSpec()

        let (data, heldOut, isImageBytes) = try config.data.crossValidationPool(seed: config.seed)
        guard folds <= data.count / 2 else {
            throw CommandError("--folds \(folds) is too many for \(data.count) examples (each fold's validation part needs at least 2)")
        }
        let scale = try config.data.scaleFactor(isImageBytes: isImageBytes, exampleShape: data.exampleShape)
        config.inputShape = data.exampleShape
        config.classNames = data.classNames

        if !quiet {
            say("data: \(config.data.source): \(data.count) examples in \(folds) folds\(config.data.stratify ? " (stratified)" : ""), \(heldOut); "
                + "examples \(data.exampleShape), \(data.classCount) classes\n")
            say("model: \(spec.source)\n")
            say("optimizer: \(config.optimizerLine), \(config.epochs) epochs\n")
            if ranks > 1 { say("cross-validation on \(ranks) ranks: fold K trains on rank (K - 1) mod \(ranks); the progress shown is rank 0's\n") }
        }
        if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }

        let stop = StopRequest()
        stopOnSignals(stop)
        defer { restoreSignals() }
        let result = try CrossValidation.run(
            data, folds: folds, stratified: config.data.stratify, seed: config.seed, preprocessing: config.data.preprocess, scale: scale,
            options: config.trainerOptions(verbose: false),
            makeModel: { _ in try config.makeModel().model },
            makeOptimizer: { try config.optimizer.make(for: $0.parameters()) },
            makeCallbacks: { _ in config.earlyStopping.map { [$0.make()] } ?? [] },
            foldWillBegin: { fold, trainer in
                if !quiet { say("\nfold \(fold) / \(folds)\n") }
                trainer.stopRequest = stop
                if !quiet, job.writes { trainer.callbacks.append(ProgressReporter(write: tell)) }
                if let tensorboard {
                    trainer.callbacks.append(try TensorBoardLogger(directory: tensorboard + "/fold-\(fold)", history: trainer.history))
                }
            },
            foldDidEnd: { result, trainer in
                if ranks == 1 { say(foldLine(result)) }
                if let out {
                    let folder = out + "/fold-\(result.fold)"
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                    try trainer.model.save(to: folder + "/best.safetensors", metadata: ["model": spec.source, "fold": String(result.fold)])
                    try AtomicFile.write(Data(trainer.history.epochCSV.utf8), to: folder + "/history.csv")
                }
            },
            communicator: job.communicator)

        if ranks > 1 {
            if !quiet { say("\n") }
            for fold in result.folds { say(foldLine(fold)) }
        }
        say("cross-validation accuracy: \(result.summary) (mean ± std over \(result.folds.count) folds)\n")
        if let out, job.writes {
            try writeResults(result, config: config, to: out)
            say("results written to \(out)\n")
        }
        job.finish()
        if stop.isRequested || result.folds.count < folds {
            say("interrupted after \(result.folds.count) of \(folds) folds\n")
            throw ExitCode(130)
        }
        if result.folds.contains(where: \.diverged) { throw ExitCode(2) }
    }

    private func foldLine(_ result: FoldResult) -> String {
        var line = "fold \(result.fold) / \(folds): best validation accuracy \(Trainer.format(result.bestValidationAccuracy))"
        if let epoch = result.bestEpoch { line += " (epoch \(epoch))" }
        line += ", \(result.trainCount) train, \(result.validationCount) validation"
        if let stopped = result.stopped { line += "; stopped: \(stopped)" }
        return line + "\n"
    }

    private func writeResults(_ result: CrossValidationResult, config: TrainingRecipe, to folder: String) throws {
        struct Document: Encodable {
            var folds: Int
            var config: TrainingRecipe
            var meanAccuracy: Double
            var standardDeviation: Double
            var results: [FoldResult]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let document = Document(folds: folds, config: config, meanAccuracy: result.meanAccuracy,
                                standardDeviation: result.standardDeviation, results: result.folds)
        try AtomicFile.write(encoder.encode(document), to: folder + "/crossval.json")
        var csv = "fold,train,validation,best_val_acc,best_epoch,epochs\n"
        for f in result.folds {
            csv += "\(f.fold),\(f.trainCount),\(f.validationCount),\(f.bestValidationAccuracy),\(f.bestEpoch.map(String.init) ?? ""),\(f.epochsRun)\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: folder + "/folds.csv")
    }
}

/// Writes to standard output at once (lines appear as they happen, even through a pipe).
private func tell(_ text: String) { ProgressReporter.standardOutput(text) }
