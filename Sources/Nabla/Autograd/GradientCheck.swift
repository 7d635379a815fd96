/// The outcome of comparing analytic gradients with centered finite differences.
public struct GradientCheckResult: CustomStringConvertible {
    /// One input's comparison.
    public struct Entry {
        /// Which input (position in the list given to `checkGradients`).
        public var input: Int
        /// The worst relative error over this input's elements.
        public var maxRelativeError: Double
        /// The index of the worst element.
        public var worstIndex: [Int]
        /// The analytic and numeric derivatives at the worst element.
        public var analytic: Double
        public var numeric: Double
    }

    /// One entry per input.
    public var entries: [Entry]

    /// The worst relative error over all inputs.
    public var maxRelativeError: Double { entries.map(\.maxRelativeError).max() ?? 0 }

    /// The entry holding the worst element.
    public var worst: Entry? { entries.max { $0.maxRelativeError < $1.maxRelativeError } }

    /// Whether every relative error is at most `tolerance`.
    public func passed(tolerance: Double = 1e-6) -> Bool { maxRelativeError <= tolerance }

    public var description: String {
        entries.map { e in
            "input \(e.input): max relative error \(Tensor.format(e.maxRelativeError)) at \(e.worstIndex) (analytic \(e.analytic), numeric \(e.numeric))"
        }.joined(separator: "\n")
    }
}

/// The relative error `|a - n| / max(|a|, |n|)` between an analytic and a numeric derivative.
///
/// When both are zero the error is 0. When both are below `floor` in magnitude the pair is compared
/// against `floor` instead, since the formula then measures only round-off in the differences.
public func relativeError(_ a: Double, _ n: Double, floor: Double = 1e-10) -> Double {
    let scale = Swift.max(Swift.abs(a), Swift.abs(n), floor)
    return Swift.abs(a - n) / scale
}

/// Compares the gradients of `f` found by backpropagation with centered finite differences
/// `(f(x + h) - f(x - h)) / 2h`, element by element, in double precision.
///
/// The default step `h = 1e-5` balances the two errors of the estimate: truncation grows as `h²`,
/// round-off as `ε/h` (about 1e-11 here).
///
/// The inputs are converted to `Double`. When `f` returns more than one element, the checked
/// function is `Σ f(x) ⊙ R` with a fixed random `R`, so that every output element matters
/// (a plain sum would hide errors in ops such as softmax whose outputs always sum to 1).
///
/// ```swift
/// let result = checkGradients(at: [x, w]) { v in tanh(matmul(v[0], v[1])) }
/// #expect(result.passed(tolerance: 1e-6))
/// ```
public func checkGradients(
    at inputs: [Tensor], step h: Double = 1e-5, seed: UInt64 = 0,
    _ f: ([Variable]) -> Variable
) -> GradientCheckResult {
    let points = inputs.map { $0.converted(to: .float64) }
    // The weights R of the checked function Σ f(x) ⊙ R, applied to plain tensors rather than
    // through ops, so that the check needs nothing above the graph: the analytic side seeds
    // `backward` with R, the numeric side sums f(x) ⊙ R directly.
    var projection: Tensor? = nil
    func weights(for out: Tensor) -> Tensor {
        precondition(out.dtype == .float64, "checkGradients: the function returned \(out.dtype); it must compute in the inputs' dtype (float64)")
        if out.count == 1 { return Tensor.ones(like: out) }
        if projection == nil || projection!.shape != out.shape {
            var g = RandomGenerator(seed: seed)
            projection = Tensor.randomNormal(out.shape, dtype: .float64, generator: &g)
        }
        return projection!
    }
    func objective(_ variables: [Variable]) -> Double {
        let out = f(variables).value
        return (out * weights(for: out)).sum().scalar
    }

    // Analytic gradients.
    let variables = points.map { Variable($0, requiresGrad: true) }
    let out = f(variables)
    out.backward(seed: weights(for: out.value))
    let analytic = variables.map { $0.grad ?? Tensor.zeros(like: $0.value) }

    // Numeric gradients, one element at a time, without recording graphs.
    return withoutGradients {
        var entries: [GradientCheckResult.Entry] = []
        for (i, point) in points.enumerated() {
            var entry = GradientCheckResult.Entry(input: i, maxRelativeError: 0, worstIndex: [], analytic: 0, numeric: 0)
            for k in 0..<point.count {
                func value(at x: Double) -> Double {
                    var moved = points
                    moved[i][flat: k] = x
                    return objective(moved.map { Variable($0) })
                }
                let x = point[flat: k]
                let numeric = (value(at: x + h) - value(at: x - h)) / (2 * h)
                let a = analytic[i][flat: k]
                let error = relativeError(a, numeric)
                if error > entry.maxRelativeError || entry.worstIndex.isEmpty {
                    entry = .init(input: i, maxRelativeError: error, worstIndex: point.index(ofFlat: k), analytic: a, numeric: numeric)
                }
            }
            entries.append(entry)
        }
        return GradientCheckResult(entries: entries)
    }
}
