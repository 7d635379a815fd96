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

    @Option(parsing: .unconditional,
            help: "Under mpirun: seconds a rank waits for the others at a reduction before the job ends with an error naming the silent rank. (default: 20)")
    var commTimeout: Double = 20

    @Flag(help: "Print only the final lines.")
    var quiet = false

    @Flag(help: "Start anew in an --out folder that holds a run, keeping the old one as DIR.old-TIME.")
    var force = false

    func run() throws {
        try reportingErrors(train)
    }

    private func train() throws {
        guard commTimeout.isFinite, commTimeout > 0 else { throw CommandError("--comm-timeout: must be a positive number of seconds, got \(commTimeout)") }
        let job = try TrainingJob.join(timeout: commTimeout)
        let quiet = self.quiet || !job.writes
        var config: TrainingRecipe
        if let resume {
            // A resumed run keeps its own recipe; only the number of epochs may grow.
            if let other = training.given.first(where: { $0 != "--epochs" && $0 != "--checkpoint-every" }) {
                throw CommandError("\(other) cannot change a resumed run (it keeps the settings in \(RunFolder.configPath(resume))); "
                                   + "only --epochs and --checkpoint-every can be given with --resume")
            }
            guard out == nil else { throw CommandError("--out cannot be given with --resume: the run stays in \(resume)") }
            config = try training.makeRecipe(base: RunFolder.readConfig(resume))
            try RunFolderSafety.checkResumable(resume)
        } else {
            config = try training.makeRecipe()
            config.data = config.data.withAbsolutePaths
        }
        // Under mpirun only rank 0 writes; the others read a resumed run's checkpoint.
        let folder = job.writes ? resume ?? out : nil
        let spec = try config.modelSpec()

        let splits = try config.loadData()
        let (network, summary) = try config.makeModel()
        // A network of convolutions runs its products on one OpenBLAS thread (see BLASThreads),
        // unless OPENBLAS_NUM_THREADS says otherwise: a Fashion-MNIST epoch of the shipped recipe
        // took 48.6 s with two threads, 37.1 s with one.
        if network.hasConvolution, ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil { BLASThreads.count = 1 }
        // The progress lines go to the terminal and the log, through a reporter of our own.
        let trainer = try config.makeTrainer(model: network, verbose: false)
        trainer.communicator = job.communicator

        try trainer.checkOptions(train: splits.train, validation: splits.validation)
        // Everything is checked: only now is anything written.
        var log: FileHandle? = nil
        var keptAs: String? = nil
        var lock: FolderLock? = nil
        defer { lock?.release() }
        if let folder {
            // A second writer fails at once, with or without --force, before anything is changed.
            let other = FolderLock.heldByAnother(folder)
            if other.held { throw CommandError("\(folder) is being written by another nabla (pid \(other.pid.map(String.init) ?? "unknown")); wait for it or stop it") }
        }
        if let out, resume == nil, job.writes { keptAs = try RunFolderSafety.prepareNewRun(out, force: force) }
        if let folder {
            lock = try FolderLock(folder: folder)
            _ = try AtomicFile.removeStaleTemporaryFiles(in: folder)   // left by a kill during a write
        }
        if let tensorboard, job.writes {
            trainer.callbacks.append(try TensorBoardLogger(directory: tensorboard, history: trainer.history))
        }
        if let folder {
            try RunFolder.writeConfig(config, to: folder)
            let best = BestModel(file: folder + "/best.safetensors")
            best.metadata = ["model": spec.source]
            // (Looked up among the recipe's callbacks: `callback(_:)` would settle the standard ones too early.)
            trainer.callbacks.lazy.compactMap { $0 as? TargetAccuracy }.first?.file = folder + "/time_to_accuracy.json"
            trainer.callbacks += [best, Checkpointer(folder: folder, every: config.checkpointEvery, metadata: ["model": spec.source]), RunRecorder(folder: folder)]
            let logPath = folder + "/train.log"
            if resume == nil || !FileManager.default.fileExists(atPath: logPath) {
                FileManager.default.createFile(atPath: logPath, contents: nil)
            }
            log = FileHandle(forWritingAtPath: logPath)
            _ = try? log?.seekToEnd()
        }
        let say = { (text: String) in
            guard job.writes else { return }
            ProgressReporter.standardOutput(text)
            if !text.hasPrefix("\r") { log?.write(Data(text.utf8)) }
        }
        if !quiet { trainer.callbacks.append(ProgressReporter(write: say)) }

        if let keptAs { say("the run that was in \(out!) is kept as \(keptAs)\n") }
        if let resume {
            try trainer.resume(from: resume + "/checkpoint.safetensors")
            guard trainer.startEpoch < config.epochs else {
                throw TrainingError("\(resume) has already run \(trainer.startEpoch) of \(config.epochs) epochs; give a larger --epochs to continue")
            }
            let within = trainer.stepsDoneInEpoch
            say(within > 0 ? "resuming \(resume) in epoch \(trainer.startEpoch + 1), after its step \(within)\n"
                           : "resuming \(resume) after epoch \(trainer.startEpoch)\n")
        }
        if !quiet {
            say("data: \(config.data.source): \(splits.train.count) train, \(splits.validation.count) validation, \(splits.test.count) test; examples "
                + "\(splits.train.exampleShape), \(splits.train.classCount) classes\n")
            for line in config.splits?.lines ?? [] { say(line + "\n") }
            say("model: \(spec.source) (\(summary.filter { $0.depth == 0 }.reduce(0) { $0 + $1.parameters }) parameters)\n")
            say("optimizer: \(config.optimizerLine)\n")
        }

        // Ctrl-C finishes the current step, then the run stops (its last checkpoint is intact).
        if let communicator = job.communicator {
            say("data-parallel: \(communicator.size) ranks share each batch of \(config.batchSize)\n")
        }
        stopOnSignals(trainer.stopRequest)
        let started = Date()
        let result = try trainer.fit(train: splits.train, validation: splits.validation)
        let seconds = Date().timeIntervalSince(started)
        restoreSignals()

        if splits.test.count > 0, trainer.callback(BestModel.self)?.best == nil {
            say("no test accuracy: no epoch finished with weights worth keeping\n")
        } else if splits.test.count > 0 {
            // Under mpirun the ranks share the test set too.
            let testAccuracy = try job.communicator.map { try Trainer.evaluate(network, on: splits.test, communicator: $0).accuracy }
                ?? Trainer.evaluate(network, on: splits.test).accuracy
            say(String(format: "test accuracy: %f (%d examples)\n", testAccuracy, splits.test.count))
        }
        if !quiet { say(String(format: "trained %d epochs in %.1f s\n", result.epochsRun - trainer.startEpoch, seconds)) }
        if let target = trainer.callback(TargetAccuracy.self) {
            // DAWNBench's measure: the training time (steps and evaluations) until the target was first met.
            say(target.reached.map { String(format: "time to %g validation accuracy: %.1f s (epoch %d)\n", target.target, $0.seconds, $0.epoch) }
                ?? String(format: "target validation accuracy %g not reached in %d epochs\n", target.target, result.epochsRun))
        }
        if job.communicator != nil, !quiet {
            let waits = trainer.history.metric("comm_ms")
            say(String(format: "rank 0 waited %.2f ms per step on the other ranks\n", waits.reduce(0, +) / Double(max(waits.count, 1))))
        }
        if let folder, !quiet { say("run written to \(folder)\n") }
        job.finish()
        switch result.stopReason {
        case .diverged: throw ExitCode(2)
        case .interrupted:
            say(folder.map { "resume with: nabla train --resume \($0)\n" } ?? "no run folder (--out) was given, so the run cannot be resumed\n")
            throw ExitCode(130)
        default: break
        }
    }
}
