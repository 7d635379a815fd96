/// Elementwise maximum. Where both inputs are equal the gradient is split evenly between them,
/// as in PyTorch, which is also what centered finite differences measure at a tie.
public func max(_ a: Variable, _ b: Variable) -> Variable {
    let x = a.value, y = b.value
    return Variable(op: "max", value: max(x, y), inputs: [a, b]) { g in
        let share = (x .> y) + (x .== y) * 0.5
        return [(g * share).unbroadcast(to: x.shape), (g * (1 - share)).unbroadcast(to: y.shape)]
    }
}

/// Elementwise minimum; ties split the gradient evenly (see `max`).
public func min(_ a: Variable, _ b: Variable) -> Variable {
    let x = a.value, y = b.value
    return Variable(op: "min", value: min(x, y), inputs: [a, b]) { g in
        let share = (x .< y) + (x .== y) * 0.5
        return [(g * share).unbroadcast(to: x.shape), (g * (1 - share)).unbroadcast(to: y.shape)]
    }
}

extension Variable {
    /// The maximum over the given axes (all when none). The gradient goes to the maximal elements,
    /// split evenly among ties.
    public func max(alongAxes axes: [Int] = [], keepingDims: Bool = false) -> Variable {
        extremum(alongAxes: axes, keepingDims: keepingDims, op: "max") { $0.reduce(axes: $1, MaxReduce.self, keepingDims: true, op: "max") }
    }

    /// The minimum over the given axes (all when none); ties share the gradient evenly.
    public func min(alongAxes axes: [Int] = [], keepingDims: Bool = false) -> Variable {
        extremum(alongAxes: axes, keepingDims: keepingDims, op: "min") { $0.reduce(axes: $1, MinReduce.self, keepingDims: true, op: "min") }
    }

    private func extremum(alongAxes axes: [Int], keepingDims: Bool, op: String,
                          _ reduce: (Tensor, [Int]) -> Tensor) -> Variable {
        let x = value
        let kept = reduce(x, axes)
        let outShape = keepingDims ? kept.shape : x.shape.enumerated()
            .filter { axes.isEmpty ? false : !axes.map { x.normalizedAxis($0, op: op) }.contains($0.offset) }
            .map(\.element)
        return Variable(op: op, value: kept.reshaped(outShape), inputs: [self]) { g in
            let hits = x .== kept
            let ties = hits.sum(alongAxes: axes.isEmpty ? Array(0..<x.rank) : axes, keepingDims: true)
            return [hits * (g.reshaped(kept.shape) / ties)]
        }
    }
}
