import Foundation

/// Ranks as threads of one process: data-parallel training and its tests without MPI.
///
/// ```swift
/// let weights = try InProcessGroup.run(ranks: 3) { communicator in
///     let trainer = Trainer(model: makeModel(), optimizer: …)
///     trainer.communicator = communicator
///     try trainer.fit(train: train, validation: validation)
///     return trainer.model.parameters()
/// }
/// ```
///
/// Sums are taken in rank order on every rank (`((b₀ + b₁) + b₂) …`), so results are the same
/// whatever the threads' timing. A rank that fails ends the others' waits with an error naming
/// it; a rank that does not arrive within `timeout` seconds is named in the others' errors.
public final class InProcessGroup {
    /// The number of ranks.
    public let size: Int
    /// Seconds a rank waits for the others at a collective operation before giving up.
    public let timeout: TimeInterval

    private let condition = NSCondition()
    private var arrived: [Bool]
    private var arrivals = 0
    private var generation = 0
    private var failure: String?
    private var posted: [UnsafeMutableRawPointer?]
    private var counts: [Int]

    public init(size: Int, timeout: TimeInterval = 60) {
        precondition(size >= 1, "InProcessGroup: size must be at least 1, got \(size)")
        self.size = size
        self.timeout = timeout
        arrived = Array(repeating: false, count: size)
        posted = Array(repeating: nil, count: size)
        counts = Array(repeating: 0, count: size)
    }

    /// The communicator of one rank; give each to its own thread.
    public func communicator(rank: Int) -> InProcessCommunicator {
        precondition((0..<size).contains(rank), "InProcessGroup: rank \(rank) outside 0..<\(size)")
        return InProcessCommunicator(group: self, rank: rank)
    }

    /// Runs `body` once per rank, each on a thread of its own, and returns their results in rank
    /// order. If a rank throws, the others' collective operations fail and the first rank's own
    /// error (in rank order) is rethrown.
    public static func run<R>(ranks: Int, timeout: TimeInterval = 60,
                              _ body: @escaping (InProcessCommunicator) throws -> R) throws -> [R] {
        let group = InProcessGroup(size: ranks, timeout: timeout)
        let results = Results<R>(count: ranks)
        let done = DispatchGroup()
        for rank in 0..<ranks {
            done.enter()
            let thread = Thread {
                let result = Result { try body(group.communicator(rank: rank)) }
                if case .failure(let error) = result { group.fail(rank: rank, error) }
                results.store(result, rank: rank)
                done.leave()
            }
            thread.stackSize = 16 << 20   // training recurses through the graph: more than the default 512 KiB
            thread.start()
        }
        done.wait()
        // The failing rank's own error, not the peers' "rank r failed" echoes of it.
        let failures = results.all.compactMap { result -> Error? in if case .failure(let e)? = result { return e } else { return nil } }
        if let first = failures.first(where: { !($0 is CommunicatorError) }) ?? failures.first { throw first }
        return results.all.map { try! $0!.get() }
    }

    /// The ranks' results, written by their threads under a lock.
    private final class Results<R> {
        private let lock = NSLock()
        private var values: [Result<R, Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func store(_ result: Result<R, Error>, rank: Int) { lock.lock(); values[rank] = result; lock.unlock() }
        var all: [Result<R, Error>?] { lock.lock(); defer { lock.unlock() }; return values }
    }

    func fail(rank: Int, _ error: Error) {
        condition.lock(); defer { condition.unlock() }
        if failure == nil { failure = "rank \(rank) failed: \(error)" }
        condition.broadcast()
    }

    /// Waits until every rank has arrived; `post` runs under the lock first (to publish a buffer).
    func meet(rank: Int, post: () -> Void = {}) throws {
        condition.lock(); defer { condition.unlock() }
        if let failure { throw CommunicatorError(failure) }
        post()
        let ticket = generation
        arrived[rank] = true
        arrivals += 1
        if arrivals == size {
            arrivals = 0
            arrived = Array(repeating: false, count: size)
            generation += 1
            condition.broadcast()
            return
        }
        let deadline = Date().addingTimeInterval(timeout)
        while generation == ticket && failure == nil {
            if !condition.wait(until: deadline) && generation == ticket && failure == nil {
                let missing = (0..<size).filter { !arrived[$0] }.map(String.init).joined(separator: ", ")
                failure = "rank \(missing) did not reach a collective operation within \(String(format: "%g", timeout)) s"
                condition.broadcast()
            }
        }
        if generation == ticket, let failure { throw CommunicatorError(failure) }
    }

    func allreduceSum<T: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>, rank: Int) throws {
        try meet(rank: rank) { posted[rank] = UnsafeMutableRawPointer(buffer.baseAddress); counts[rank] = buffer.count }
        // Between the two meetings nobody writes: every rank reads all buffers and sums them in rank order.
        guard counts.allSatisfy({ $0 == buffer.count }) else {
            throw CommunicatorError("allreduce: ranks passed buffers of different lengths \(counts)")
        }
        var sum = [T](repeating: 0, count: buffer.count)
        for source in 0..<size {
            guard let pointer = posted[source]?.assumingMemoryBound(to: T.self) else { continue }
            for i in 0..<buffer.count { sum[i] += pointer[i] }
        }
        try meet(rank: rank)
        _ = sum.withUnsafeBufferPointer { buffer.update(fromContentsOf: $0) }
    }

    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int, rank: Int) throws {
        try meet(rank: rank) { posted[rank] = buffer.baseAddress; counts[rank] = buffer.count }
        guard counts.allSatisfy({ $0 == buffer.count }) else {
            throw CommunicatorError("broadcast: ranks passed buffers of different sizes \(counts)")
        }
        if rank != root, buffer.count > 0, let source = posted[root] {
            buffer.baseAddress!.copyMemory(from: source, byteCount: buffer.count)
        }
        try meet(rank: rank)   // the root's buffer stays untouched until every rank has copied it
    }
}

/// One rank of an `InProcessGroup`.
public final class InProcessCommunicator: Communicator {
    public let rank: Int
    public var size: Int { group.size }
    private let group: InProcessGroup

    init(group: InProcessGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws { try group.allreduceSum(buffer, rank: rank) }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws { try group.allreduceSum(buffer, rank: rank) }
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws { try group.broadcast(buffer, from: root, rank: rank) }
    public func barrier() throws { try group.meet(rank: rank) }

    /// Threads share memory, so there is nothing to overlap: the sum is taken when the request is waited on.
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any CommunicationRequest {
        Deferred { try self.allreduceSum(buffer) }
    }

    private final class Deferred: CommunicationRequest {
        let operation: () throws -> Void
        init(_ operation: @escaping () throws -> Void) { self.operation = operation }
        func wait() throws { try operation() }
    }
}
