extension Tensor {
    /// A tensor of the given shape filled with `value`.
    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: t.pointer(Float.self).update(repeating: Float(value), count: t.count)
        case .float64: t.pointer(Double.self).update(repeating: value, count: t.count)
        }
        return t
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        t.storage.raw.initializeMemory(as: UInt8.self, repeating: 0, count: t.count * dtype.byteSize)
        return t
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        full(shape, value: 1, dtype: dtype)
    }

    /// Zeros with the shape and dtype of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype) }

    /// Ones with the shape and dtype of `other`.
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape, dtype: other.dtype) }

    /// A rank-0 tensor holding `value`.
    public static func scalar(_ value: Double, dtype: DType = .float32) -> Tensor {
        full([], value: value, dtype: dtype)
    }

    /// `start, start + step, …` up to but not including `end`, as a rank-1 tensor.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .float32) -> Tensor {
        precondition(step != 0, "Tensor.arange: step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Double($0) * step }, shape: [n], dtype: dtype)
    }

    /// `count` evenly spaced values from `start` to `end`, both included.
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) -> Tensor {
        precondition(count >= 0, "Tensor.linspace: negative count \(count)")
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        return Tensor((0..<count).map { start + Double($0) * step }, shape: [count], dtype: dtype)
    }

    /// The n×n identity matrix.
    public static func eye(_ n: Int, dtype: DType = .float32) -> Tensor {
        var t = zeros([n, n], dtype: dtype)
        for i in 0..<n { t[flat: i * n + i] = 1 }
        return t
    }

    /// Samples of a normal distribution with the given mean and standard deviation.
    public static func randomNormal(
        _ shape: [Int], mean: Double = 0, standardDeviation: Double = 1,
        dtype: DType = .float32, generator: inout RandomGenerator
    ) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: fillNormal(t.pointer(Float.self), t.count, mean, standardDeviation, &generator)
        case .float64: fillNormal(t.pointer(Double.self), t.count, mean, standardDeviation, &generator)
        }
        return t
    }

    /// Samples of a uniform distribution on `[lower, upper)`.
    public static func randomUniform(
        _ shape: [Int], lower: Double = 0, upper: Double = 1,
        dtype: DType = .float32, generator: inout RandomGenerator
    ) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: fillUniform(t.pointer(Float.self), t.count, lower, upper, &generator)
        case .float64: fillUniform(t.pointer(Double.self), t.count, lower, upper, &generator)
        }
        return t
    }
}

private func fillNormal<T: TensorScalar>(
    _ p: UnsafeMutablePointer<T>, _ n: Int, _ mean: Double, _ std: Double, _ g: inout RandomGenerator
) {
    var i = 0
    while i < n {
        let (a, b) = g.nextNormalPair()
        p[i] = T(mean + std * a)
        if i + 1 < n { p[i + 1] = T(mean + std * b) }
        i += 2
    }
}

private func fillUniform<T: TensorScalar>(
    _ p: UnsafeMutablePointer<T>, _ n: Int, _ lower: Double, _ upper: Double, _ g: inout RandomGenerator
) {
    for i in 0..<n { p[i] = T(lower + (upper - lower) * g.nextUniform()) }
}
