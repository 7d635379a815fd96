import Foundation
import Testing
@testable import Nabla

/// `nabla train` and `nabla summary` run as subprocesses, as a user types them.
@Suite struct TrainCommandTests {
    typealias Run = GradCommandTests.Run

    func nabla(_ arguments: String...) throws -> Run { try GradCommandTests.run(arguments) }

    /// A fresh temporary folder.
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-train-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func trainPrintsTheLecturesLinesAndWritesTheRunFolder() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try nabla("train", "--data", "mnist-5k", "--model", "linear(10)", "--epochs", "2", "--lr", "0.05",
                            "--seed", "1", "--out", dir + "/run")
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let epochs = lines.filter { $0.hasPrefix("Finished epoch ") }
        #expect(epochs.count == 2)
        // `Finished epoch 1 / 2: cost 0.426652, train: 0.879000, val 0.874000, lr 5.000000e-02, time 0.4s`
        let pattern = #/Finished epoch [12] / 2: cost \d+\.\d{6}, train: 0\.\d{6}, val 0\.\d{6}, lr 5\.000000e-02, time \d+\.\ds/#
        for line in epochs { #expect(line.wholeMatch(of: pattern) != nil, "\(line)") }
        #expect(lines.contains { $0.hasPrefix("finished optimization. best validation accuracy: 0.") })
        for file in ["config.json", "best.safetensors", "last.safetensors", "checkpoint.safetensors", "history.csv", "train.log"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/run/\(file)"), "\(file) missing")
        }
    }

    @Test func augmentIsSavedInTheConfigAndChangesTraining() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let common = ["train", "--data", "mnist-5k", "--model", "linear(10)", "--epochs", "1", "--lr", "0.05", "--seed", "1", "--quiet"]
        let plain = try GradCommandTests.run(common + ["--out", dir + "/plain"])
        let augmented = try GradCommandTests.run(common + ["--augment", "flip,crop:2", "--out", dir + "/augmented"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(augmented.status == 0, "\(augmented.stderr)")
        #expect(try RunFolder.readConfig(dir + "/plain").augmentation.isIdentity)
        #expect(try RunFolder.readConfig(dir + "/augmented").augmentation.text == "flip,crop:2")
        // The same seed and data: only the augmentation can make the weights differ.
        let a = try RunFolder.loadModel(dir + "/plain").model.stateDict()
        let b = try RunFolder.loadModel(dir + "/augmented").model.stateDict()
        #expect(a.map(\.name) == b.map(\.name))
        #expect(zip(a, b).contains { $0.variable.value != $1.variable.value })
    }

    @Test func aBadAugmentationIsAClearError() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try nabla("train", "--data", "mnist-5k", "--augment", "flip,rotate", "--epochs", "1", "--out", dir + "/run")
        #expect(run.status != 0)
        #expect(run.stderr.contains("--augment: unknown augmentation 'rotate'; use flip, crop:PIXELS, erase:PROBABILITY or several (flip,crop:4,erase:0.5)"), "\(run.stderr)")

        var csv = "a,b,label\n"
        for i in 0..<20 { csv += "\(i),\(i % 3),\(i % 2)\n" }
        try csv.write(toFile: dir + "/tiny.csv", atomically: true, encoding: .utf8)
        let tabular = try nabla("train", "--data", dir + "/tiny.csv", "--model", "linear(2)", "--augment", "flip",
                                "--epochs", "1", "--quiet", "--out", dir + "/csv")
        #expect(tabular.status != 0)
        #expect(tabular.stderr.contains("augmentation needs images [C, H, W]; these examples are [2]"), "\(tabular.stderr)")

        let tooFar = try nabla("train", "--data", "mnist-5k", "--augment", "crop:28", "--epochs", "1", "--quiet", "--out", dir + "/far")
        #expect(tooFar.status != 0)
        #expect(tooFar.stderr.contains("random crops with padding 28 would shift 28×28 images out of view; use less than 28"), "\(tooFar.stderr)")
    }

    @Test func negativeNumbersAreValuesAndGetTheirOwnErrors() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lr = try nabla("train", "--data", "mnist-5k", "--lr", "-1", "--epochs", "1", "--quiet", "--out", dir + "/lr")
        #expect(lr.status != 0)
        #expect(lr.stderr.contains("Invalid learning rate: -1"), "\(lr.stderr)")
        let reg = try nabla("train", "--data", "mnist-5k", "--reg", "-0.5", "--epochs", "1", "--quiet", "--out", dir + "/reg")
        #expect(reg.status != 0)
        #expect(reg.stderr.contains("--reg: must be a number ≥ 0, got -0.5"), "\(reg.stderr)")
    }

    @Test func aNegativeLabelColumnIsAValueNotAnOption() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var csv = "label,a,b\n"
        for i in 0..<40 { csv += "\(i % 2),\(i),\(i % 3)\n" }
        try csv.write(toFile: dir + "/first.csv", atomically: true, encoding: .utf8)
        for column in ["0", "label", "-3"] {
            let run = try nabla("train", "--data", dir + "/first.csv", "--label-column", column, "--model", "linear(2)",
                                "--epochs", "1", "--batch-size", "10", "--quiet", "--out", dir + "/run-\(column)")
            #expect(run.status == 0, "--label-column \(column): \(run.stderr)")
            #expect(try RunFolder.readConfig(dir + "/run-\(column)").inputShape == [2])
        }
    }

    @Test func summaryTakesATextSpecOrAJSONFile() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try nabla("summary", "--model", "linear(16), relu, linear(10)")
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout == """
            Layer              Output shape  Parameters
            ---------------------------------------------
            Input              [1, 28, 28]
            Flatten()          [784]         0
            Linear(784 => 16)  [16]          12560
            ReLU()             [16]          0
            Linear(16 => 10)   [10]          170
            Total parameters: 12730

            """)
        try #"["linear(16)", "relu", "linear(10)"]"#.write(toFile: dir + "/net.json", atomically: true, encoding: .utf8)
        let json = try nabla("summary", "--model", dir + "/net.json")
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout == text.stdout)

        let missing = try nabla("summary", "--model", dir + "/absent.json")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("\(dir)/absent.json: cannot read the model file"), "\(missing.stderr)")
    }

    @Test func aRunFolderOfVersion1StillResumesExactlyEvaluatesAndReports() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let resources = TrainingRecipeTests.resources
        try FileManager.default.copyItem(atPath: resources + "/run-v1", toPath: dir + "/run")
        let evaluate = try nabla("evaluate", dir + "/run")
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains("test split of mnist-5k: 500 drawn at random from the pooled files (split seed 3) (500 examples)"))
        let resume = try nabla("train", "--resume", dir + "/run", "--epochs", "3", "--quiet")
        #expect(resume.status == 0, "\(resume.stderr)")
        // The weights the version that wrote the folder reached by the same resume, bit for bit.
        let last = try Safetensors.read(dir + "/run/last.safetensors").tensors
        #expect(last == (try Safetensors.read(resources + "/run-v1-resumed-to-3-last.safetensors").tensors))
        // Resuming rewrote config.json as a recipe.
        #expect(try RunFolder.readConfig(dir + "/run").epochs == 3)
        let report = try nabla("report", dir + "/run")
        #expect(report.status == 0, "\(report.stderr)")
    }

    @Test func aResumedRunRefusesNewSettings() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: TrainingRecipeTests.resources + "/run-v1", toPath: dir + "/run")
        let run = try nabla("train", "--resume", dir + "/run", "--epochs", "3", "--lr", "0.1")
        #expect(run.status == 1)
        #expect(run.stderr.contains("--lr cannot change a resumed run"), "\(run.stderr)")
    }

    @Test func anExistingRunIsNeverReplacedByAccident() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let common = ["train", "--model", "linear(10)", "--epochs", "1", "--quiet", "--out", dir + "/run"]
        #expect(try GradCommandTests.run(common).status == 0)
        func snapshot() throws -> [String: Data] {
            let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/run")
            return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: URL(fileURLWithPath: "\(dir)/run/\($0)"))) })
        }
        let before = try snapshot()
        for (extra, message) in [([], "holds a run already: continue it with --resume"), (["--reg", "-1"], "--reg: must be a number ≥ 0"),
                                 (["--early-stopping", "foo"], "--early-stopping: unknown metric 'foo'"),
                                 (["--augment", "crop:100", "--force"], "random crops with padding 100"),
                                 (["--val", "1.5"], "--val: must be a fraction in [0, 1) or a whole count, got 1.5")] {
            let run = try GradCommandTests.run(common + extra)
            #expect(run.status == 1, "\(extra)")
            #expect(run.stderr.contains(message), "\(extra): \(run.stderr)")
            #expect(try snapshot() == before, "\(extra) changed the run folder")
        }
        let forced = try GradCommandTests.run(common + ["--force", "--seed", "2"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("run.old-") }
        #expect(kept.count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(kept[0])/config.json")) == before["config.json"])
        let file = dir + "/a-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        let onFile = try GradCommandTests.run(["train", "--model", "linear(10)", "--epochs", "1", "--out", file])
        #expect(onFile.status == 1 && onFile.stderr.contains("--out \(file): a file, not a folder"), "\(onFile.stderr)")
    }

    @Test func aSecondWriterOfARunFolderFailsAtOnceNamingTheFirst() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = Process()
        let nabla: URL = try #require(GradCommandTests.nablaExecutable())
        first.executableURL = nabla
        first.arguments = ["train", "--model", "conv(8, 3), relu, maxpool(2), linear(10)", "--epochs", "50", "--batch-size", "10",
                           "--quiet", "--out", dir + "/run"]
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        defer { first.terminate(); first.waitUntilExit() }
        // Wait until the first run holds the lock (its pid is in the lock file).
        let lockFile = dir + "/run/" + FolderLock.fileName
        for _ in 0..<200 where FolderLock.holder(ofFileAt: lockFile) == nil { usleep(50_000) }
        for extra in [[], ["--force"]] {
            let second = try GradCommandTests.run(["train", "--model", "linear(10)", "--epochs", "1", "--out", dir + "/run"] + extra)
            #expect(second.status == 1)
            #expect(second.stderr.contains("is being written by another nabla (pid \(first.processIdentifier))"), "\(second.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("run.old-") }.isEmpty)
    }
}
