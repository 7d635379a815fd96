/// Sums per-feature statistics over the replicas of a model that share each batch under
/// data-parallel training: the seam through which batch norm computes the statistics of the
/// global batch without knowing how the replicas talk to each other.
///
/// A trainer that shares batches installs one on every module of its model
/// (`Module.replicaReduction`) and removes it when training ends; batch norm in training mode
/// then normalizes with the global batch's statistics (`batchNorm(_:gamma:beta:epsilon:counted:sumAcrossReplicas:)`).
/// Modules that keep no batch statistics ignore it.
public protocol ReplicaReduction: AnyObject {
    /// Replaces `values` with their element-wise sum over all replicas (each passes as many).
    ///
    /// Every replica calls it at the same point of the same forward or backward pass. A forward
    /// pass cannot throw: when the replicas cannot be reached, this leaves `values` as they are and
    /// keeps the error for the trainer, which reports it once the pass is over.
    func sumAcrossReplicas(_ values: inout [Double])
}
