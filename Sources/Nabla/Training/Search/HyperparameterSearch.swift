import Dispatch
import Foundation

/// What to search: the space, how to draw from it, and the coarse-to-fine stages.
public struct SearchPlan {
    /// How trial settings are chosen.
    public enum Strategy: Equatable {
        /// Independent random draws (log-uniform for log ranges): the lectures' recommendation.
        case random
        /// Every combination of `points` values per range.
        case grid(points: Int)
    }

    /// One stage: how many trials, of how many epochs each.
    public struct Stage: Equatable {
        public var epochs: Int
        public var trials: Int
        public init(epochs: Int, trials: Int) { self.epochs = epochs; self.trials = trials }
    }

    public var space: SearchSpace
    public var strategy: Strategy
    public var stages: [Stage]
    public var seed: UInt64
    /// At most how many of a stage's best trials the next stage's ranges are narrowed around
    /// (the best quarter of the finished trials, at least one).
    public var keepBest: Int

    public init(space: SearchSpace, strategy: Strategy = .random, stages: [Stage], seed: UInt64 = 0, keepBest: Int = 5) {
        self.space = space; self.strategy = strategy; self.stages = stages; self.seed = seed; self.keepBest = keepBest
    }

    /// Parses a list of stages such as `"5:100, 20:20"` (epochs:trials, coarse to fine).
    public static func parseStages(_ text: String) throws -> [Stage] {
        let stages = try text.split(separator: ",").map { part -> Stage in
            let fields = part.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, let e = Int(fields[0]), let t = Int(fields[1]), e >= 1, t >= 1 else {
                throw SearchError("stage '\(part.trimmingCharacters(in: .whitespaces))' is not EPOCHS:TRIALS with both ≥ 1 (e.g. \"5:100, 20:20\")")
            }
            return Stage(epochs: e, trials: t)
        }
        guard !stages.isEmpty else { throw SearchError("the list of stages is empty") }
        return stages
    }

    /// The settings of stage `index`'s trials, given the records of the stage before (for narrowing).
    /// Deterministic: the same plan and earlier results always give the same settings.
    public func settings(forStage index: Int, previous: [TrialRecord]) -> (space: SearchSpace, points: [[String: Double]]) {
        var stageSpace = space
        if index > 0 {
            let finished = previous.filter { $0.status == "ok" && $0.validationAccuracy != nil }
            // Ties go to the earlier trial: the file's order depends on which trial finished first.
            let best = finished.sorted { ($0.validationAccuracy!, -$0.trial) > ($1.validationAccuracy!, -$1.trial) }
                .prefix(Swift.max(1, Swift.min(keepBest, finished.count / 4)))
            stageSpace = space.narrowed(around: best.map(\.settings))
        }
        switch strategy {
        case .grid(let points):
            return (stageSpace, stageSpace.grid(points: points))
        case .random:
            var g = RandomGenerator(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
            return (stageSpace, (0..<stages[index].trials).map { _ in stageSpace.sample(&g) })
        }
    }
}

/// What a trial is asked to do.
public struct TrialRequest: Codable, Equatable {
    /// The trial's number within the whole search, from 0.
    public var trial: Int
    /// The coarse-to-fine stage, from 0.
    public var stage: Int
    public var epochs: Int
    /// The values to train with, by parameter name.
    public var settings: [String: Double]

    public init(trial: Int, stage: Int, epochs: Int, settings: [String: Double]) {
        self.trial = trial; self.stage = stage; self.epochs = epochs; self.settings = settings
    }
}

/// Runs a stage's trials somewhere else (e.g. on the ranks of an MPI job), calling `finished`
/// once for each trial as its record arrives; `HyperparameterSearch` records and reports them.
public typealias TrialDispatcher = (_ requests: [TrialRequest], _ finished: (TrialRecord) throws -> Void) throws -> Void

/// Runs a search: stage by stage, trials in parallel on `workers` at a time, each result appended
/// to the results file as soon as it is known; trials already in the file are not run again.
public final class HyperparameterSearch {
    public let plan: SearchPlan
    public let results: SearchResults
    public let workers: Int
    /// Runs one trial (for `nabla search`, a `nabla train` process) and reports how it went.
    public let runTrial: (TrialRequest) throws -> TrialRecord
    /// Where progress lines go.
    public var log: (String) -> Void = { print($0); fflush(stdout) }
    /// When set, trials run through it instead of on `workers` local threads: the stages, the
    /// settings and the results file stay the same, so the results do too.
    public var dispatcher: TrialDispatcher?

    public init(plan: SearchPlan, results: SearchResults, workers: Int = 1,
                runTrial: @escaping (TrialRequest) throws -> TrialRecord) {
        self.plan = plan
        self.results = results
        self.workers = Swift.max(1, workers)
        self.runTrial = runTrial
    }

    /// Runs every stage; returns all records (earlier ones included).
    public func run() throws -> [TrialRecord] {
        try results.repair()
        var records = try results.load()
        if !records.isEmpty { log("resuming: \(records.count) trials already recorded in \(results.path)") }
        var firstTrial = 0
        for (index, stage) in plan.stages.enumerated() {
            let previous = records.filter { $0.stage == index - 1 }
            let (space, points) = plan.settings(forStage: index, previous: previous)
            log("stage \(index + 1) / \(plan.stages.count): \(points.count) trials of \(stage.epochs) epochs in \(space)")
            let done = Set(records.filter { $0.stage == index }.map(\.trial))
            let requests = points.enumerated().map { TrialRequest(trial: firstTrial + $0.offset, stage: index, epochs: stage.epochs, settings: $0.element) }
                .filter { !done.contains($0.trial) }
            records += try runParallel(requests, total: firstTrial + points.count)
            firstTrial += points.count
        }
        return records
    }

    /// The shared position of the worker threads: guarded by `lock`.
    private final class Progress: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var finished: [TrialRecord] = []
        var failure: Error?
    }

    private func runParallel(_ requests: [TrialRequest], total: Int) throws -> [TrialRecord] {
        if let dispatcher {
            var finished: [TrialRecord] = []
            try dispatcher(requests) { record in
                try results.append(record)
                finished.append(record)
                report(record, total: total)
            }
            return finished.sorted { $0.trial < $1.trial }
        }
        let progress = Progress()
        let group = DispatchGroup()
        for _ in 0..<Swift.min(workers, requests.count) {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while let request = take(progress, requests) {
                    do {
                        let record = try runTrial(request)
                        try progress.lock.withLock {
                            try results.append(record)
                            progress.finished.append(record)
                            report(record, total: total)
                        }
                    } catch {
                        progress.lock.withLock { progress.failure = progress.failure ?? error }
                    }
                }
            }
        }
        group.wait()
        if let failure = progress.failure { throw failure }
        return progress.finished.sorted { $0.trial < $1.trial }
    }

    /// The next request to run, or nil when all are taken or one has failed.
    private func take(_ progress: Progress, _ requests: [TrialRequest]) -> TrialRequest? {
        progress.lock.withLock {
            guard progress.failure == nil, progress.next < requests.count else { return nil }
            progress.next += 1
            return requests[progress.next - 1]
        }
    }

    private func report(_ record: TrialRecord, total: Int) {
        let accuracy = record.validationAccuracy.map { String(format: "%f", $0) } ?? "none"
        let settings = plan.space.parameters.compactMap { p in record.settings[p.name].map { "\(p.name) \(SearchSpace.short($0))" } }
        log("trial \(record.trial + 1) / \(total): val_acc \(accuracy), \(settings.joined(separator: ", "))"
            + (record.status == "ok" ? "" : " [\(record.status)\(record.message.map { ": \($0)" } ?? "")]"))
    }
}
