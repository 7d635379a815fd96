extension Variable {
    /// The sum of all elements (rank 0).
    public func sum() -> Variable {
        let shape = self.shape
        return Variable(op: "sum", value: value.sum(), inputs: [self]) { g in [g.broadcast(to: shape)] }
    }

    /// Sums over the given axes; the gradient is copied back along them.
    public func sum(alongAxes axes: Int..., keepingDims: Bool = false) -> Variable {
        sum(alongAxes: axes, keepingDims: keepingDims)
    }

    /// Sums over the given axes; the gradient is copied back along them.
    public func sum(alongAxes axes: [Int], keepingDims: Bool = false) -> Variable {
        let shape = self.shape
        let kept = value.sum(alongAxes: axes, keepingDims: true)
        let out = keepingDims ? kept : value.sum(alongAxes: axes)
        return Variable(op: "sum", value: out, inputs: [self]) { g in
            [g.reshaped(kept.shape).broadcast(to: shape)]
        }
    }

    /// The mean of all elements (rank 0).
    public func mean() -> Variable { sum() * (1 / Double(Swift.max(value.count, 1))) }

    /// Means over the given axes.
    public func mean(alongAxes axes: Int..., keepingDims: Bool = false) -> Variable {
        mean(alongAxes: axes, keepingDims: keepingDims)
    }

    /// Means over the given axes.
    public func mean(alongAxes axes: [Int], keepingDims: Bool = false) -> Variable {
        let n = axes.map { shape[value.normalizedAxis($0, op: "mean")] }.reduce(1, *)
        return sum(alongAxes: axes, keepingDims: keepingDims) * (1 / Double(Swift.max(n, 1)))
    }

    /// The variance over the given axes (all when none), dividing by `n - correction`;
    /// composed from differentiable ops.
    public func variance(alongAxes axes: [Int] = [], correction: Int = 0, keepingDims: Bool = false) -> Variable {
        let axes = axes.isEmpty ? Array(0..<value.rank) : axes
        let n = axes.map { shape[value.normalizedAxis($0, op: "variance")] }.reduce(1, *)
        let deviation = self - mean(alongAxes: axes, keepingDims: true)
        return square(deviation).sum(alongAxes: axes, keepingDims: keepingDims) * (1 / Double(n - correction))
    }
}
