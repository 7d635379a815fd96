import Foundation

/// A message between the coordinator (rank 0) and a worker of a cluster search.
public enum ClusterMessage: Equatable {
    /// A worker is up and waiting for a trial.
    case ready
    /// A worker is still training.
    case heartbeat
    /// A worker's finished trial.
    case result(TrialRecord)
    /// The coordinator's order to run a trial.
    case trial(TrialRequest)
    /// The coordinator's order to leave.
    case stop

    /// The message tag and the payload bytes (JSON for records and requests).
    public func encoded() throws -> (tag: Int32, payload: [UInt8]) {
        switch self {
        case .ready: return (1, [])
        case .heartbeat: return (2, [])
        case .result(let record): return (3, Array(try JSONEncoder().encode(record)))
        case .trial(let request): return (4, Array(try JSONEncoder().encode(request)))
        case .stop: return (5, [])
        }
    }

    /// Decodes what `encoded()` made.
    /// - Throws: `SearchError` for an unknown tag or a payload that does not decode.
    public init(tag: Int32, payload: [UInt8]) throws {
        do {
            switch tag {
            case 1: self = .ready
            case 2: self = .heartbeat
            case 3: self = .result(try JSONDecoder().decode(TrialRecord.self, from: Data(payload)))
            case 4: self = .trial(try JSONDecoder().decode(TrialRequest.self, from: Data(payload)))
            case 5: self = .stop
            default: throw SearchError("cluster message with unknown tag \(tag)")
            }
        } catch let error as SearchError {
            throw error
        } catch {
            throw SearchError("cluster message with tag \(tag) does not decode: \(error)")
        }
    }
}

/// How the ranks of a cluster search talk: point-to-point messages (MPI in `nabla search`,
/// threads and queues in the tests).
public protocol ClusterTransport: AnyObject {
    /// This process's rank; 0 is the coordinator.
    var rank: Int { get }
    /// How many ranks there are.
    var size: Int { get }
    /// Sends `message` to `rank` (must not wait for the receiver to take it).
    func send(_ message: ClusterMessage, to rank: Int) throws
    /// The next message that has arrived from any rank, or nil at once when there is none.
    func poll() throws -> (source: Int, message: ClusterMessage)?
}

extension ClusterTransport {
    /// Waits for the next message, polling (a blocking MPI receive would spin a core at 100%,
    /// which the trials on the same machine need).
    public func receive(pollInterval: Double = 0.005) throws -> (source: Int, message: ClusterMessage) {
        while true {
            if let next = try poll() { return next }
            usleep(useconds_t(pollInterval * 1e6))
        }
    }
}

/// Rank 0 of a cluster search: hands out trials to the workers as they become free, gathers
/// their results, and declares lost a worker silent for longer than `heartbeatTimeout` while it
/// holds a trial (or before it ever says it is ready), giving its trial to another worker.
/// Plug it into `HyperparameterSearch.dispatcher`, so the plan, the results file and the report
/// are the serial search's.
public final class ClusterCoordinator {
    public let transport: any ClusterTransport
    /// Seconds of silence after which a worker is lost.
    public let heartbeatTimeout: Double
    /// Where lines about lost workers go.
    public var log: (String) -> Void = { print($0); fflush(stdout) }
    /// The ranks declared lost, in the order they were.
    public private(set) var lostWorkers: [Int] = []

    private var idle: [Int] = []
    private var busy: [Int: TrialRequest] = [:]
    private var lastHeard: [Int: Double] = [:]
    private var alive: Set<Int>

    public init(transport: any ClusterTransport, heartbeatTimeout: Double = 30) {
        self.transport = transport
        self.heartbeatTimeout = heartbeatTimeout
        alive = Set(1..<Swift.max(1, transport.size))
        let now = Self.now()
        for rank in alive { lastHeard[rank] = now }
    }

    static func now() -> Double { Date().timeIntervalSinceReferenceDate }

    /// Runs `requests` on the workers; returns once every one has a result.
    /// - Throws: `SearchError` when every worker is lost with trials left.
    public func run(_ requests: [TrialRequest], finished: (TrialRecord) throws -> Void) throws {
        var queue = requests[...]
        var remaining = Set(requests.map(\.trial))
        var lastPing = 0.0
        while !remaining.isEmpty {
            // Workers waiting for a trial hear from the coordinator every second, so that they
            // can tell a long wait from a dead coordinator.
            if Self.now() - lastPing >= 1 {
                for rank in idle { try? transport.send(.heartbeat, to: rank) }
                lastPing = Self.now()
            }
            while !queue.isEmpty, !idle.isEmpty {
                let rank = idle.removeFirst(), request = queue.removeFirst()
                do {
                    try transport.send(.trial(request), to: rank)
                } catch {
                    // A worker that died while idle: over TCP the send fails (over shared memory it
                    // goes through, and the silence gives the worker away later).
                    queue.insert(request, at: queue.startIndex)
                    alive.remove(rank)
                    lostWorkers.append(rank)
                    log("worker rank \(rank) lost (\(error)): trial \(request.trial + 1) goes to another rank")
                    if alive.isEmpty { throw SearchError("every worker is lost; \(remaining.count) trials did not finish (resuming the search runs them)") }
                    continue
                }
                busy[rank] = request
                lastHeard[rank] = Self.now()
            }
            if let (source, message) = try transport.poll() {
                guard alive.contains(source) else { continue }  // a lost worker stays lost
                lastHeard[source] = Self.now()
                switch message {
                case .ready:
                    if busy[source] == nil && !idle.contains(source) { idle.append(source) }
                case .result(let record):
                    guard busy[source]?.trial == record.trial, remaining.contains(record.trial) else { break }
                    busy[source] = nil
                    idle.append(source)
                    remaining.remove(record.trial)
                    try finished(record)
                case .heartbeat, .trial, .stop:
                    break
                }
            } else {
                usleep(2_000)
            }
            let now = Self.now()
            for rank in alive.sorted() where !idle.contains(rank) && now - lastHeard[rank]! > heartbeatTimeout {
                alive.remove(rank)
                lostWorkers.append(rank)
                if let request = busy.removeValue(forKey: rank) {
                    queue.insert(request, at: queue.startIndex)
                    log("worker rank \(rank) lost (silent for \(String(format: "%.0f", now - lastHeard[rank]!)) s): trial \(request.trial + 1) goes to another rank")
                } else {
                    log("worker rank \(rank) lost (silent for \(String(format: "%.0f", now - lastHeard[rank]!)) s)")
                }
            }
            if alive.isEmpty {
                throw SearchError("every worker is lost; \(remaining.count) trials did not finish (resuming the search runs them)")
            }
        }
    }

    /// Tells every worker still alive to leave.
    public func stopWorkers() {
        for rank in alive.sorted() { try? transport.send(.stop, to: rank) }
    }
}

/// A worker rank of a cluster search: says it is ready, then runs each trial it is given,
/// sending a heartbeat at most every `heartbeatInterval` seconds while it trains, and its record
/// when done; returns when told to stop.
public final class ClusterWorker {
    public let transport: any ClusterTransport
    public let heartbeatInterval: Double
    /// Seconds without a word from the coordinator (it pings waiting workers every second) after
    /// which a waiting worker leaves with an error instead of waiting forever; nil: wait forever.
    public let coordinatorTimeout: Double?

    public init(transport: any ClusterTransport, heartbeatInterval: Double = 1, coordinatorTimeout: Double? = nil) {
        self.transport = transport
        self.heartbeatInterval = heartbeatInterval
        self.coordinatorTimeout = coordinatorTimeout
    }

    /// The coordinator's next message, or an error once it has been silent too long.
    private func nextFromCoordinator() throws -> ClusterMessage {
        let waiting = ClusterCoordinator.now()
        while true {
            if let (source, message) = try transport.poll(), source == 0 { return message }
            if let timeout = coordinatorTimeout, ClusterCoordinator.now() - waiting > timeout {
                throw SearchError("rank \(transport.rank): the coordinator (rank 0) has been silent for \(SearchSpace.short(timeout)) s; leaving")
            }
            usleep(5_000)
        }
    }

    /// Serves trials. `runTrial` must call the heartbeat closure often (it sends only when due);
    /// a trial that throws is reported as failed, with the error as its message.
    public func serve(_ runTrial: (TrialRequest, _ heartbeat: () -> Void) throws -> TrialRecord) throws {
        try transport.send(.ready, to: 0)
        while true {
            switch try nextFromCoordinator() {
            case .stop:
                return
            case .trial(let request):
                var last = ClusterCoordinator.now()
                var failure: Error?
                let heartbeat = {
                    let now = ClusterCoordinator.now()
                    guard now - last >= self.heartbeatInterval else { return }
                    last = now
                    do { try self.transport.send(.heartbeat, to: 0) } catch { failure = error }
                }
                let started = Date()
                let record: TrialRecord
                do {
                    record = try runTrial(request, heartbeat)
                } catch {
                    record = TrialRecord(trial: request.trial, stage: request.stage, settings: request.settings,
                                         validationAccuracy: nil, epochsRun: 0, seconds: Date().timeIntervalSince(started),
                                         status: "failed", message: "\(error)")
                }
                if let failure { throw failure }
                try transport.send(.result(record), to: 0)
            case .ready, .heartbeat, .result:
                break
            }
        }
    }
}
