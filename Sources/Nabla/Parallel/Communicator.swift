import Foundation

/// The processes (ranks) that train one model together, and the collective operations they
/// use to agree: sums of gradients, copies of rank 0's data, and meeting points.
///
/// Every rank calls the same collective operations in the same order (as with MPI); a rank that
/// calls a different one, or none, leaves the others waiting until the communicator gives up
/// with an error naming it. Two implementations: `InProcessGroup` (ranks as threads of one
/// process, for tests and machines without MPI) and `MPICommunicator` (built with the `MPI` trait).
public protocol Communicator: AnyObject {
    /// This process's number, from 0.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }

    /// Replaces `buffer` on every rank with the element-wise sum of all ranks' buffers (same count everywhere).
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// `allreduceSum` for doubles (losses, counts, float64 models).
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Starts `allreduceSum(buffer)` and returns at once; the buffer must stay alive and untouched
    /// until the request's `wait()` returns. Requests complete in the order they were started.
    func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any CommunicationRequest
    /// Copies `root`'s bytes into `buffer` on every other rank (same byte count everywhere).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws
    /// Returns once every rank has called it.
    func barrier() throws
}

/// A collective operation in flight, started by `Communicator.startAllreduceSum`.
public protocol CommunicationRequest: AnyObject {
    /// Blocks until the operation is complete (its buffer holds the result).
    func wait() throws
}

/// A failed collective operation: a peer that stopped answering, failed, or an MPI error.
public struct CommunicatorError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Communicator {
    /// Sums `values` across ranks (convenience for a few numbers).
    public func allreduceSum(_ values: [Double]) throws -> [Double] {
        var result = values
        try result.withUnsafeMutableBufferPointer { try allreduceSum($0) }
        return result
    }

    /// Rank `root`'s `values` on every rank (the count must be the same everywhere).
    public func broadcast(_ values: [UInt64], from root: Int) throws -> [UInt64] {
        var result = values
        try result.withUnsafeMutableBytes { try broadcast($0, from: root) }
        return result
    }

    /// Rows `[start, end)` of a global batch of `total` examples that this rank computes:
    /// contiguous, in rank order, sizes differing by at most one.
    public func share(of total: Int) -> Range<Int> {
        let start = total * rank / size, end = total * (rank + 1) / size
        return start..<end
    }
}

/// One process alone: every collective operation returns its input. The trainer's default.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any CommunicationRequest { Done() }
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {}
    public func barrier() throws {}

    private final class Done: CommunicationRequest { func wait() throws {} }
}
