import Foundation
import Testing
@testable import Nabla

/// `nabla search` end to end on the shipped digits: few trials of one epoch of a small net.
@Suite(.serialized) struct SearchCommandTests {
    static let space = "lr=log(1e-3,3e-1), reg=log(1e-6,1e-2)"

    static func folder(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("nabla-search-\(name)-\(UUID().uuidString)").path
    }

    static func searchArguments(out: String, trials: Int = 4) -> [String] {
        ["search", "--space", space, "--model", "linear(32), relu, linear(10)",
         "--trials", "\(trials)", "--epochs", "1", "--seed", "5", "--out", out]
    }

    /// The lines of the ranked table in a search's output.
    static func rankedTable(_ stdout: String) -> [String] {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "results, best first:") else { return [] }
        return Array(lines[(start + 1)...].prefix { $0.hasPrefix("val_acc: ") })
    }

    @Test func serialParallelAndResumedSearchesAgree() throws {
        let serialOut = Self.folder("serial"), parallelOut = Self.folder("parallel")
        defer { try? FileManager.default.removeItem(atPath: serialOut); try? FileManager.default.removeItem(atPath: parallelOut) }

        let serial = try GradCommandTests.run(Self.searchArguments(out: serialOut))
        #expect(serial.status == 0, "\(serial.stderr)")
        let table = Self.rankedTable(serial.stdout)
        #expect(table.count == 4)
        // The lectures' format, best first, numbered 0 … 3 of 4.
        let line = #/^val_acc: 0\.\d{6}, lr: \d\.\d{6}e-0\d, reg: \d\.\d{6}e-0\d, \((\d) / 4\)$/#
        #expect(table.compactMap { $0.wholeMatch(of: line).map { String($0.1) } } == ["0", "1", "2", "3"], "\(table)")
        let accuracies = table.map { Double($0.dropFirst(9).prefix(8))! }
        #expect(accuracies == accuracies.sorted(by: >))
        #expect(accuracies[0] > 0.5)
        let records = try SearchResults(path: serialOut + "/results.jsonl").load()
        #expect(records.map(\.trial).sorted() == [0, 1, 2, 3])
        #expect(records.allSatisfy { $0.status == "ok" && $0.epochsRun == 1 && $0.settings.keys.sorted() == ["lr", "reg"] })
        #expect(serial.stdout.contains("best settings (val_acc \(String(format: "%f", accuracies[0]))):"))
        let command = try #require(serial.stdout.split(separator: "\n").last { $0.hasPrefix("nabla train ") })
        #expect(command.contains("--model=\"linear(32), relu, linear(10)\"") && command.contains("--epochs=1") && command.contains("--seed=5"))
        for file in ["search.svg", "search.png"] { #expect(FileManager.default.fileExists(atPath: serialOut + "/" + file)) }

        // The same seed on two workers: the same table.
        let parallel = try GradCommandTests.run(Self.searchArguments(out: parallelOut) + ["--workers", "2"])
        #expect(parallel.status == 0, "\(parallel.stderr)")
        #expect(Self.rankedTable(parallel.stdout) == table)

        // Interrupted after two trials, with a torn last line: resuming runs only the other two.
        let results = parallelOut + "/results.jsonl"
        let kept = try String(contentsOfFile: results, encoding: .utf8).split(separator: "\n").prefix(2)
        try (kept.joined(separator: "\n") + "\n{\"trial\": 3, \"sta").write(toFile: results, atomically: true, encoding: .utf8)
        let resumed = try GradCommandTests.run(Self.searchArguments(out: parallelOut) + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming: 2 trials already recorded"))
        let ran = resumed.stdout.split(separator: "\n").filter { $0.hasPrefix("trial ") }
        #expect(ran.count == 2, "\(ran)")
        #expect(Self.rankedTable(resumed.stdout) == table)
        let afterResume = try SearchResults(path: results).load().map(\.trial)
        #expect(afterResume.count == 4 && Set(afterResume) == [0, 1, 2, 3])

        // Without --resume, an existing search is not overwritten.
        let again = try GradCommandTests.run(Self.searchArguments(out: parallelOut))
        #expect(again.status == 1 && again.stderr.contains("already holds a search; add --resume"))
    }

    @Test func badOptionsAreOneLineErrors() throws {
        let out = Self.folder("bad")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let badSpace = try GradCommandTests.run(["search", "--space", "lr=log(0,1)", "--out", out])
        #expect(badSpace.status == 1 && badSpace.stderr == "error: lr: log(a, b) needs a > 0, got 0\n")
        let unknown = try GradCommandTests.run(["search", "--space", "width=int(1,3)", "--out", out])
        #expect(unknown.status == 1 && unknown.stderr.contains("width is neither a training option"))
        let timeout = try GradCommandTests.run(["search", "--space", "lr=log(1e-3,1e-1)", "--heartbeat-timeout", "0", "--out", out])
        #expect(timeout.status == 1 && timeout.stderr.contains("--heartbeat-timeout must be positive"))
        let none = try GradCommandTests.run(["search", "--space", "lr=log(1e-3,1e-1)", "--trials", "0", "--out", out])
        #expect(none.status == 1 && none.stderr == "error: --trials and --epochs must be at least 1, got 0 and 5\n", "\(none.stderr)")
    }
}

/// `nabla lr-find` on the shipped digits with the lectures' two-layer net.
@Suite struct LRFindCommandTests {
    @Test func suggestsALearningRateAndPlotsTheCurve() throws {
        let out = SearchCommandTests.folder("lr-find")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try GradCommandTests.run(["lr-find", "--model", "linear(100), relu, linear(10)", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("step  learning rate"))
        #expect(run.stdout.contains("stopped at step"))
        let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("suggested lr: ") })
        let lr = try #require(Double(line.dropFirst("suggested lr: ".count)))
        #expect(lr >= 1e-4 && lr <= 1, "\(line)")
        #expect(run.stdout.contains("suggested search range: --space \"lr=log("))
        let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: out + "/lr-find.png")))
        #expect(png.width == 900 && png.height == 560 && png.distinctColors > 10)
        let svg = try String(contentsOfFile: out + "/lr-find.svg", encoding: .utf8)
        #expect(try parseSVG(svg).contains("svg") && svg.contains("learning-rate range test"))
    }

    @Test func badSettingsAreOneLineErrors() throws {
        let run = try GradCommandTests.run(["lr-find", "--start", "1", "--end", "0.5"])
        #expect(run.status == 1 && run.stderr == "error: lr-find: the end learning rate (0.5) must be above the start (1.0)\n")
    }
}
