/// The gradients of one data-parallel step, summed across ranks in buckets of about `capacity`
/// floats, last layer first (PyTorch DDP's reducer). Backward tells the buckets when a
/// parameter's gradient is final (`gradientIsFinal`, the hook of `Variable.backward`); a bucket
/// whose parameters are all final starts its non-blocking allreduce at once, in bucket order, so
/// the reduction of the last layers overlaps the backward pass through the first ones.
///
/// Every rank builds the same buckets and backward visits the same graph in the same order, so
/// the ranks start the same reductions in the same order.
final class GradientBuckets {
    private let parameters: [Variable]
    private let communicator: any Communicator
    /// Parameter indices per bucket: float32 parameters from the last, up to `capacity` floats each.
    private let buckets: [[Int]]
    private var bucketOf: [ObjectIdentifier: Int] = [:]
    /// Per bucket, the parameters whose gradient is not final yet.
    private var pending: [Int]
    private var started: [(buffer: UnsafeMutableBufferPointer<Float>, request: any CommunicationRequest)] = []
    /// The first failure to start a reduction during backward (the hook cannot throw).
    private var failure: Error?

    init(parameters: [Variable], communicator: any Communicator, capacity: Int) {
        self.parameters = parameters
        self.communicator = communicator
        var buckets: [[Int]] = [], current: [Int] = [], filled = 0
        for i in parameters.indices.reversed() where parameters[i].value.dtype == .float32 {
            if filled > 0 && filled + parameters[i].value.count > capacity {
                buckets.append(current)
                (current, filled) = ([], 0)
            }
            current.append(i)
            filled += parameters[i].value.count
        }
        if !current.isEmpty { buckets.append(current) }
        self.buckets = buckets
        pending = buckets.map(\.count)
        for (b, indices) in buckets.enumerated() { for i in indices { bucketOf[ObjectIdentifier(parameters[i])] = b } }
    }

    deinit { for bucket in started { bucket.buffer.deallocate() } }

    /// Backward's hook: `leaf`'s gradient is final. Starts every bucket that is now complete and
    /// whose predecessors have started.
    func gradientIsFinal(_ leaf: Variable) {
        guard let b = bucketOf[ObjectIdentifier(leaf)] else { return }
        pending[b] -= 1
        while failure == nil, started.count < buckets.count, pending[started.count] == 0 { startNext() }
    }

    /// After backward: starts the buckets not started yet (a parameter that got no gradient counts
    /// as zeros), waits for every reduction and stores the sums as the parameters' gradients.
    func finish() throws {
        if let failure { throw failure }
        while started.count < buckets.count {
            startNext()
            if let failure { throw failure }
        }
        for (indices, bucket) in zip(buckets, started) {
            try bucket.request.wait()
            var offset = 0
            for i in indices {
                let gradient = Tensor(uninitializedShape: parameters[i].value.shape, dtype: .float32)
                gradient.pointer(Float.self).update(from: bucket.buffer.baseAddress! + offset, count: gradient.count)
                parameters[i].grad = gradient
                offset += gradient.count
            }
        }
        // float64 models are rare and small: one blocking allreduce per parameter.
        for variable in parameters where variable.value.dtype == .float64 {
            var gradient = variable.grad ?? Tensor.zeros(like: variable.value)
            gradient.makeUnique()
            try communicator.allreduceSum(UnsafeMutableBufferPointer(start: gradient.pointer(Double.self), count: gradient.count))
            variable.grad = gradient
        }
    }

    /// Packs the next bucket's gradients and starts their sum.
    private func startNext() {
        let indices = buckets[started.count]
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: indices.reduce(0) { $0 + parameters[$1].value.count })
        var offset = 0
        for i in indices {
            let n = parameters[i].value.count
            if let grad = parameters[i].grad {
                (buffer.baseAddress! + offset).update(from: grad.pointer(Float.self), count: n)
            } else {
                (buffer.baseAddress! + offset).update(repeating: 0, count: n)
            }
            offset += n
        }
        do {
            started.append((buffer, try communicator.startAllreduceSum(buffer)))
        } catch {
            buffer.deallocate()
            failure = error
        }
    }
}
