import Foundation
import Testing
@testable import Nabla

/// Ranks as threads: each has a mailbox; `send` drops a message into the receiver's.
final class ThreadCluster: @unchecked Sendable {
    let lock = NSLock()
    var mailboxes: [[(Int, ClusterMessage)]]
    init(size: Int) { mailboxes = Array(repeating: [], count: size) }

    final class Endpoint: ClusterTransport {
        let cluster: ThreadCluster
        let rank: Int
        var size: Int { cluster.mailboxes.count }
        /// Sends to these ranks fail, as a send to a dead peer over TCP does.
        var unreachable: Set<Int> = []
        init(_ cluster: ThreadCluster, rank: Int) { self.cluster = cluster; self.rank = rank }
        func send(_ message: ClusterMessage, to rank: Int) throws {
            if unreachable.contains(rank) { throw SearchError("connection to rank \(rank) closed") }
            // Through the wire format, as MPI would carry it.
            let (tag, payload) = try message.encoded()
            let copy = try ClusterMessage(tag: tag, payload: payload)
            cluster.lock.withLock { cluster.mailboxes[rank].append((self.rank, copy)) }
        }
        func poll() throws -> (source: Int, message: ClusterMessage)? {
            cluster.lock.withLock { cluster.mailboxes[rank].isEmpty ? nil : cluster.mailboxes[rank].removeFirst() }
        }
    }
}

@Suite struct ClusterSearchTests {
    let plan = HyperparameterSearchTests().plan

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("nabla-cluster-\(UUID().uuidString).jsonl").path
    }

    /// Starts workers 1..<size on threads; `behave` may stall a worker (never returning) to play a dead one.
    func startWorkers(_ cluster: ThreadCluster, stall: Int? = nil) -> DispatchGroup {
        let group = DispatchGroup()
        for rank in 1..<cluster.mailboxes.count {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let worker = ClusterWorker(transport: ThreadCluster.Endpoint(cluster, rank: rank), heartbeatInterval: 0.05)
                try? worker.serve { request, heartbeat in
                    if rank == stall { while true { usleep(1_000_000) } }  // silent forever, as a killed rank
                    for _ in 0..<3 { heartbeat(); usleep(10_000) }
                    return HyperparameterSearchTests.fakeTrial(request)
                }
            }
        }
        return group
    }

    @Test func messagesSurviveTheWireFormat() throws {
        let record = TrialRecord(trial: 3, stage: 1, settings: ["lr": 1.5e-4], validationAccuracy: 0.75, epochsRun: 2, seconds: 1.5, status: "ok")
        let request = TrialRequest(trial: 3, stage: 1, epochs: 2, settings: ["lr": 1.5e-4, "reg": 0.25])
        for message in [ClusterMessage.ready, .heartbeat, .result(record), .trial(request), .stop] {
            let (tag, payload) = try message.encoded()
            #expect(try ClusterMessage(tag: tag, payload: payload) == message)
        }
        #expect(throws: SearchError.self) { try ClusterMessage(tag: 9, payload: []) }
        #expect(throws: SearchError.self) { try ClusterMessage(tag: 3, payload: Array("{".utf8)) }
    }

    @Test func workersGiveTheSerialResults() throws {
        let serial = HyperparameterSearch(plan: plan, results: SearchResults(path: temporaryPath()), runTrial: HyperparameterSearchTests.fakeTrial)
        serial.log = { _ in }
        let cluster = ThreadCluster(size: 3)
        let workers = startWorkers(cluster)
        let coordinator = ClusterCoordinator(transport: ThreadCluster.Endpoint(cluster, rank: 0), heartbeatTimeout: 5)
        let search = HyperparameterSearch(plan: plan, results: SearchResults(path: temporaryPath())) { _ in throw SearchError("not here") }
        search.log = { _ in }
        search.dispatcher = { try coordinator.run($0, finished: $1) }
        let records = try search.run()
        coordinator.stopWorkers()
        #expect(workers.wait(timeout: .now() + 10) == .success)
        #expect(records == (try serial.run()))
        #expect(coordinator.lostWorkers.isEmpty)
    }

    @Test func aSilentWorkerIsLostAndItsTrialGoesToAnother() throws {
        let cluster = ThreadCluster(size: 3)
        _ = startWorkers(cluster, stall: 2)
        let coordinator = ClusterCoordinator(transport: ThreadCluster.Endpoint(cluster, rank: 0), heartbeatTimeout: 0.5)
        var lines: [String] = []
        coordinator.log = { lines.append($0) }
        let requests = (0..<5).map { TrialRequest(trial: $0, stage: 0, epochs: 1, settings: ["lr": 1e-4 * Double($0 + 1)]) }
        var finished: [Int] = []
        try coordinator.run(requests) { finished.append($0.trial) }
        coordinator.stopWorkers()
        #expect(finished.sorted() == [0, 1, 2, 3, 4])
        #expect(coordinator.lostWorkers == [2])
        #expect(lines.count == 1 && lines[0].hasPrefix("worker rank 2 lost") && lines[0].hasSuffix("goes to another rank"))
    }

    @Test func aWorkerThatCannotBeReachedIsLostAndItsTrialGoesToAnother() throws {
        let cluster = ThreadCluster(size: 3)
        _ = startWorkers(cluster)
        let endpoint = ThreadCluster.Endpoint(cluster, rank: 0)
        endpoint.unreachable = [1]
        usleep(50_000)  // both workers have said they are ready
        let coordinator = ClusterCoordinator(transport: endpoint, heartbeatTimeout: 5)
        var lines: [String] = []
        coordinator.log = { lines.append($0) }
        let requests = (0..<3).map { TrialRequest(trial: $0, stage: 0, epochs: 1, settings: ["lr": 1e-4 * Double($0 + 1)]) }
        var finished: [Int] = []
        try coordinator.run(requests) { finished.append($0.trial) }
        endpoint.unreachable = []
        coordinator.stopWorkers()
        try endpoint.send(.stop, to: 1)
        #expect(finished.sorted() == [0, 1, 2])
        #expect(coordinator.lostWorkers == [1])
        #expect(lines.count == 1 && lines[0].hasPrefix("worker rank 1 lost (connection to rank 1 closed): trial "), "\(lines)")
    }

    @Test func aWorkerLeavesWhenTheCoordinatorIsSilent() throws {
        let cluster = ThreadCluster(size: 2)
        let worker = ClusterWorker(transport: ThreadCluster.Endpoint(cluster, rank: 1), coordinatorTimeout: 0.3)
        #expect(throws: SearchError("rank 1: the coordinator (rank 0) has been silent for 0.3 s; leaving")) {
            try worker.serve { request, _ in HyperparameterSearchTests.fakeTrial(request) }
        }
    }

    @Test func losingEveryWorkerIsAnErrorNotAHang() throws {
        let cluster = ThreadCluster(size: 2)
        _ = startWorkers(cluster, stall: 1)
        let coordinator = ClusterCoordinator(transport: ThreadCluster.Endpoint(cluster, rank: 0), heartbeatTimeout: 0.3)
        coordinator.log = { _ in }
        let requests = [TrialRequest(trial: 0, stage: 0, epochs: 1, settings: ["lr": 1e-4])]
        #expect(throws: SearchError("every worker is lost; 1 trials did not finish (resuming the search runs them)")) {
            try coordinator.run(requests) { _ in }
        }
    }
}
