import Foundation
import Testing
@testable import Nabla

/// `nabla search` under mpirun with 3 ranks on this machine: the same ranked table as a serial
/// search, and a worker killed mid-trial costs no trial. They need the MPI build (`make test`
/// builds it; by hand `swift build --traits MPI`) and Open MPI's mpirun (openmpi-bin).
@Suite(.serialized) struct SearchClusterCommandTests {
    static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static var builtWithMPI: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    static let available = builtWithMPI && mpirun != nil
    static let reason: Comment = builtWithMPI ? "mpirun (Open MPI, Debian's openmpi-bin) is not installed"
        : "built without the MPI trait: `make test` builds with it, or `swift build --traits MPI`"

    /// `mpirun -np 3 nabla search …` on 127.0.0.1; `--enable-recovery` keeps the job alive when a rank
    /// dies. The job always ends within the tests' time limit (`MPIJob` kills it if it overruns).
    static func mpiSearch(out: String, environment: [String: String] = [:], extra: [String] = []) throws -> GradCommandTests.Run {
        var options = ["--enable-recovery"]
        for (name, value) in environment { options += ["-x", "\(name)=\(value)"] }
        let job = try MPIJob(ranks: 3, SearchCommandTests.searchArguments(out: out) + extra, timeout: 150, mpirunOptions: options)
        return job.finish(within: 160).run
    }

    /// The serial search's table, computed once for both tests.
    static let serialTable: Result<[String], any Error> = Result {
        let out = SearchCommandTests.folder("cluster-serial")
        defer { try? FileManager.default.removeItem(atPath: out) }
        return SearchCommandTests.rankedTable(try GradCommandTests.run(SearchCommandTests.searchArguments(out: out)).stdout)
    }

    @Test(.enabled(if: available, reason), .timeLimit(.minutes(3)))
    func threeRanksGiveTheSerialTable() throws {
        let out = SearchCommandTests.folder("cluster")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Self.mpiSearch(out: out)
        #expect(run.stdout.contains("cluster search: rank 0 coordinates 2 worker ranks"), "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.hasSuffix("search finished: 4 trials, 0 lost workers\n"), "\(run.stdout)\n\(run.stderr)")
        let table = SearchCommandTests.rankedTable(run.stdout)
        #expect(table.count == 4)
        #expect(table == (try Self.serialTable.get()))
    }

    @Test(.enabled(if: available, reason), .timeLimit(.minutes(3)))
    func aKilledWorkersTrialGoesToAnotherRank() throws {
        let out = SearchCommandTests.folder("cluster-kill")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Self.mpiSearch(out: out, environment: ["NABLA_TEST_KILL_RANK": "2"], extra: ["--heartbeat-timeout", "4"])
        #expect(run.stdout.contains("worker rank 2 lost"), "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.hasSuffix("search finished: 4 trials, 1 lost workers\n"), "\(run.stdout)\n\(run.stderr)")
        let records = try SearchResults(path: out + "/results.jsonl").load()
        #expect(records.map(\.trial).sorted() == [0, 1, 2, 3])
        #expect(SearchCommandTests.rankedTable(run.stdout) == (try Self.serialTable.get()))
    }
}
