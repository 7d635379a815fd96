import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `mpirun -np N nabla …` as a child process that a test can watch, signal and always end: mpirun's
/// own `--timeout` ends a job that overruns, and `finish(within:)` kills the ranks and mpirun
/// itself if even that fails, so that a multi-rank test can never hang `make test`.
final class MPIJob: @unchecked Sendable {
    let process = Process()
    private let stdout = Box(Data()), stderr = Box(Data())
    private let readers = DispatchGroup()

    /// Starts `nabla arguments…` on `ranks` ranks of this machine, one BLAS thread each; mpirun ends
    /// the job after `timeout` seconds. `mpirunOptions` go to mpirun (`--enable-recovery`, `-x NAME=VALUE`).
    init(ranks: Int, _ arguments: [String], timeout: Int = 150, mpirunOptions: [String] = []) throws {
        let nabla = try #require(GradCommandTests.nablaExecutable())
        let mpirun = try #require(SearchClusterCommandTests.mpirun)
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = ["--oversubscribe", "--allow-run-as-root", "--timeout", "\(timeout)", "--host", "127.0.0.1:\(ranks)",
                             "-np", "\(ranks)"] + mpirunOptions + ["-x", "OPENBLAS_NUM_THREADS=1", nabla.path] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes while the job runs, so that a full pipe cannot block a rank.
        for (pipe, box) in [(output, stdout), (errors, stderr)] {
            readers.enter()
            DispatchQueue.global().async {
                box.value = pipe.fileHandleForReading.readDataToEndOfFile()
                self.readers.leave()
            }
        }
    }

    /// The processes mpirun started (its ranks), from `/proc`.
    func rankProcesses() -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            // /proc/PID/stat: "pid (name) state ppid …"; the name may hold spaces and parentheses.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == process.processIdentifier
        }
    }

    /// The pid of rank `rank` (mpirun's child whose environment says OMPI_COMM_WORLD_RANK=rank), if it runs.
    func pid(ofRank rank: Int) -> pid_t? {
        rankProcesses().first { pid in
            guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environment.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }
        }
    }

    /// Waits up to `seconds` for the job to end by itself; kills its ranks and mpirun if it does not.
    /// Returns what it printed and its exit status, and whether it ended by itself.
    func finish(within seconds: Double) -> (run: GradCommandTests.Run, endedByItself: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        let endedByItself = !process.isRunning
        if !endedByItself {
            for pid in rankProcesses() { kill(pid, SIGKILL) }
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        // (A rank that outlived mpirun could hold the pipes open: its output is then not waited for.)
        _ = readers.wait(timeout: .now() + 10)
        let run = GradCommandTests.Run(status: process.terminationStatus, stdout: String(decoding: stdout.value, as: UTF8.self),
                                       stderr: String(decoding: stderr.value, as: UTF8.self))
        return (run, endedByItself)
    }
}
