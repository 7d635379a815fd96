import Foundation
import Testing
@testable import Nabla

/// `nabla evaluate`, `predict` and `crossval` run as subprocesses on tiny runs trained for one epoch.
@Suite struct EvaluatePredictCommandTests {
    typealias Run = GradCommandTests.Run

    /// A temporary folder with two runs on MNIST-5k (same data options and seed, so the same test
    /// split), one on a 4-feature CSV, and the first run's test accuracy as `train` printed it.
    struct Fixture {
        let folder: String
        var runA: String { folder + "/a" }
        var runB: String { folder + "/b" }
        var runCSV: String { folder + "/csv" }
        let trainTestAccuracy: String
    }

    static let fixture: Result<Fixture, any Error> = Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-eval-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let a = try nabla("train", "--data", "mnist-5k", "--model", "linear(10)", "--epochs", "1", "--lr", "0.05",
                          "--seed", "1", "--quiet", "--out", folder + "/a")
        guard a.status == 0 else { throw TrainingError("train a failed: \(a.stderr)") }
        let b = try nabla("train", "--data", "mnist-5k", "--model", "linear(16), relu, linear(10)", "--epochs", "1",
                          "--lr", "0.1", "--preprocess", "mean-image", "--seed", "1", "--quiet", "--out", folder + "/b")
        guard b.status == 0 else { throw TrainingError("train b failed: \(b.stderr)") }
        var csv = "f1,f2,f3,f4,label\n"
        for i in 0..<60 { csv += "\(i % 7),\(i % 5),\(i % 3),\(i % 2),\(i % 2)\n" }
        try csv.write(toFile: folder + "/tiny.csv", atomically: true, encoding: .utf8)
        let c = try nabla("train", "--data", folder + "/tiny.csv", "--model", "linear(2)", "--epochs", "1", "--batch-size", "10",
                          "--quiet", "--out", folder + "/csv")
        guard c.status == 0 else { throw TrainingError("train csv failed: \(c.stderr)") }
        let line = try #require(a.stdout.split(separator: "\n").first { $0.hasPrefix("test accuracy: ") })
        return Fixture(folder: folder, trainTestAccuracy: String(line.dropFirst("test accuracy: ".count).prefix { $0 != " " }))
    }

    static func nabla(_ arguments: String...) throws -> Run { try nabla(arguments) }

    static func nabla(_ arguments: [String]) throws -> Run { try GradCommandTests.run(arguments) }

    /// `count` MNIST-5k digits of different classes (500 apart) as raw pixel values (0–255), `[count, 1, 28, 28]`.
    static func digits(_ count: Int) throws -> Dataset {
        try Datasets.load("mnist-5k").subset((0..<count).map { ($0 * 501 + 7) % 5000 })
    }

    /// The classes the run at `folder` predicts for `data`, computed in-process from its files.
    static func expectedClasses(_ folder: String, _ data: Dataset) throws -> [Int] {
        let (model, config) = try RunFolder.loadModel(folder)
        return predictProbabilities(model, config.preprocessor.map { $0.apply(data.features) } ?? data.features).argmax(alongAxis: 1)
    }

    @Test func evaluatePrintsTheReportOfTheTestSplit() throws {
        let f = try Self.fixture.get()
        let run = try Self.nabla("evaluate", f.runA)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "data: test split of mnist-5k: 500 drawn at random from the training files (split seed 1) (500 examples)")
        #expect(lines[1] == "run: \(f.runA) (linear(10); best.safetensors)")
        // The same test accuracy as train printed at its end.
        let accuracy = try #require(lines.first { $0.hasPrefix("accuracy: ") })
        let correct = try #require(Int(accuracy.split(separator: "(")[1].split(separator: " ")[0]))
        #expect(String(format: "%f", Double(correct) / 500) == f.trainTestAccuracy)
        #expect(run.stdout.contains("    class  precision  recall  f1-score  support\n"))
        // A header of the ten classes, then ten rows whose counts add up to 500.
        let matrixStart = try #require(lines.firstIndex { $0 == "confusion matrix (rows: true class, columns: predicted class):" })
        #expect(lines[matrixStart + 1].split(separator: " ") == (0..<10).map { Substring(String($0)) })
        let rows = lines[(matrixStart + 2)...].filter { !$0.isEmpty }
        #expect(rows.count == 10)
        #expect(rows.flatMap { $0.split(separator: " ").dropFirst().compactMap { Int($0) } }.reduce(0, +) == 500)
    }

    @Test func evaluateTwoRunsAsAnEnsemble() throws {
        let f = try Self.fixture.get()
        let run = try Self.nabla("evaluate", f.runA, f.runB)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        #expect(run.stdout.contains("\(f.runA): accuracy 0."))
        #expect(run.stdout.contains("\(f.runB): accuracy 0."))
        #expect(run.stdout.contains("ensemble of 2 runs (mean of their probabilities):\naccuracy: 0."))
    }

    @Test func evaluateOnAnotherDataSet() throws {
        let f = try Self.fixture.get()
        var csv = ""
        let digits = try Self.digits(20)
        let pixels = digits.features.floats
        for i in 0..<20 { csv += pixels[(i * 784)..<((i + 1) * 784)].map { String(Int($0)) }.joined(separator: ",") + ",\(digits.labels[i])\n" }
        let path = f.folder + "/digits-labelled.csv"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try Self.nabla("evaluate", f.runA, "--data", path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("data: \(path) (20 examples)\n"))
        let expected = try Self.expectedClasses(f.runA, digits)
        let correct = zip(expected, digits.labels).filter { $0 == $1 }.count
        #expect(run.stdout.contains(String(format: "accuracy: %.4f (%d of 20)", Double(correct) / 20, correct)))
    }

    @Test func predictCSVRowsAndIDXImages() throws {
        let f = try Self.fixture.get()
        let digits = try Self.digits(3)
        let expected = try Self.expectedClasses(f.runA, digits)
        let pixels = digits.features.floats
        let rows = (0..<3).map { i in pixels[(i * 784)..<((i + 1) * 784)].map { String(Int($0)) } }
        let csv = f.folder + "/digits.csv", labelled = f.folder + "/digits-with-label.csv", idx = f.folder + "/digits-idx3-ubyte.gz"
        try (rows.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        try ((0..<3).map { "\(digits.labels[$0])," + rows[$0].joined(separator: ",") }.joined(separator: "\n"))
            .write(toFile: labelled, atomically: true, encoding: .utf8)
        try IDX.writeImages(digits.features, to: idx, gzip: true)

        let run = try Self.nabla("predict", f.runA, csv, idx)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        for (i, line) in lines.enumerated() {
            let file = i < 3 ? csv : idx
            #expect(line.hasPrefix("\(file)[\(i % 3)]: class \(expected[i % 3]) (p=0."), "\(line)")
        }

        let skipped = try Self.nabla("predict", f.runA, labelled, "--label-column", "0")
        let last = try Self.nabla("predict", f.runA, csv, "--label-column", "-1")  // a negative index is a value, not an option
        #expect(last.status == 1)
        #expect(last.stderr == "error: \(csv): examples of shape [783] (783 values), but \(f.runA) expects [1, 28, 28] (784 values)\n")
        #expect(skipped.status == 0, "\(skipped.stderr)")
        // The label column is not a feature; its labels mark each prediction right or wrong.
        let marked = skipped.stdout.replacingOccurrences(of: labelled, with: csv).split(separator: "\n").map(String.init)
        #expect(marked.count == 4 && marked.last?.hasPrefix("accuracy: ") == true)
        for (line, plain) in zip(marked, lines[0..<3]) { #expect(line == plain + " ✓" || line.hasPrefix(plain + " ✗ (is "), "\(line)") }
    }

    @Test func predictTopKAndJSON() throws {
        let f = try Self.fixture.get()
        let npy = f.folder + "/one-digit.npy"
        try NPY.write(try Self.digits(1).features.reshaped([28, 28]), to: npy)
        let top = try Self.nabla("predict", f.runA, npy, "--top", "3")
        #expect(top.status == 0, "\(top.stderr)")
        #expect(top.stdout.hasPrefix("\(npy)[0]: class "))
        #expect(top.stdout.components(separatedBy: " (p").count == 4)

        let json = try Self.nabla("predict", f.runA, npy, "--json", "--top", "2")
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["classes"] as? [String] == (0..<10).map(String.init))
        let predictions = try #require(object["predictions"] as? [[String: Any]])
        #expect(predictions.count == 1)
        let probabilities = try #require(predictions[0]["probabilities"] as? [Double])
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-4)
        #expect((predictions[0]["top"] as? [Any])?.count == 2)
        #expect(predictions[0]["probability"] as? Double == probabilities.max())
    }

    @Test func crossvalPrintsEachFoldAndTheMean() throws {
        let run = try Self.nabla("crossval", "--folds", "2", "--data", "mnist-5k", "--model", "linear(10)",
                                 "--epochs", "1", "--quiet")
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("fold 1 / 2: best validation accuracy 0."))
        #expect(lines[0].hasSuffix(", 2250 train, 2250 validation"))
        #expect(lines[1].hasPrefix("fold 2 / 2: best validation accuracy 0."))
        #expect(lines[2].hasPrefix("cross-validation accuracy: 0."))
        #expect(lines[2].hasSuffix(" (mean ± std over 2 folds)"))
    }

    // MARK: Errors: one line on stderr, exit code 1.

    @Test func aFolderThatIsNotARunIsAnError() throws {
        let f = try Self.fixture.get()
        for command in ["evaluate", "predict"] {
            let run = try Self.nabla([command, f.folder] + (command == "predict" ? [f.folder + "/tiny.csv"] : []))
            #expect(run.status == 1)
            #expect(run.stderr == "error: \(f.folder) is not a run folder: \(f.folder)/config.json is missing (runs are made by nabla train --out DIR)\n")
        }
        let missing = try Self.nabla("evaluate", f.folder + "/nowhere")
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: \(f.folder)/nowhere is not a run folder"))
        #expect(missing.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test func inputsOfTheWrongShapeAreAnError() throws {
        let f = try Self.fixture.get()
        let run = try Self.nabla("predict", f.runA, f.folder + "/tiny.csv")
        #expect(run.status == 1)
        #expect(run.stderr == "error: \(f.folder)/tiny.csv: examples of shape [5] (5 values), but \(f.runA) expects [1, 28, 28] (784 values)\n")
        #expect(run.stdout.isEmpty)
    }

    @Test func runsWithDifferentInputsCannotFormAnEnsemble() throws {
        let f = try Self.fixture.get()
        let run = try Self.nabla("evaluate", f.runA, f.runCSV)
        #expect(run.status == 1)
        #expect(run.stderr == "error: \(f.runCSV) cannot join an ensemble with \(f.runA): its examples are [4], not [1, 28, 28]\n")
    }
}
