import Foundation
import Testing
@testable import Nabla

/// Issue 12's table of inputs that once crashed `nabla` or lost a run, run through the built
/// binary row by row: each now ends with its exit code and one clean error line (or the right
/// result), and a finished run folder given as `--out` (even with `--force`) or resumed is left
/// byte for byte as it was. The concurrency and kill rows have their own tests
/// (`TrainCommandTests`, `KillAndResumeTests`).
@Suite(.serialized) struct BadInputTableTests {
    struct Row: CustomStringConvertible {
        var arguments: [String]
        var status: Int32 = 1
        /// Text the error line (or, for a success, the output) must contain.
        var message: String
        var description: String { arguments.joined(separator: " ") }
    }

    /// A scratch folder with a finished run (`run`) and the bad data files of the table.
    final class Scene {
        let dir: String
        var run: String { dir + "/run" }

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-table-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let trained = try GradCommandTests.run(["train", "--model", "linear(10)", "--epochs", "1", "--quiet", "--out", dir + "/run"])
            try #require(trained.status == 0, "\(trained.stderr)")

            let rows = (0..<40).map { "\($0),\($0 % 3),\($0 % 2)\n" }.joined()
            try ("a,b,label\n" + rows + "1,2,1000000\n").write(toFile: dir + "/label-1e6.csv", atomically: true, encoding: .utf8)
            try ("a,b,label\n" + rows + "1e40,2,1\n").write(toFile: dir + "/feature-1e40.csv", atomically: true, encoding: .utf8)
            try NPY.write(Tensor((0..<40).map { $0 == 14 ? .nan : Double($0) }, shape: [10, 4], dtype: .float32), to: dir + "/nan.npy")
            try NPY.write(labels: (0..<10).map { $0 % 2 }, to: dir + "/labels.npy")
            try FileManager.default.createDirectory(atPath: dir + "/idx", withIntermediateDirectories: true)
            try IDX.write(images: Tensor.zeros([11, 4, 4]), labels: Array(0..<10) + [200],
                          imagesPath: dir + "/idx/train-images-idx3-ubyte", labelsPath: dir + "/idx/train-labels-idx1-ubyte")
            #expect(FileManager.default.createFile(atPath: dir + "/a-file", contents: Data()))
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        /// Every file of `folder` and its contents.
        func snapshot(_ folder: String) throws -> [String: Data] {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) })
        }

        /// A copy of the run, resumable, with `damage` done to it.
        func copyOfRun(_ name: String, damage: (String) throws -> Void) throws -> String {
            let copy = dir + "/" + name
            try FileManager.default.copyItem(atPath: run, toPath: copy)
            try damage(copy)
            return copy
        }
    }

    func check(_ rows: [Row], in scene: Scene, folder: String? = nil) throws {
        let watched = folder ?? scene.run
        let before = try scene.snapshot(watched)
        for row in rows {
            let result = try GradCommandTests.run(row.arguments)
            #expect(result.status == row.status, "\(row): \(result.stderr)")
            let errors = result.stderr.split(separator: "\n")
            if row.status == 0 {
                #expect(result.stdout.contains(row.message), "\(row): \(result.stdout)")
            } else {
                #expect(errors.count == 1 && errors[0].hasPrefix("error: "), "\(row): \(result.stderr)")
                #expect(result.stderr.contains(row.message), "\(row): \(result.stderr)")
            }
            for raw in ["Fatal error", "NSCocoaErrorDomain", "EncodingError", "DecodingError", "Swift."] {
                #expect(!result.stderr.contains(raw), "\(row): \(result.stderr)")
            }
            #expect(try scene.snapshot(watched) == before, "\(row) changed \(watched)")
        }
    }

    @Test func modelsTooLargeForMemoryAreRefusedBeforeAllocating() throws {
        let scene = try Scene()
        let tooBig = "does not fit in memory: its largest layer"
        var rows: [Row] = []
        for model in ["linear(100000000), relu, linear(10)", "maxout(10, pieces: 100000000)", "conv(10000000, 3), linear(10)"] {
            rows.append(Row(arguments: ["train", "--model", model, "--epochs", "1", "--out", scene.run, "--force"], message: tooBig))
        }
        for command in ["sanity", "gradcheck"] {
            rows.append(Row(arguments: [command, "--model", "linear(100000000), relu, linear(10)"], message: tooBig))
        }
        // `summary` counts without allocating.
        rows.append(Row(arguments: ["summary", "--model", "linear(100000000), relu, linear(10)"], status: 0, message: "Total parameters: 79500000010"))
        try check(rows, in: scene)
    }

    @Test func badOptionsLeaveAnExistingRunAsItWas() throws {
        let scene = try Scene()
        let train = ["train", "--model", "linear(10)", "--epochs", "1", "--out", scene.run]
        try check([
            Row(arguments: train, message: "holds a run already: continue it with --resume \(scene.run), or add --force"),
            Row(arguments: train + ["--reg", "-1", "--force"], message: "--reg: must be a number ≥ 0, got -1"),
            Row(arguments: train + ["--reg", "nan", "--force"], message: "--reg: must be a number ≥ 0, got nan"),
            Row(arguments: train + ["--early-stopping", "foo", "--force"], message: "--early-stopping: unknown metric 'foo'"),
            Row(arguments: train + ["--augment", "crop:100", "--force"], message: "random crops with padding 100"),
            Row(arguments: train + ["--val", "1.5", "--force"], message: "--val: must be a fraction in [0, 1) or a whole count, got 1.5"),
            Row(arguments: train + ["--batch-size", "-5", "--force"], message: "--batch-size: must be at least 1, got -5"),
            Row(arguments: ["train", "--model", "linear(10, 5)", "--out", scene.run, "--force"], message: "linear: 'bias' must be true or false"),
            Row(arguments: ["train", "--model", "elu(-1), linear(10)", "--out", scene.run, "--force"], message: "elu: alpha must be > 0, got -1"),
            Row(arguments: ["train", "--model", "linear(10)", "--out", scene.dir + "/a-file"], message: "--out \(scene.dir)/a-file: a file, not a folder"),
            Row(arguments: ["grad", "-x^2", "--at", "x=3"], status: 0, message: "f = -9"),
        ], in: scene)
    }

    @Test func badDataIsAnErrorNamingTheFileAndThePlace() throws {
        let scene = try Scene()
        let d = scene.dir
        func train(_ data: [String]) -> [String] { ["train", "--data"] + data + ["--epochs", "1", "--out", scene.run, "--force"] }
        try check([
            Row(arguments: train([d + "/idx"]), message: "\(d)/idx/train-labels-idx1-ubyte, label 10 at byte 18: label 200 (1 example) leaves classes 10 to 199"),
            Row(arguments: train([d + "/label-1e6.csv"]), message: "label-1e6.csv, line 42: label 1000000 (1 example) leaves classes 2 to 999999"),
            Row(arguments: train([d + "/label-1e6.csv", "--classes", "3"]), message: "label-1e6.csv, line 42: label 1000000 is out of range for 3 classes (0…2)"),
            Row(arguments: train([d + "/label-1e6.csv", "--classes", "1"]), message: "--classes: must be at least 2, got 1"),
            Row(arguments: train([d + "/feature-1e40.csv"]), message: "feature-1e40.csv, line 42: '1.0000e+40' in column 'a' is too large for a 32-bit float"),
            Row(arguments: train([d + "/nan.npy", "--labels", d + "/labels.npy"]), message: "nan.npy, element 14 at byte 184, index (3, 2): nan is not a finite number"),
            Row(arguments: train([d + "/nan.npy", "--labels", d + "/labels.npy", "--preprocess", "standardize"]), message: "nan is not a finite number"),
            Row(arguments: train(["runs/relative/path"]), message: "runs/relative/path: no such file or folder, and not a data set's name"),
            Row(arguments: ["data", "info", d + "/label-1e6.csv"], message: "label 1000000 (1 example) leaves classes 2 to 999999"),
            Row(arguments: ["data", "info", d + "/label-1e6.csv", "--classes", "1000001"], status: 0, message: "classes: 1000001"),
        ], in: scene)
    }

    /// Overwrites the last 100 bytes of `path`, as a bad disk block or a stray write would.
    static func damage(_ path: String) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in (bytes.count - 100)..<bytes.count { bytes[i] = 0x41 }
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    @Test func aDamagedOrMissingCheckpointIsAnErrorThatSaysWhatToDo() throws {
        let scene = try Scene()
        // The run's previous checkpoint (from its start) is whole: the error says how to resume from it, and that works.
        let damaged = try scene.copyOfRun("damaged") { try Self.damage($0 + "/checkpoint.safetensors") }
        let checkpoint = damaged + "/checkpoint.safetensors", previous = damaged + "/checkpoint.previous.safetensors"
        try check([Row(arguments: ["train", "--resume", damaged, "--epochs", "3"],
                       message: "\(checkpoint): checksum mismatch: the file is damaged; the checkpoint before it (epoch 0, step 0) is whole: "
                           + "resume from it with mv \(previous) \(checkpoint) && nabla train --resume \(damaged)")], in: scene, folder: damaged)
        try check([Row(arguments: ["evaluate", damaged, "--weights", "checkpoint.safetensors"], message: "checksum mismatch")], in: scene, folder: damaged)
        try FileManager.default.removeItem(atPath: checkpoint)
        try FileManager.default.moveItem(atPath: previous, toPath: checkpoint)
        let resumed = try GradCommandTests.run(["train", "--resume", damaged, "--epochs", "2"])
        #expect(resumed.status == 0 && resumed.stdout.contains("resuming \(damaged) after epoch 0"), "\(resumed.stderr)")

        // Both damaged: start again.
        let ruined = try scene.copyOfRun("ruined") { copy in
            for name in ["checkpoint", "checkpoint.previous"] { try Self.damage(copy + "/\(name).safetensors") }
        }
        try check([Row(arguments: ["train", "--resume", ruined, "--epochs", "3"],
                       message: "\(ruined)/checkpoint.safetensors: checksum mismatch: the file is damaged, so the run cannot resume from it: "
                           + "start it again with nabla train --out \(ruined) --force")], in: scene, folder: ruined)

        let unfinished = try scene.copyOfRun("unfinished") { try FileManager.default.removeItem(atPath: $0 + "/checkpoint.safetensors") }
        try check([Row(arguments: ["train", "--resume", unfinished, "--epochs", "3"],
                       message: "has no checkpoint (it was stopped before its first one was written), so it cannot resume")], in: scene, folder: unfinished)
    }

    /// SIGTERM and SIGHUP stop a run as Ctrl-C does: the step ends and is saved, the run says how
    /// to resume, and the resumed run (which clears a temporary file a kill left) continues from it.
    @Test(arguments: [SIGTERM, SIGHUP])
    func aSignalStopsTheRunResumably(signal: Int32) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-signal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = dir + "/run", output = dir + "/output.txt"
        #expect(FileManager.default.createFile(atPath: output, contents: nil))
        let process = Process()
        let nabla: URL = try #require(GradCommandTests.nablaExecutable())
        process.executableURL = nabla
        process.arguments = ["train", "--model", "conv(16, 3), relu, maxpool(2), linear(10)", "--batch-size", "20", "--epochs", "4", "--out", run]
        process.standardOutput = FileHandle(forWritingAtPath: output)
        try process.run()
        // Once the run has begun (its first checkpoint is written at the start), within its first epochs.
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: run + "/checkpoint.safetensors") { usleep(10_000) }
        usleep(200_000)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let printed = try String(contentsOfFile: output, encoding: .utf8)
        #expect(printed.contains("interrupted at epoch") && printed.contains("resume with: nabla train --resume \(run)\n"), "\(printed)")

        let leftover = run + "/.checkpoint.safetensors.tmp-0c4f1e"   // as a kill during a write leaves it
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data([1, 2, 3])))
        let resumed = try GradCommandTests.run(["train", "--resume", run, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming \(run) "), "\(resumed.stdout)")
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    @Test func aDivergedRunReportsNoTestAccuracy() throws {
        let scene = try Scene()
        let result = try GradCommandTests.run(["train", "--model", "linear(10)", "--lr", "1e30", "--epochs", "2", "--out", scene.dir + "/diverged"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("no test accuracy: no epoch finished with weights worth keeping"), "\(result.stdout)")
        #expect(!result.stdout.contains("test accuracy: 0"))
    }
}
