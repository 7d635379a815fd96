import Foundation
import Testing
@testable import Nabla

@Suite struct SearchSpaceTests {
    let space = try! SearchSpace.parse("lr=log(1e-6,1e-3), reg=log(1e-5,1e5), hidden=choice(50,100,200), dropout=uniform(0,0.5), depth=int(1,3)")

    @Test func parsesEveryKindOfRange() {
        #expect(space.parameters.map(\.name) == ["lr", "reg", "hidden", "dropout", "depth"])
        #expect(space.parameters[0].range == .logUniform(1e-6, 1e-3))
        #expect(space.parameters[2].range == .choice([50, 100, 200]))
        #expect(space.parameters[4].range == .integer(1, 3))
    }

    @Test func badSpacesSayWhy() {
        func error(_ text: String) -> String {
            do { _ = try SearchSpace.parse(text); return "no error" } catch { return "\(error)" }
        }
        #expect(error("lr=log(0,1)") == "lr: log(a, b) needs a > 0, got 0")
        #expect(error("lr=normal(0,1)").hasPrefix("lr: unknown range 'normal'"))
        #expect(error("lr=log(1e-3)") == "lr: log(…) takes two numbers, got 1")
        #expect(error("lr") == "'lr' is not name=range (e.g. lr=log(1e-6,1e-3))")
        #expect(error("lr=log(1,1)") == "lr: the range log(1, 1) is empty")
        #expect(error("a=uniform(0,1), a=uniform(0,2)") == "a is given twice")
    }

    @Test func logUniformSamplesSpreadEvenlyOverDecades() {
        var g = RandomGenerator(seed: 1)
        let lrs = (0..<3000).map { _ in space.sample(&g)["lr"]! }
        #expect(lrs.allSatisfy { $0 >= 1e-6 && $0 <= 1e-3 })
        // Each of the three decades gets about a third.
        for decade in [(1e-6, 1e-5), (1e-5, 1e-4), (1e-4, 1e-3)] {
            let share = Double(lrs.filter { $0 >= decade.0 && $0 < decade.1 }.count) / 3000
            #expect(abs(share - 1.0 / 3) < 0.04)
        }
        let depths = Set((0..<200).map { _ in space.sample(&g)["depth"]! })
        #expect(depths == [1, 2, 3])
    }

    @Test func gridCoversEveryCombination() throws {
        let s = try SearchSpace.parse("lr=log(1e-4,1e-2), reg=uniform(0,1)")
        let grid = s.grid(points: 3)
        #expect(grid.count == 9)
        #expect(Set(grid.map { $0["lr"]! }).map { ($0 * 1e6).rounded() / 1e6 }.sorted() == [1e-4, 1e-3, 1e-2])
        #expect(Set(grid.map { $0["reg"]! }).sorted() == [0, 0.5, 1])
    }

    @Test func narrowingStaysAroundTheBestAndInsideTheRange() throws {
        let s = try SearchSpace.parse("lr=log(1e-6,1e-2), reg=uniform(0,1)")
        let narrow = s.narrowed(around: [["lr": 1e-4, "reg": 0.2], ["lr": 1e-3, "reg": 0.4]])
        guard case let .logUniform(a, b) = narrow.parameters[0].range, case let .uniform(c, d) = narrow.parameters[1].range else {
            Issue.record("ranges changed kind"); return
        }
        #expect(a < 1e-4 && a > 1e-6 && b > 1e-3 && b < 1e-2)
        #expect(c < 0.2 && c >= 0 && d > 0.4 && d <= 1)
    }

    @Test func edgesAreFlagged() throws {
        #expect(space.isNearEdge("lr", 1.2e-6))
        #expect(space.isNearEdge("lr", 0.9e-3))
        #expect(!space.isNearEdge("lr", 3e-5))
        #expect(space.isNearEdge("dropout", 0.49))
        #expect(!space.isNearEdge("hidden", 200))
        let best = TrialRecord(trial: 0, stage: 0, settings: ["lr": 0.95e-3, "reg": 1], validationAccuracy: 0.5, epochsRun: 1, seconds: 1, status: "ok")
        let warnings = edgeWarnings(best: best, space: space)
        #expect(warnings.count == 1)
        #expect(warnings[0].contains("the best lr (0.00095) lies near the edge of its range"))
        #expect(warnings[0].contains("widen the range"))
    }
}

@Suite struct HyperparameterSearchTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("nabla-search-\(UUID().uuidString).jsonl").path
    }

    /// A stand-in for training: accuracy peaks at lr = 1e-4 and falls with reg.
    static func fakeTrial(_ r: TrialRequest) -> TrialRecord {
        let lr = r.settings["lr"]!, reg = r.settings["reg"] ?? 0
        if lr > 5e-3 {
            return TrialRecord(trial: r.trial, stage: r.stage, settings: r.settings, validationAccuracy: nil, epochsRun: 0,
                               seconds: 0, status: "diverged", message: "loss is nan")
        }
        let accuracy = 0.9 - 0.1 * abs(log10(lr) + 4) - 0.01 * reg
        return TrialRecord(trial: r.trial, stage: r.stage, settings: r.settings, validationAccuracy: accuracy,
                           epochsRun: r.epochs, seconds: 0, status: "ok")
    }

    let plan = SearchPlan(space: try! SearchSpace.parse("lr=log(1e-6,1e-2), reg=uniform(0,1)"),
                          stages: [.init(epochs: 2, trials: 12), .init(epochs: 5, trials: 4)], seed: 3)

    @Test func stagesNarrowAndResultsAreAppendedAsTheyFinish() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let search = HyperparameterSearch(plan: plan, results: SearchResults(path: path), runTrial: Self.fakeTrial)
        search.log = { _ in }
        let records = try search.run()
        #expect(records.count == 16)
        #expect(try SearchResults(path: path).load() == records)
        #expect(records.filter { $0.stage == 1 }.allSatisfy { $0.epochsRun == 5 })
        // The fine stage searches a narrower lr range than the coarse one.
        let coarse = records.filter { $0.stage == 0 }.map { log10($0.settings["lr"]!) }
        let fine = records.filter { $0.stage == 1 }.map { log10($0.settings["lr"]!) }
        #expect(fine.max()! - fine.min()! < coarse.max()! - coarse.min()!)
        let table = rankedTable(records, parameterOrder: ["lr", "reg"])
        #expect(table.split(separator: "\n").first!.hasPrefix("val_acc: 0."))
        #expect(table.contains(", (0 / 16)"))
    }

    @Test func parallelWorkersGiveTheSameResultsAsSerial() throws {
        let (a, b) = (temporaryPath(), temporaryPath())
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        let serial = HyperparameterSearch(plan: plan, results: SearchResults(path: a), workers: 1, runTrial: Self.fakeTrial)
        let parallel = HyperparameterSearch(plan: plan, results: SearchResults(path: b), workers: 3, runTrial: Self.fakeTrial)
        serial.log = { _ in }
        parallel.log = { _ in }
        #expect(try serial.run() == parallel.run())
    }

    @Test func resumingSkipsFinishedTrials() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let full = HyperparameterSearch(plan: plan, results: SearchResults(path: temporaryPath()), runTrial: Self.fakeTrial)
        full.log = { _ in }
        let expected = try full.run()

        // An interrupted search: 5 trials recorded, and a last line cut short by the crash.
        let results = SearchResults(path: path)
        for r in expected.prefix(5) { try results.append(r) }
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data("{\"trial\": 5, \"sta".utf8))
        handle.closeFile()

        let ran = Box<[Int]>([])
        let resumed = HyperparameterSearch(plan: plan, results: results) { r in
            ran.value.append(r.trial)
            return Self.fakeTrial(r)
        }
        resumed.log = { _ in }
        let records = try resumed.run()
        #expect(!ran.value.contains { $0 < 5 })
        #expect(records.sorted { $0.trial < $1.trial } == expected)
        #expect(try results.load().sorted { $0.trial < $1.trial } == expected)
    }

    @Test func aTornLastLineIsIgnoredWhenLoading() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = TrialRecord(trial: 0, stage: 0, settings: ["lr": 1e-3], validationAccuracy: 0.5, epochsRun: 1, seconds: 1, status: "ok")
        try SearchResults(path: path).append(r)
        try (try String(contentsOfFile: path, encoding: .utf8) + "{\"tri").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SearchResults(path: path).load() == [r])
    }
}
