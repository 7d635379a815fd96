import Foundation
import Testing
@testable import Nabla

/// `mpirun -np N nabla crossval …` spreads the folds over the ranks: the same fold results and
/// summary as one process, every fold's folder written. Skipped without the MPI build or mpirun.
@Suite(.serialized) struct CrossValClusterCommandTests {
    static let arguments = ["crossval", "--data", "mnist-5k", "--model", "linear(32), relu, linear(10)", "--folds", "3",
                            "--epochs", "2", "--lr", "0.05", "--seed", "1", "--quiet"]

    /// Runs `nabla crossval` under `mpirun -np ranks`, one BLAS thread per rank (one rank: the
    /// serial command with the same threads); `MPIJob` ends a job that hangs.
    static func mpiCrossval(ranks: Int, _ extra: [String] = []) throws -> GradCommandTests.Run {
        try MPIJob(ranks: ranks, arguments + extra, timeout: 110).finish(within: 120).run
    }

    @Test(.enabled(if: SearchClusterCommandTests.available, SearchClusterCommandTests.reason), .timeLimit(.minutes(4)),
          arguments: [2, 3])
    func ranksGiveTheFoldsOfOneProcess(ranks: Int) throws {
        let alone = try Self.mpiCrossval(ranks: 1)
        #expect(alone.status == 0, "\(alone.stderr)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-cv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let spread = try Self.mpiCrossval(ranks: ranks, ["--out", out])
        #expect(spread.status == 0, "\(spread.stderr)")
        #expect(spread.stdout == alone.stdout + "results written to \(out)\n")
        #expect(alone.stdout.split(separator: "\n").filter { $0.hasPrefix("fold ") }.count == 3, "\(alone.stdout)")
        // Each rank wrote the folders of its folds; rank 0 the summary.
        for fold in 1...3 { #expect(FileManager.default.fileExists(atPath: "\(out)/fold-\(fold)/best.safetensors"), "fold \(fold)") }
        #expect(FileManager.default.fileExists(atPath: out + "/crossval.json"))
    }
}
