#if MPI
import CMPI
import Foundation

/// `Communicator` over Open MPI's MPI_COMM_WORLD (built with the package's `MPI` trait): each
/// process started by `mpirun -np N` is one rank.
///
/// It lives in the library, not the CLI, so that a program importing Nabla can train
/// data-parallel under mpirun without the command-line tool. Only the thread that created it
/// calls MPI (MPI_THREAD_FUNNELED). Errors are returned (MPI_ERRORS_RETURN), not fatal.
///
/// No wait is unbounded: every collective operation is started non-blocking and polled
/// (MPI_Test) until it completes or `timeout` seconds pass. MPI_Wait would wait forever for a
/// rank that hangs, or one that died where Open MPI does not notice (shared memory on one
/// machine). After a timeout the ranks that gave up tell each other so, and the error names those
/// that stayed silent.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    /// Seconds a collective operation waits for the other ranks before it fails (`.infinity`: no limit).
    public var timeout: TimeInterval
    private let world = nabla_mpi_comm_world()
    private let startedMPI: Bool

    /// Initializes MPI unless something else in the process already did.
    /// - Parameter timeout: seconds a collective operation may wait for the other ranks (20 unless given).
    public init(timeout: TimeInterval = 20) throws {
        var initialized: Int32 = 0
        _ = MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            guard MPI_Init_thread(nil, nil, nabla_mpi_thread_funneled(), &provided) == nabla_mpi_success() else {
                throw CommunicatorError("MPI_Init_thread failed")
            }
        }
        startedMPI = initialized == 0
        _ = MPI_Comm_set_errhandler(world, nabla_mpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        _ = MPI_Comm_rank(world, &rank)
        _ = MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
        self.timeout = timeout
    }

    private func check(_ status: Int32, _ what: String) throws {
        guard status == nabla_mpi_success() else { throw CommunicatorError("rank \(rank): \(what) failed (MPI error \(status))") }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try startAllreduceSum(buffer).wait()
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        var request: MPI_Request?
        try check(MPI_Iallreduce(nabla_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), nabla_mpi_double(),
                                 nabla_mpi_sum(), world, &request), "MPI_Iallreduce")
        try complete(&request, "MPI_Iallreduce")
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any CommunicationRequest {
        let request = Request(owner: self)
        try check(MPI_Iallreduce(nabla_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), nabla_mpi_float(),
                                 nabla_mpi_sum(), world, &request.handle), "MPI_Iallreduce")
        return request
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {
        var request: MPI_Request?
        try check(MPI_Ibcast(buffer.baseAddress, Int32(buffer.count), nabla_mpi_byte(), Int32(root), world, &request), "MPI_Ibcast")
        try complete(&request, "MPI_Ibcast")
    }

    public func barrier() throws {
        var request: MPI_Request?
        try check(MPI_Ibarrier(world, &request), "MPI_Ibarrier")
        try complete(&request, "MPI_Ibarrier")
    }

    /// Ends MPI if this communicator started it; call once, on every path out.
    public func finalize() { if startedMPI { _ = MPI_Finalize() } }

    /// Polls `request` until it completes, or throws once `timeout` seconds have passed.
    private func complete(_ request: inout MPI_Request?, _ what: String) throws {
        let deadline = timeout.isFinite ? DispatchTime.now().uptimeNanoseconds + UInt64(max(timeout, 0) * 1e9) : UInt64.max
        var done: Int32 = 0
        var polls = 0
        while true {
            try check(MPI_Test(&request, &done, nabla_mpi_status_ignore()), what)
            if done != 0 { return }
            polls += 1
            // Spin briefly (a step's reductions usually finish within microseconds of each other),
            // then poll less often, leaving the cores to ranks that still compute.
            if polls > 2000 { usleep(50) }
            if polls % 64 == 0 && DispatchTime.now().uptimeNanoseconds > deadline {
                let silent = silentRanks()
                let who = silent.isEmpty ? "another rank" : "rank " + silent.map(String.init).joined(separator: ", rank ")
                throw CommunicatorError("rank \(rank): \(who) did not answer within \(String(format: "%g", timeout)) s (\(what)); "
                                        + "it died, hangs or stopped training")
            }
        }
    }

    /// After a timeout: the ranks that do not answer. Each rank that gives up sends every other
    /// one a short message and listens for theirs for a few seconds; a rank that is still waiting
    /// in the same operation gives up too and answers, so the silent ones are those stuck elsewhere.
    private func silentRanks() -> [Int] {
        let tag: Int32 = 0x6e61   // outside the tags of the cluster search's messages
        let token = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)   // kept: a send may still read it at exit
        token.pointee = 1
        for other in 0..<size where other != rank {
            var request: MPI_Request?
            _ = MPI_Isend(token, 1, nabla_mpi_byte(), Int32(other), tag, world, &request)
        }
        var heard = Set([rank])
        let grace = DispatchTime.now().uptimeNanoseconds + UInt64(min(5, max(timeout / 4, 0.5)) * 1e9)
        while heard.count < size && DispatchTime.now().uptimeNanoseconds < grace {
            var found: Int32 = 0
            var status = MPI_Status()
            guard MPI_Iprobe(nabla_mpi_any_source(), tag, world, &found, &status) == nabla_mpi_success() else { break }
            if found == 0 { usleep(1000); continue }
            var byte: UInt8 = 0
            _ = MPI_Recv(&byte, 1, nabla_mpi_byte(), status.MPI_SOURCE, tag, world, &status)
            heard.insert(Int(status.MPI_SOURCE))
        }
        return (0..<size).filter { !heard.contains($0) }
    }

    private final class Request: CommunicationRequest {
        var handle: MPI_Request?
        let owner: MPICommunicator
        init(owner: MPICommunicator) { self.owner = owner }
        func wait() throws { try owner.complete(&handle, "MPI_Iallreduce") }
    }
}
#endif
