import Foundation
import Testing
@testable import Nabla

/// `kill -9` at seeded random moments — mid-epoch, between epochs, in the middle of a checkpoint
/// write — then `nabla train --resume`, again and again: the run ends with the same weights, bit
/// for bit, as one that was never interrupted.
@Suite struct KillAndResumeTests {
    /// A small CSV data set: 240 examples of 6 features in 3 classes.
    static func writeData(to path: String) throws {
        var random = RandomGenerator(seed: 8)
        var csv = ""
        for i in 0..<240 {
            let label = i % 3
            let features = (0..<6).map { j in String(format: "%.4f", Double(label == j % 3 ? 1 : 0) + random.nextNormal() * 0.5) }
            csv += features.joined(separator: ",") + ",\(label)\n"
        }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Checkpoints every 2 steps, so that kills land within epochs and during writes.
    static func trainArguments(data: String, out: String) -> [String] {
        ["train", "--data", data, "--model", "linear(16), relu, dropout(0.2), linear(3)", "--optimizer", "adam", "--lr", "0.01",
         "--epochs", "5", "--batch-size", "8", "--seed", "4", "--checkpoint-every", "2", "--quiet", "--out", out]
    }

    /// Starts `nabla` with `arguments` and, if it still runs after `seconds`, kills it with SIGKILL.
    /// - Returns: whether it was killed.
    static func run(_ arguments: [String], killAfter seconds: Double) throws -> Bool {
        let process = Process()
        let nabla: URL = try #require(GradCommandTests.nablaExecutable())
        process.executableURL = nabla
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(500) }
        let killed = process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return killed
    }

    /// What continues the run in `out`: a resume once it has a checkpoint, else a new start (with
    /// `--force`, keeping whatever a kill left of it).
    static func continuing(data: String, out: String) -> [String] {
        FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors")
            ? ["train", "--resume", out, "--quiet"] : trainArguments(data: data, out: out) + ["--force"]
    }

    @Test func killedAtRandomMomentsAndResumedEndsBitForBitAsAnUninterruptedRun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-kill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = dir + "/data.csv", reference = dir + "/reference", out = dir + "/run"
        try Self.writeData(to: data)

        let started = Date()
        let uninterrupted = try GradCommandTests.run(Self.trainArguments(data: data, out: reference))
        try #require(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        let duration = Date().timeIntervalSince(started)

        var random = RandomGenerator(seed: 12)
        var kills = 0
        for _ in 0..<10 {
            // Within the first quarter of what a whole run takes, from its start up, so that most
            // runs are killed; one that ends first has finished the run.
            guard try Self.run(Self.continuing(data: data, out: out), killAfter: (0.03 + 0.22 * random.nextUniform()) * duration) else { break }
            kills += 1
        }
        let last = try GradCommandTests.run(Self.continuing(data: data, out: out))
        #expect(last.status == 0 || last.stderr.contains("has already run 5 of 5 epochs"), "\(last.stderr)")
        #expect(kills >= 3, "only \(kills) of the runs were still going when their kill came")

        for file in ["checkpoint.safetensors", "last.safetensors", "best.safetensors"] {
            let a = try Safetensors.read(reference + "/" + file).tensors, b = try Safetensors.read(out + "/" + file).tensors
            #expect(a.keys.sorted() == b.keys.sorted(), "\(file)")
            for (name, tensor) in a { #expect(b[name] == tensor, "\(file): \(name) differs after \(kills) kills") }
        }
        // No temporary file of an interrupted write is left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "\(left)")
    }
}
