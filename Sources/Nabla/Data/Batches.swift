/// One mini-batch: features `[B, …]` and their labels.
public struct Batch {
    public var features: Tensor
    public var labels: [Int]
}

extension Dataset {
    /// The index lists of one epoch's mini-batches.
    ///
    /// - Parameters:
    ///   - size: examples per batch.
    ///   - shuffle: draw a new order from `generator` (else in order).
    ///   - dropLast: drop a last batch smaller than `size`.
    public func batchIndices(size: Int, shuffle: Bool, dropLast: Bool = false,
                             generator: inout RandomGenerator) -> [[Int]] {
        precondition(size > 0, "batchIndices: batch size must be positive, got \(size)")
        let order = shuffle ? generator.permutation(count) : Array(0..<count)
        return stride(from: 0, to: count, by: size).compactMap { start in
            let end = Swift.min(start + size, count)
            return dropLast && end - start < size ? nil : Array(order[start..<end])
        }
    }

    /// The examples at `indices` as a batch.
    public func batch(_ indices: [Int]) -> Batch {
        Batch(features: features(at: indices), labels: indices.map { labels[$0] })
    }
}
