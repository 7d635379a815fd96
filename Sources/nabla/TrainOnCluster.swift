import Foundation
import Nabla

/// `nabla train` started by `mpirun -np N`: the ranks of the job, each running the same command.
/// Rank 0 writes the run folder and prints; the other ranks write nothing but their errors.
struct TrainingJob {
    /// The job's communicator, or nil when this process trains alone.
    let communicator: (any Communicator)?
    /// Whether this process writes the run folder and the console lines (rank 0, or alone).
    var writes: Bool { (communicator?.rank ?? 0) == 0 }
    private let finalize: () -> Void

    /// Joins the MPI job when mpirun started this process (Open MPI sets OMPI_COMM_WORLD_SIZE);
    /// a collective operation that waits longer than `timeout` seconds (`.infinity`: no limit) ends this rank with an error.
    static func join(timeout: Double) throws -> TrainingJob {
        let size = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"].flatMap { Int($0) }
        guard let size, size > 1 else { return TrainingJob(communicator: nil, finalize: {}) }
        #if MPI
        let communicator = try MPICommunicator(timeout: timeout)
        return TrainingJob(communicator: communicator, finalize: { communicator.finalize() })
        #else
        throw CommandError("mpirun started \(size) ranks, but this nabla was built without MPI; build it with `swift build --traits MPI` (make mpi)")
        #endif
    }

    /// Ends MPI after a successful run. After an error the process just exits: mpirun then ends
    /// the other ranks, where MPI_Finalize could wait for peers stuck in a collective operation.
    func finish() { finalize() }
}
