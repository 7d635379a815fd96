#if MPI
import CMPI
import Foundation

/// `Communicator` over Open MPI's MPI_COMM_WORLD (built with the package's `MPI` trait): each
/// process started by `mpirun -np N` is one rank.
///
/// It lives in the library, not the CLI, so that a program importing Nabla can train
/// data-parallel under mpirun without the command-line tool. Only the thread that created it
/// calls MPI (MPI_THREAD_FUNNELED). Errors are returned (MPI_ERRORS_RETURN), not fatal.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    private let world = nabla_mpi_comm_world()
    private let startedMPI: Bool

    /// Initializes MPI unless something else in the process already did.
    public init() throws {
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
    }

    private func check(_ status: Int32, _ what: String) throws {
        guard status == nabla_mpi_success() else { throw CommunicatorError("rank \(rank): \(what) failed (MPI error \(status))") }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try check(MPI_Allreduce(nabla_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), nabla_mpi_float(),
                                nabla_mpi_sum(), world), "MPI_Allreduce")
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try check(MPI_Allreduce(nabla_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), nabla_mpi_double(),
                                nabla_mpi_sum(), world), "MPI_Allreduce")
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any CommunicationRequest {
        let request = Request(owner: self)
        try check(MPI_Iallreduce(nabla_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), nabla_mpi_float(),
                                 nabla_mpi_sum(), world, &request.handle), "MPI_Iallreduce")
        return request
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {
        try check(MPI_Bcast(buffer.baseAddress, Int32(buffer.count), nabla_mpi_byte(), Int32(root), world), "MPI_Bcast")
    }

    public func barrier() throws { try check(MPI_Barrier(world), "MPI_Barrier") }

    /// Ends MPI if this communicator started it; call once, on every path out.
    public func finalize() { if startedMPI { _ = MPI_Finalize() } }

    private final class Request: CommunicationRequest {
        var handle: MPI_Request?
        let owner: MPICommunicator
        init(owner: MPICommunicator) { self.owner = owner }
        func wait() throws { try owner.check(MPI_Wait(&handle, nabla_mpi_status_ignore()), "MPI_Wait") }
    }
}
#endif
