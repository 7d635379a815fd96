#if MPI
import ArgumentParser
import Foundation
import Nabla

extension SearchCommand {
    /// `nabla search` under mpirun: rank 0 runs the search as a serial one would (same plan,
    /// same results file), handing each trial to a free worker rank; the other ranks run the
    /// trials they are given. Because `--enable-recovery` makes mpirun's exit code meaningless,
    /// rank 0 ends with a line that says how the search went and exits with the matching code.
    /// Returns false, having done nothing, in a job of one rank: the search then runs as usual.
    func searchOnCluster(_ plan: SearchPlan) throws -> Bool {
        let transport = try MPITransport()
        defer { transport.finalize() }
        guard transport.size > 1 else { return false }
        let localRanks = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? transport.size
        let blasThreads = max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, localRanks - 1))
        if transport.rank == 0 {
            try coordinate(plan, transport: transport)
        } else {
            try serve(transport: transport, blasThreads: blasThreads)
        }
        return true
    }

    private func coordinate(_ plan: SearchPlan, transport: MPITransport) throws {
        let coordinator = ClusterCoordinator(transport: transport, heartbeatTimeout: heartbeatTimeout)
        do {
            let results = try prepareFolder()
            print("cluster search: rank 0 coordinates \(transport.size - 1) worker ranks")
            let search = HyperparameterSearch(plan: plan, results: results) { _ in
                throw SearchError("unreachable: trials run on the worker ranks")
            }
            search.dispatcher = { requests, finished in try coordinator.run(requests, finished: finished) }
            let records = try search.run()
            coordinator.stopWorkers()
            try report(records, plan: plan)
            print("search finished: \(records.count) trials, \(coordinator.lostWorkers.count) lost workers")
            fflush(stdout)
        } catch {
            coordinator.stopWorkers()
            print("search failed: \(error) (\(coordinator.lostWorkers.count) lost workers); run again with --resume to continue")
            fflush(stdout)
            throw ExitCode.failure
        }
    }

    private func serve(transport: MPITransport, blasThreads: Int) throws {
        // Tests only: this rank dies, with its trial's process, as soon as its first trial is
        // running, as a worker whose machine fails would (a delay would race with trials that
        // take well under a second).
        let doomed = ProcessInfo.processInfo.environment["NABLA_TEST_KILL_RANK"].flatMap { Int($0) } == transport.rank
        let worker = ClusterWorker(transport: transport, coordinatorTimeout: heartbeatTimeout)
        try worker.serve { request, heartbeat in
            try runTrial(request, blasThreads: blasThreads) { pid in
                if doomed {
                    kill(pid, SIGKILL)
                    kill(getpid(), SIGKILL)
                }
                heartbeat()
            }
        }
    }
}
#endif
