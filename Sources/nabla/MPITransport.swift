#if MPI
import CMPI
import Foundation
import Nabla

/// `ClusterTransport` over Open MPI's MPI_COMM_WORLD: tagged byte messages, polled with
/// MPI_Iprobe. It sits on the library's `MPICommunicator`, which initializes MPI (only the main
/// thread calls it, MPI_THREAD_FUNNELED: trials run in child processes, so nothing else needs it),
/// knows the rank and size, and has errors returned rather than fatal, so that the coordinator
/// outlives a dead worker.
final class MPITransport: ClusterTransport {
    /// The job's communicator: MPI's start and end, rank and size.
    let communicator: MPICommunicator
    var rank: Int { communicator.rank }
    var size: Int { communicator.size }
    private let world = nabla_mpi_comm_world()

    init() throws {
        do {
            communicator = try MPICommunicator()
        } catch let error as CommunicatorError {
            throw SearchError(error.description)
        }
    }

    func send(_ message: ClusterMessage, to rank: Int) throws {
        let (tag, payload) = try message.encoded()
        // Messages are small (a trial's JSON): Open MPI sends them eagerly, without waiting for the receiver.
        let status = payload.withUnsafeBytes { bytes in
            MPI_Send(bytes.baseAddress, Int32(payload.count), nabla_mpi_byte(), Int32(rank), tag, world)
        }
        guard status == nabla_mpi_success() else { throw SearchError("MPI_Send to rank \(rank) failed (error \(status))") }
    }

    func poll() throws -> (source: Int, message: ClusterMessage)? {
        var flag: Int32 = 0
        var status = MPI_Status()
        let probed = MPI_Iprobe(nabla_mpi_any_source(), nabla_mpi_any_tag(), world, &flag, &status)
        guard probed == nabla_mpi_success() else { throw SearchError("MPI_Iprobe failed (error \(probed))") }
        guard flag != 0 else { return nil }
        var count: Int32 = 0
        _ = MPI_Get_count(&status, nabla_mpi_byte(), &count)
        let (source, tag) = (status.MPI_SOURCE, status.MPI_TAG)
        var payload = [UInt8](repeating: 0, count: Int(max(count, 0)))
        let received = payload.withUnsafeMutableBytes { bytes in
            MPI_Recv(bytes.baseAddress, count, nabla_mpi_byte(), source, tag, world, &status)
        }
        guard received == nabla_mpi_success() else { throw SearchError("MPI_Recv from rank \(source) failed (error \(received))") }
        return (Int(source), try ClusterMessage(tag: tag, payload: payload))
    }

    /// Ends MPI; call once, on every path out.
    func finalize() { communicator.finalize() }
}
#endif
