import ArgumentParser
import Foundation
import Nabla

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search hyperparameters: random or grid, coarse to fine, in parallel.",
        discussion: """
        Each trial is a `nabla train` run in its own folder under --out; results are appended to \
        --out/results.jsonl as trials finish, so `--resume` continues an interrupted search. \
        Searched names lr, reg, momentum, lr-decay, batch-size and weight-decay set those options; \
        any other name fills {name} in the model, e.g. --model "linear({hidden}), relu, linear(10)". \
        At the end, search.svg / search.png in --out plot validation accuracy against each parameter.

        Built with the MPI trait (make mpi) and started under mpirun, rank 0 coordinates and the \
        other ranks run the trials (add --enable-recovery, so that a lost worker's trial is rerun \
        on another rank); see the README for clusters (hostfile, Slurm).

        Example:
          nabla search --space "lr=log(1e-4,1e-1), reg=log(1e-5,1e-1), hidden=choice(50,100,200)" \\
                       --model "linear({hidden}), relu, linear(10)" --stages "2:20, 5:5" --workers 2 --out runs/search
        """
    )

    @Option(help: "The search space: name=log(a,b) | uniform(a,b) | int(a,b) | choice(v1,v2,…), comma-separated.")
    var space: String

    @Option(help: "Also write TensorBoard event files, one folder per trial (DIR/trial-0000, …), to compare trials with tensorboard --logdir DIR.")
    var tensorboard: String?

    @Option(help: "random or grid.")
    var strategy: String = "random"

    @Option(help: "Trials (random strategy; ignored with --stages).")
    var trials: Int = 10

    @Option(help: "Values per range for the grid strategy.")
    var points: Int = 3


    @Option(help: "Coarse to fine: EPOCHS:TRIALS per stage, e.g. \"5:100, 20:20\"; later stages narrow the ranges around the best results.")
    var stages: String?

    @Option(help: "Trials run at once, each a separate process.")
    var workers: Int = 1

    @Option(help: "The search folder (results.jsonl and one run folder per trial).")
    var out: String = "runs/search"

    @Flag(help: "Continue the search in --out without repeating finished trials.")
    var resume = false

    /// The training options of every trial (as `nabla train` takes them; searched ones are
    /// overridden per trial, `{name}` in --model is replaced by a searched value). --epochs is the
    /// epochs per trial (ignored with --stages); --seed also seeds the search's draws.
    @OptionGroup var training: TrainingOptionsGroup

    /// Epochs per trial without --stages: fewer than a full training's, as a search runs many.
    static let defaultEpochs = 5
    var epochs: Int { training.epochs ?? SearchCommand.defaultEpochs }
    var seed: UInt64 { training.dataOptions.seed ?? TrainingRecipe().seed }
    var model: String { training.modelOptions.model ?? TrainingRecipe().model }

    /// Searched names that map onto `nabla train` options.
    static let trainOptions = ["lr": "--lr", "reg": "--reg", "momentum": "--momentum", "lr-decay": "--lr-decay",
                               "batch-size": "--batch-size", "weight-decay": "--weight-decay"]

    func run() throws {
        // search() throws neither validation errors nor exit codes, so every error is one line.
        try reportingErrors(search)
    }

    @Option(help: "Under mpirun: seconds a worker may stay silent while it trains before it is declared lost and its trial goes to another rank.")
    var heartbeatTimeout: Double = 30

    /// Whether an MPI launcher started this process: Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE,
    /// PMIx launchers (mpirun, `srun --mpi=pmix`) PMIX_RANK.
    static var startedByMPILauncher: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    private func search() throws {
        let plan = try makePlan()
        if SearchCommand.startedByMPILauncher {
            #if MPI
            if try searchOnCluster(plan) { return }
            #else
            if let size = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"].flatMap({ Int($0) }), size > 1 {
                throw SearchError("started under mpirun with \(size) ranks, but this nabla was built without MPI: build it with `make mpi` (swift build --traits MPI)")
            }
            #endif
        }
        let results = try prepareFolder()
        let blasThreads = max(1, ProcessInfo.processInfo.activeProcessorCount / workers)
        let search = HyperparameterSearch(plan: plan, results: results, workers: workers) { request in
            try runTrial(request, blasThreads: blasThreads)
        }
        try report(try search.run(), plan: plan)
    }

    /// The plan of the options, checked.
    func makePlan() throws -> SearchPlan {
        let space = try SearchSpace.parse(self.space)
        for (name, _) in space.parameters where SearchCommand.trainOptions[name] == nil && !model.contains("{\(name)}") {
            throw SearchError("\(name) is neither a training option (\(SearchCommand.trainOptions.keys.sorted().joined(separator: ", "))) nor used as {\(name)} in --model")
        }
        guard let strategy = strategyNamed(self.strategy) else {
            throw SearchError("unknown --strategy '\(self.strategy)'; use random or grid")
        }
        guard workers >= 1 else { throw SearchError("--workers must be at least 1") }
        guard heartbeatTimeout > 0 else { throw SearchError("--heartbeat-timeout must be positive") }
        guard stages != nil || (trials >= 1 && epochs >= 1) else {
            throw SearchError("--trials and --epochs must be at least 1, got \(trials) and \(epochs)")
        }
        let stageList: [SearchPlan.Stage]
        do {
            stageList = try stages.map(SearchPlan.parseStages) ?? [.init(epochs: epochs, trials: trials)]
        } catch let error as SearchError {
            throw SearchError("--stages: \(error)")   // the library speaks of stages; the flag is named here
        }
        return SearchPlan(space: space, strategy: strategy, stages: stageList, seed: seed)
    }

    /// The results file in --out, which must be new unless --resume.
    func prepareFolder() throws -> SearchResults {
        let results = SearchResults(path: out + "/results.jsonl")
        if FileManager.default.fileExists(atPath: results.path) && !resume {
            throw SearchError("\(out) already holds a search; add --resume to continue it, or choose another --out")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        return results
    }

    /// The ranked table, the plot, the edge warnings and the best settings as a `nabla train` command.
    func report(_ records: [TrialRecord], plan: SearchPlan) throws {
        let space = plan.space
        print("\nresults, best first:")
        print(rankedTable(records, parameterOrder: space.parameters.map(\.name)))
        let plot = try SearchPlot.write(records, space: space, to: out)
        print("plot written to \(plot.joined(separator: ", "))")
        guard let best = records.filter({ $0.validationAccuracy != nil }).max(by: { $0.validationAccuracy! < $1.validationAccuracy! }) else {
            print("no trial finished an epoch")
            return
        }
        for warning in edgeWarnings(best: best, space: space) { print(warning) }
        print("\nbest settings (val_acc \(String(format: "%f", best.validationAccuracy!))):")
        // The best trial's own epochs: in a coarse-to-fine search it may come from any stage.
        let epochs = plan.stages.indices.contains(best.stage) ? plan.stages[best.stage].epochs : plan.stages.last!.epochs
        print("nabla train " + (try trainArguments(settings: best.settings, epochs: epochs)).map(quoted).joined(separator: " "))
    }

    private func strategyNamed(_ name: String) -> SearchPlan.Strategy? {
        switch name {
        case "random": return .random
        case "grid": return .grid(points: points)
        default: return nil
        }
    }

    /// The `nabla train` arguments of a trial.
    func trainArguments(settings: [String: Double], epochs: Int) throws -> [String] {
        let recipe = try training.makeRecipe(validated: false)
        var model = recipe.model
        var values: [String: String] = [
            "--lr": "\(recipe.optimizer.learningRate)", "--reg": "\(recipe.regularization)", "--batch-size": "\(recipe.batchSize)",
            "--momentum": "\(recipe.optimizer.momentum)",
        ]
        if let weightDecay = recipe.optimizer.weightDecay { values["--weight-decay"] = "\(weightDecay)" }
        if case .multiplicative(let decay) = recipe.schedule { values["--lr-decay"] = "\(decay)" }
        for (name, value) in settings {
            let text = value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : "\(value)"
            if let flag = SearchCommand.trainOptions[name] { values[flag] = text } else { model = model.replacingOccurrences(of: "{\(name)}", with: text) }
        }
        // `--flag=value`, so that negative numbers are not taken for options.
        let data = recipe.data
        var args = ["--data=\(data.withAbsolutePaths.source)", "--label-column=\(data.labelColumn)", "--preprocess=\(data.preprocess.rawValue)",
                    "--scale=\(data.scale)", "--val=\(data.validation)", "--seed=\(recipe.seed)",
                    "--model=\(model)", "--optimizer=\(recipe.optimizer.kind.rawValue)", "--epochs=\(epochs)"]
        for (flag, value) in values.sorted(by: { $0.key < $1.key }) { args.append("\(flag)=\(value)") }
        if let labels = data.withAbsolutePaths.labels { args.append("--labels=\(labels)") }
        if let test = data.test { args.append("--test=\(test)") }
        if let splitSeed = data.splitSeed { args.append("--split-seed=\(splitSeed)") }
        if let imageSize = data.imageSize { args.append("--image-size=\(imageSize)") }
        if data.skipBad { args.append("--skip-bad") }
        if data.layout != .nchw { args.append("--layout=\(data.layout.rawValue)") }
        if data.stratify { args.append("--stratify") }
        if recipe.fullBatch { args.append("--full-batch") }
        if !recipe.augmentation.isIdentity { args.append("--augment=\(recipe.augmentation.text)") }
        if let initializer = recipe.initializer { args.append("--init=\(initializer.text)") }
        args += recipe.trainingAidArguments
        if let stopping = recipe.earlyStopping { args += ["--early-stopping=\(stopping.metric)", "--patience=\(stopping.patience)"] }
        return args
    }

    /// Runs one trial as a `nabla train` process in --out/trial-NNNN and reads its history;
    /// `whileRunning` is called with the process id every 0.1 s until it ends (MPI heartbeats).
    func runTrial(_ request: TrialRequest, blasThreads: Int, whileRunning: (pid_t) -> Void = { _ in }) throws -> TrialRecord {
        let folder = out + String(format: "/trial-%04d", request.trial)
        try? FileManager.default.removeItem(atPath: folder)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["train"] + (try trainArguments(settings: request.settings, epochs: request.epochs)) + ["--out", folder, "--quiet"]
            + (tensorboard.map { ["--tensorboard", $0 + String(format: "/trial-%04d", request.trial)] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = String(blasThreads)
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let started = Date()
        try process.run()
        // Read standard error on another thread, so that this one can send heartbeats meanwhile.
        let reader = StandardErrorReader(errors.fileHandleForReading)
        while process.isRunning {
            whileRunning(process.processIdentifier)
            usleep(100_000)
        }
        process.waitUntilExit()
        let stderr = reader.wait()
        let seconds = Date().timeIntervalSince(started)

        let history = (try? String(contentsOfFile: folder + "/history.csv", encoding: .utf8)) ?? ""
        let rows = history.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let accuracies = rows.compactMap { $0.count > 3 ? Double($0[3]) : nil }
        let status: String, message: String?
        switch process.terminationStatus {
        case 0: (status, message) = ("ok", nil)
        case 2: (status, message) = ("diverged", "loss exploded: learning rate too high")
        default:
            status = "failed"
            message = String(decoding: stderr, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "exit code \(process.terminationStatus)"
        }
        return TrialRecord(trial: request.trial, stage: request.stage, settings: request.settings,
                           validationAccuracy: accuracies.max(), epochsRun: rows.count, seconds: seconds, status: status, message: message)
    }
}

private func quoted(_ s: String) -> String {
    guard let eq = s.firstIndex(of: "="), s.contains(where: { " (),{}\"'".contains($0) }) else { return s }
    return String(s[...eq]) + "\"" + s[s.index(after: eq)...] + "\""
}

/// Reads a pipe to its end on a thread of its own.
private final class StandardErrorReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Everything read, once the writer has closed the pipe.
    func wait() -> Data {
        done.wait()
        return data
    }
}
