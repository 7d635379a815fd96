import Foundation
import Testing
@testable import Nabla
#if canImport(Glibc)
import Glibc
#endif

/// Faults under `mpirun -np 2 nabla train`: a rank killed or stopped mid-epoch ends the job within
/// 30 s with a message naming it, and the run folder resumes (in one process or on two ranks) to
/// the weights of a run that was never interrupted. Every job is ended by the test if it overruns.
@Suite(.serialized) struct TrainClusterFaultTests {
    /// A learning rate low enough that training is not chaotic: at 0.02 the loss climbs for the
    /// first steps and float differences between 1 and 2 ranks grow past 1e-4.
    static let arguments = ["train", "--data", "mnist-5k", "--model", "conv(16, 5, pad: 2), batchnorm, relu, maxpool(2), dropout(0.2), linear(10)",
                            "--lr", "0.005", "--batch-size", "50", "--seed", "2", "--epochs", "3", "--checkpoint-every", "5"]

    /// The uninterrupted run's last weights, trained once for both tests.
    static let reference: Result<[String: [Double]], any Error> = Result {
        let folder = TrainClusterCommandTests().folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try GradCommandTests.run(arguments + ["--out", folder])
        guard run.status == 0 else { throw CommandFailure(run.stderr) }
        return try TrainClusterCommandTests().lastWeights(folder)
    }

    struct CommandFailure: Error { let stderr: String; init(_ stderr: String) { self.stderr = stderr } }

    /// Starts the run on two ranks in `folder`, waits for its first checkpoint (step 5 of 80 in the
    /// first epoch), sends `signal` to rank 1 and waits for the job to end. Returns what it printed
    /// and how long it took to end after the signal, or nil when the run finished before the signal.
    func interrupt(_ folder: String, with signal: Int32, extra: [String] = []) throws -> (run: GradCommandTests.Run, seconds: Double)? {
        let job = try MPIJob(ranks: 2, Self.arguments + ["--out", folder] + extra, timeout: 120)
        let checkpoint = folder + "/checkpoint.safetensors"
        let patience = Date().addingTimeInterval(90)
        while job.process.isRunning && !FileManager.default.fileExists(atPath: checkpoint) && Date() < patience { usleep(20_000) }
        guard job.process.isRunning, let rank1 = job.pid(ofRank: 1) else {
            let (run, _) = job.finish(within: 60)
            #expect(run.status == 0, "\(run.stderr)")
            return nil
        }
        let signalled = Date()
        kill(rank1, signal)
        let (run, endedByItself) = job.finish(within: 60)
        #expect(endedByItself, "the job did not end within 60 s of the signal: \(run.stderr)")
        return (run, Date().timeIntervalSince(signalled))
    }

    func expectReference(_ folder: String) throws {
        let reference = try Self.reference.get()
        TrainClusterCommandTests().expectClose(try TrainClusterCommandTests().lastWeights(folder), reference)
    }

    @Test(.enabled(if: SearchClusterCommandTests.available, SearchClusterCommandTests.reason), .timeLimit(.minutes(5)))
    func aKilledRankEndsTheJobAndTheRunResumesInOneProcess() throws {
        let folder = TrainClusterCommandTests().folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard let result = try interrupt(folder, with: SIGKILL) else { return }
        let (run, seconds) = result
        #expect(run.status != 0)
        #expect(seconds < 30, "the job ended \(seconds) s after the kill")
        #expect(run.stderr.contains("rank 1"), "\(run.stderr)")
        let resumed = try GradCommandTests.run(["train", "--resume", folder])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try expectReference(folder)
    }

    @Test(.enabled(if: SearchClusterCommandTests.available, SearchClusterCommandTests.reason), .timeLimit(.minutes(5)))
    func aStoppedRankIsNamedAfterTheTimeoutAndTheRunResumesOnTwoRanks() throws {
        let folder = TrainClusterCommandTests().folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard let result = try interrupt(folder, with: SIGSTOP, extra: ["--comm-timeout", "3"]) else { return }
        let (run, seconds) = result
        #expect(run.status != 0)
        #expect(seconds < 30, "the job ended \(seconds) s after rank 1 stopped")
        #expect(run.stderr.contains("rank 1 did not answer within 3 s"), "\(run.stderr)")
        let resumed = try TrainClusterCommandTests.mpiTrain(ranks: 2, ["--resume", folder], base: ["train"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try expectReference(folder)
    }
}
