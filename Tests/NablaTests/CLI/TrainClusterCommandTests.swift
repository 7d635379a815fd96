import Foundation
import Testing
@testable import Nabla

/// `mpirun -np N nabla train …` trains one model on N ranks: the same weights as one process (up
/// to float addition order), one run folder written by rank 0, and a checkpoint that resumes in
/// one process. Skipped, like the cluster search's tests, without the MPI build or mpirun.
@Suite(.serialized) struct TrainClusterCommandTests {
    typealias Run = GradCommandTests.Run

    static let arguments = ["train", "--data", "mnist-5k", "--model", "linear(32), relu, dropout(0.2), linear(10)",
                            "--lr", "0.05", "--batch-size", "50", "--seed", "1"]

    /// `mpirun -np ranks nabla` with `base + extra`; the job is ended if it runs over 150 s.
    static func mpiTrain(ranks: Int, _ extra: [String], base: [String] = arguments) throws -> Run {
        let (run, endedByItself) = try MPIJob(ranks: ranks, base + extra).finish(within: 170)
        #expect(endedByItself, "the job was killed after 170 s")
        return run
    }

    /// The demo CNN's kind, small: convolution, batch norm, dropout.
    static let batchNormArguments = ["train", "--data", "mnist-5k", "--model", "conv(4, 3), batchnorm, relu, maxpool(2), dropout(0.2), linear(10)",
                                     "--lr", "0.02", "--batch-size", "50", "--seed", "1"]

    func folder() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("nabla-dp-\(UUID().uuidString)").path }

    /// The last weights of a run folder, as doubles by name.
    func lastWeights(_ folder: String) throws -> [String: [Double]] {
        let model = try RunFolder.loadModel(folder, weights: "last.safetensors").model
        return Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.variable.value.doubles) })
    }

    func expectClose(_ a: [String: [Double]], _ b: [String: [Double]]) {
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, x) in a {
            let y = b[name] ?? []
            let difference = zip(x, y).map { abs($0 - $1) / max(abs($0), abs($1), 1) }.max() ?? 0
            #expect(x.count == y.count && difference <= 1e-4, "\(name): \(difference)")
        }
    }

    /// The accuracies of the epoch lines (`train: 0.879000, val 0.874000`); under mpirun the
    /// output is a terminal, so they follow the progress bar's carriage returns.
    func accuracies(_ stdout: String) -> [String] {
        stdout.matches(of: #/Finished epoch \d+ / \d+: cost [0-9.]+, (train: [0-9.]+, val [0-9.]+)/#).map { String($0.output.1) }
    }

    @Test(.enabled(if: SearchClusterCommandTests.available, SearchClusterCommandTests.reason), .timeLimit(.minutes(3)),
          arguments: [2, 3])
    func ranksTrainTheModelOfOneProcess(ranks: Int) throws {
        let (alone, shared) = (folder(), folder())
        defer { for f in [alone, shared] { try? FileManager.default.removeItem(atPath: f) } }
        let one = try GradCommandTests.run(Self.arguments + ["--epochs", "2", "--out", alone])
        let many = try Self.mpiTrain(ranks: ranks, ["--epochs", "2", "--out", shared])
        #expect(one.status == 0 && many.status == 0, "\(many.stdout)\n\(many.stderr)")
        #expect(many.stdout.contains("data-parallel: \(ranks) ranks share each batch of 50"), "\(many.stdout)")
        // Rank 0 alone prints: two epoch lines, not 2 × ranks.
        #expect(accuracies(many.stdout).count == 2)
        #expect(accuracies(many.stdout) == accuracies(one.stdout))
        expectClose(try lastWeights(shared), try lastWeights(alone))
    }

    @Test(.enabled(if: SearchClusterCommandTests.available, SearchClusterCommandTests.reason), .timeLimit(.minutes(4)),
          arguments: [2, 3])
    func ranksTrainACNNWithBatchNormAsOneProcessDoes(ranks: Int) throws {
        let (alone, shared) = (folder(), folder())
        defer { for f in [alone, shared] { try? FileManager.default.removeItem(atPath: f) } }
        let one = try GradCommandTests.run(Self.batchNormArguments + ["--epochs", "2", "--out", alone])
        let many = try Self.mpiTrain(ranks: ranks, ["--epochs", "2", "--out", shared], base: Self.batchNormArguments)
        #expect(one.status == 0 && many.status == 0, "\(many.stdout)\n\(many.stderr)")
        #expect(accuracies(many.stdout).count == 2)
        #expect(accuracies(many.stdout) == accuracies(one.stdout))
        // The test set is shared among the ranks too; its accuracy is one process's.
        let testLine = { (stdout: String) in stdout.split(separator: "\n").first { $0.hasPrefix("test accuracy") }.map(String.init) }
        #expect(testLine(many.stdout) != nil && testLine(many.stdout) == testLine(one.stdout))
        expectClose(try lastWeights(shared), try lastWeights(alone))
        // Every step's loss (the history's steps.csv) within 1e-4.
        let losses = { (folder: String) in
            History(epochCSV: "", stepCSV: try String(contentsOfFile: folder + "/steps.csv", encoding: .utf8)).stepLosses
        }
        let (a, b) = (try losses(shared), try losses(alone))
        #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(abs($0), abs($1), 1) })
    }

    @Test func anUnknownBatchNormStatisticsIsRefused() throws {
        let run = try GradCommandTests.run(Self.arguments + ["--batchnorm-stats", "shared"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--batchnorm-stats: 'shared' is not one of: global, rank"), "\(run.stderr)")
    }

    @Test(.enabled(if: SearchClusterCommandTests.available, SearchClusterCommandTests.reason), .timeLimit(.minutes(3)))
    func aRunOfTwoRanksResumesInOneProcess() throws {
        let (through, split) = (folder(), folder())
        defer { for f in [through, split] { try? FileManager.default.removeItem(atPath: f) } }
        let reference = try GradCommandTests.run(Self.arguments + ["--epochs", "2", "--out", through])
        let first = try Self.mpiTrain(ranks: 2, ["--epochs", "1", "--out", split])
        let resumed = try GradCommandTests.run(["train", "--resume", split, "--epochs", "2"])
        #expect(reference.status == 0 && first.status == 0 && resumed.status == 0, "\(first.stderr)\n\(resumed.stderr)")
        expectClose(try lastWeights(split), try lastWeights(through))
    }
}
