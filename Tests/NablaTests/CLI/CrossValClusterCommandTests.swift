import Foundation
import Testing
@testable import Nabla

/// `mpirun -np N nabla crossval …` spreads the folds over the ranks: the same fold results and
/// summary as one process, every fold's folder written. Skipped without the MPI build or mpirun.
@Suite(.serialized) struct CrossValClusterCommandTests {
    static let arguments = ["crossval", "--data", "mnist-5k", "--model", "linear(32), relu, linear(10)", "--folds", "3",
                            "--epochs", "2", "--lr", "0.05", "--seed", "1", "--quiet"]

    /// Runs `nabla crossval` under `mpirun -np ranks`, one BLAS thread per rank (one rank: the
    /// serial command with the same threads). `timeout` ends a job that hangs (mpirun, on
    /// SIGTERM, ends its ranks, whose pipes then close), so a fault cannot hang `make test`.
    static func mpiCrossval(ranks: Int, _ extra: [String] = []) throws -> GradCommandTests.Run {
        let nabla = try #require(GradCommandTests.nablaExecutable())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-k", "10", "120", SearchClusterCommandTests.mpirun!, "--oversubscribe", "--allow-run-as-root",
                             "--host", "127.0.0.1:\(ranks)", "-np", "\(ranks)", "-x", "OPENBLAS_NUM_THREADS=1", nabla.path]
            + arguments + extra
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stderr = Box(Data())
        let stderrReader = DispatchQueue(label: "stderr")
        stderrReader.async { stderr.value = errors.fileHandleForReading.readDataToEndOfFile() }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        stderrReader.sync {}
        return .init(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                     stderr: String(decoding: stderr.value, as: UTF8.self))
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
