/// How a reduction combines elements.
protocol ReduceKernel {
    static func identity<T: TensorScalar>(_: T.Type) -> T
    static func combine<T: TensorScalar>(_ a: T, _ b: T) -> T
}

enum SumReduce: ReduceKernel {
    @inline(__always) static func identity<T: TensorScalar>(_: T.Type) -> T { 0 }
    @inline(__always) static func combine<T: TensorScalar>(_ a: T, _ b: T) -> T { a + b }
}
enum MaxReduce: ReduceKernel {
    @inline(__always) static func identity<T: TensorScalar>(_: T.Type) -> T { -T.infinity }
    @inline(__always) static func combine<T: TensorScalar>(_ a: T, _ b: T) -> T { MaxKernel.apply(a, b) }
}
enum MinReduce: ReduceKernel {
    @inline(__always) static func identity<T: TensorScalar>(_: T.Type) -> T { T.infinity }
    @inline(__always) static func combine<T: TensorScalar>(_ a: T, _ b: T) -> T { MinKernel.apply(a, b) }
}

/// The sum of `n` contiguous elements, with eight-wide vectors and four accumulators
/// (a plain loop does not vectorize, since float addition is not associative).
@inline(__always)
func contiguousSum<T: TensorScalar>(_ p: UnsafePointer<T>, _ n: Int) -> T {
    var a0 = SIMD8<T>(), a1 = SIMD8<T>(), a2 = SIMD8<T>(), a3 = SIMD8<T>()
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 32 <= n {
        a0 += raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.stride, as: SIMD8<T>.self)
        a1 += raw.loadUnaligned(fromByteOffset: (i + 8) * MemoryLayout<T>.stride, as: SIMD8<T>.self)
        a2 += raw.loadUnaligned(fromByteOffset: (i + 16) * MemoryLayout<T>.stride, as: SIMD8<T>.self)
        a3 += raw.loadUnaligned(fromByteOffset: (i + 24) * MemoryLayout<T>.stride, as: SIMD8<T>.self)
        i += 32
    }
    var total = ((a0 + a1) + (a2 + a3)).sum()
    while i < n { total += p[i]; i += 1 }
    return total
}

extension Tensor {
    /// Reduces one axis with `K`, viewing the tensor as `[outer, n, inner]`.
    func reduce<K: ReduceKernel>(axis: Int, _: K.Type, keepingDims: Bool) -> Tensor {
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        if keepingDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        switch dtype {
        case .float32: Tensor.reduceKernel(K.self, pointer(Float.self), out.pointer(Float.self), outer, n, inner)
        case .float64: Tensor.reduceKernel(K.self, pointer(Double.self), out.pointer(Double.self), outer, n, inner)
        }
        return out
    }

    static func reduceKernel<K: ReduceKernel, T: TensorScalar>(
        _: K.Type, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ outer: Int, _ n: Int, _ inner: Int
    ) {
        let rowsPerChunk = Swift.max(1, Parallel.memoryBoundThreshold / Swift.max(n * inner, 1))
        Parallel.chunks(outer, threshold: rowsPerChunk) { rows in
            for o in rows {
                let src = x + o * n * inner, dst = y + o * inner
                if inner == 1 {
                    if K.self == SumReduce.self {
                        dst[0] = contiguousSum(src, n)
                    } else {
                        var acc = K.identity(T.self)
                        for k in 0..<n { acc = K.combine(acc, src[k]) }
                        dst[0] = acc
                    }
                } else {
                    for j in 0..<inner { dst[j] = K.identity(T.self) }
                    for k in 0..<n {
                        let row = src + k * inner
                        for j in 0..<inner { dst[j] = K.combine(dst[j], row[j]) }
                    }
                }
            }
        }
    }

    /// Reduces the given axes (all when empty) with `K`.
    func reduce<K: ReduceKernel>(axes: [Int], _: K.Type, keepingDims: Bool, op: String) -> Tensor {
        let axes = axes.isEmpty ? Array(0..<rank) : axes.map { normalizedAxis($0, op: op) }
        precondition(Set(axes).count == axes.count, "\(op): axis listed twice in \(axes)")
        if K.self == SumReduce.self && axes.count == rank {
            let out = Tensor.zeros(keepingDims ? [Int](repeating: 1, count: rank) : [], dtype: dtype)
            switch dtype {
            case .float32: out.pointer(Float.self)[0] = Tensor.parallelSum(pointer(Float.self), count)
            case .float64: out.pointer(Double.self)[0] = Tensor.parallelSum(pointer(Double.self), count)
            }
            return out
        }
        var result = self
        for axis in axes.sorted(by: >) { result = result.reduce(axis: axis, K.self, keepingDims: keepingDims) }
        return result
    }

    /// The sum of `n` contiguous elements, split in two halves (on two cores when there are) when large.
    ///
    /// The split does not depend on the number of cores, so the rounding, and with it every number
    /// of a seeded run, is the same on any machine and with any number of threads.
    static func parallelSum<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
        guard n >= Parallel.memoryBoundThreshold else { return contiguousSum(p, n) }
        let half = (n / 2 + 15) & ~15
        var partial: (T, T) = (0, 0)
        withUnsafeMutablePointer(to: &partial) { parts in
            Parallel.forEach(2) { k in
                let part = k == 0 ? contiguousSum(p, half) : contiguousSum(p + half, n - half)
                if k == 0 { parts.pointee.0 = part } else { parts.pointee.1 = part }
            }
        }
        return partial.0 + partial.1
    }

    // MARK: Public reductions

    /// The sum of all elements (rank 0).
    public func sum() -> Tensor { reduce(axes: [], SumReduce.self, keepingDims: false, op: "sum") }
    /// Sums over the given axes; negative axes count from the end.
    public func sum(alongAxes axes: Int..., keepingDims: Bool = false) -> Tensor { sum(alongAxes: axes, keepingDims: keepingDims) }
    /// Sums over the given axes; negative axes count from the end.
    public func sum(alongAxes axes: [Int], keepingDims: Bool = false) -> Tensor {
        precondition(!axes.isEmpty, "sum(alongAxes:): no axes given; use sum() for all")
        return reduce(axes: axes, SumReduce.self, keepingDims: keepingDims, op: "sum")
    }

    /// The mean of all elements (rank 0).
    public func mean() -> Tensor { sum() / Double(Swift.max(count, 1)) }
    /// Means over the given axes.
    public func mean(alongAxes axes: Int..., keepingDims: Bool = false) -> Tensor { mean(alongAxes: axes, keepingDims: keepingDims) }
    /// Means over the given axes.
    public func mean(alongAxes axes: [Int], keepingDims: Bool = false) -> Tensor {
        let n = axes.map { shape[normalizedAxis($0, op: "mean")] }.reduce(1, *)
        return sum(alongAxes: axes, keepingDims: keepingDims) / Double(Swift.max(n, 1))
    }

    /// The largest element (rank 0).
    public func max() -> Tensor { reduce(axes: [], MaxReduce.self, keepingDims: false, op: "max") }
    /// Maxima over the given axes.
    public func max(alongAxes axes: Int..., keepingDims: Bool = false) -> Tensor {
        precondition(!axes.isEmpty, "max(alongAxes:): no axes given; use max() for all")
        return reduce(axes: axes, MaxReduce.self, keepingDims: keepingDims, op: "max")
    }

    /// The smallest element (rank 0).
    public func min() -> Tensor { reduce(axes: [], MinReduce.self, keepingDims: false, op: "min") }
    /// Minima over the given axes.
    public func min(alongAxes axes: Int..., keepingDims: Bool = false) -> Tensor {
        precondition(!axes.isEmpty, "min(alongAxes:): no axes given; use min() for all")
        return reduce(axes: axes, MinReduce.self, keepingDims: keepingDims, op: "min")
    }

    /// The variance over the given axes (all when none): the mean squared deviation from the mean,
    /// divided by `n - correction` (0: population variance, as batch norm uses; 1: unbiased).
    public func variance(alongAxes axes: [Int] = [], correction: Int = 0, keepingDims: Bool = false) -> Tensor {
        let axes = axes.isEmpty ? Array(0..<rank) : axes
        let n = axes.map { shape[normalizedAxis($0, op: "variance")] }.reduce(1, *)
        precondition(n - correction > 0, "variance: \(n) elements with correction \(correction)")
        let deviation = self - mean(alongAxes: axes, keepingDims: true)
        let result = square(deviation).sum(alongAxes: axes, keepingDims: keepingDims) / Double(n - correction)
        return result
    }

    /// The standard deviation over the given axes (all when none); see `variance`.
    public func standardDeviation(alongAxes axes: [Int] = [], correction: Int = 0, keepingDims: Bool = false) -> Tensor {
        sqrt(variance(alongAxes: axes, correction: correction, keepingDims: keepingDims))
    }

    /// The index of the largest element along `axis` (the first one on ties), as integers.
    public func argmax(alongAxis axis: Int = -1) -> [Int] {
        let axis = normalizedAxis(axis, op: "argmax")
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        precondition(n > 0, "argmax: axis \(axis) of shape \(shape) is empty")
        switch dtype {
        case .float32: return Tensor.argmaxKernel(pointer(Float.self), outer, n, inner)
        case .float64: return Tensor.argmaxKernel(pointer(Double.self), outer, n, inner)
        }
    }

    static func argmaxKernel<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ outer: Int, _ n: Int, _ inner: Int) -> [Int] {
        var result = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for j in 0..<inner {
                var best = x[o * n * inner + j], bestIndex = 0
                for k in 1..<n {
                    let v = x[(o * n + k) * inner + j]
                    if v > best || (v.isNaN && !best.isNaN) { best = v; bestIndex = k }
                }
                result[o * inner + j] = bestIndex
            }
        }
        return result
    }
}
