import RealModule

/// A function of two elements, applied with NumPy broadcasting.
protocol BinaryKernel {
    static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T
}

enum AddKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a + b } }
enum SubKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a - b } }
enum MulKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a * b } }
enum DivKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a / b } }
enum PowKernel: BinaryKernel {
    // A whole exponent goes through the integer power, which is defined for negative bases too
    // ((-2)^3 = -8, where the real-exponent pow gives NaN).
    @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T {
        b == b.rounded() && Swift.abs(b) < 1_000_000 ? T.pow(a, Int(b)) : T.pow(a, b)
    }
}
enum MaxKernel: BinaryKernel {
    // NaN wins, so that a diverging run shows up instead of being hidden by max.
    @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a > b || a.isNaN ? a : b }
}
enum MinKernel: BinaryKernel {
    @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a < b || a.isNaN ? a : b }
}
/// `g · (x > 0 ? 1 : 0)`: ReLU's backward, the mask and the product in one pass. Written as a
/// product rather than a select so that it gives exactly what `g * (x .> 0)` gives (a NaN or
/// infinite `g` where `x ≤ 0` still makes NaN; a negative `g` there makes -0).
enum ReLUGradientKernel: BinaryKernel {
    @inline(__always) static func apply<T: TensorScalar>(_ g: T, _ x: T) -> T { g * (x > 0 ? 1 : 0) }
}
enum GreaterKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a > b ? 1 : 0 } }
enum GreaterEqualKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a >= b ? 1 : 0 } }
enum LessKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a < b ? 1 : 0 } }
enum LessEqualKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a <= b ? 1 : 0 } }
enum EqualKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a == b ? 1 : 0 } }
enum NotEqualKernel: BinaryKernel { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a != b ? 1 : 0 } }

/// The shape two shapes broadcast to (NumPy rules: align on the right; sizes must match or be 1).
public func broadcastShape(_ a: [Int], _ b: [Int], op: String = "broadcast") -> [Int] {
    let rank = Swift.max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a
    let pb = [Int](repeating: 1, count: rank - b.count) + b
    return (0..<rank).map { i in
        if pa[i] == pb[i] || pb[i] == 1 { return pa[i] }
        if pa[i] == 1 { return pb[i] }
        preconditionFailure("\(op): shapes \(a) and \(b) cannot be broadcast together (axis \(i) of the aligned shapes: \(pa[i]) vs \(pb[i]))")
    }
}

/// How the output's elements map onto two broadcast inputs: per dimension, the output size and
/// each input's stride (0 along a broadcast dimension), with adjacent dimensions merged where possible.
struct BroadcastPlan {
    var sizes: [Int] = []
    var aStrides: [Int] = []
    var bStrides: [Int] = []

    init(_ out: [Int], _ a: [Int], _ b: [Int]) {
        func strides(_ s: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: out.count - s.count) + s
            var result = [Int](repeating: 0, count: out.count)
            var step = 1
            for i in stride(from: out.count - 1, through: 0, by: -1) {
                result[i] = padded[i] == 1 ? 0 : step
                step *= padded[i]
            }
            return result
        }
        let sa = strides(a), sb = strides(b)
        for i in 0..<out.count where out[i] != 1 {
            if let last = sizes.indices.last,
               aStrides[last] == sa[i] * out[i], bStrides[last] == sb[i] * out[i] {
                // Dimension `last` steps over whole blocks of dimension `i` in both inputs: merge them.
                sizes[last] *= out[i]
                aStrides[last] = sa[i]
                bStrides[last] = sb[i]
            } else {
                sizes.append(out[i]); aStrides.append(sa[i]); bStrides.append(sb[i])
            }
        }
        if sizes.isEmpty { sizes = [1]; aStrides = [0]; bStrides = [0] }
    }
}

extension Tensor {
    /// `K` applied with broadcasting; the result has the broadcast shape.
    func combined<K: BinaryKernel>(_ other: Tensor, _ kernel: K.Type, op: String) -> Tensor {
        precondition(dtype == other.dtype, "\(op): dtypes \(dtype) and \(other.dtype) differ; convert one with converted(to:)")
        let outShape = shape == other.shape ? shape : broadcastShape(shape, other.shape, op: op)
        var out = Tensor(uninitializedShape: outShape, dtype: dtype)
        out.assignZip(self, other, K.self)
        return out
    }

    /// Writes `K(a, b)` into this tensor, whose shape must be the broadcast shape of `a` and `b`.
    /// `a` or `b` may share this tensor's storage (the in-place operators rely on that).
    mutating func assignZip<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _: K.Type) {
        switch dtype {
        case .float32: Tensor.zipKernel(K.self, a, b, &self, Float.self)
        case .float64: Tensor.zipKernel(K.self, a, b, &self, Double.self)
        }
    }

    @inline(__always)
    static func zipKernel<K: BinaryKernel, T: TensorScalar>(
        _: K.Type, _ a: Tensor, _ b: Tensor, _ out: inout Tensor, _: T.Type
    ) {
        let pa = a.pointer(T.self), pb = b.pointer(T.self), po = out.pointer(T.self)
        let n = out.count
        let threshold = Parallel.memoryBoundThreshold
        if a.count == n && b.count == n {
            Parallel.chunks(n, threshold: threshold) { r in for i in r { po[i] = K.apply(pa[i], pb[i]) } }
            return
        }
        if b.count == 1 && a.count == n {
            let s = pb[0]
            Parallel.chunks(n, threshold: threshold) { r in for i in r { po[i] = K.apply(pa[i], s) } }
            return
        }
        if a.count == 1 && b.count == n {
            let s = pa[0]
            Parallel.chunks(n, threshold: threshold) { r in for i in r { po[i] = K.apply(s, pb[i]) } }
            return
        }
        // General case: the last (merged) dimension is the inner loop; the others are counted.
        let plan = BroadcastPlan(out.shape, a.shape, b.shape)
        let inner = plan.sizes.last!, sa = plan.aStrides.last!, sb = plan.bStrides.last!
        let outer = n / Swift.max(inner, 1)
        let dims = plan.sizes.count - 1
        Parallel.chunks(outer, threshold: Swift.max(1, threshold / Swift.max(inner, 1))) { rows in
            // Offsets of the first row of this chunk.
            var counter = [Int](repeating: 0, count: dims)
            var rest = rows.lowerBound
            var oa = 0, ob = 0
            for d in stride(from: dims - 1, through: 0, by: -1) {
                counter[d] = rest % plan.sizes[d]
                rest /= plan.sizes[d]
                oa += counter[d] * plan.aStrides[d]
                ob += counter[d] * plan.bStrides[d]
            }
            for row in rows {
                let x = pa + oa, y = pb + ob, z = po + row * inner
                switch (sa, sb) {
                case (1, 1): for i in 0..<inner { z[i] = K.apply(x[i], y[i]) }
                case (1, 0): let s = y[0]; for i in 0..<inner { z[i] = K.apply(x[i], s) }
                case (0, 1): let s = x[0]; for i in 0..<inner { z[i] = K.apply(s, y[i]) }
                default: for i in 0..<inner { z[i] = K.apply(x[i * sa], y[i * sb]) }
                }
                // Advance the counter to the next row.
                var d = dims - 1
                while d >= 0 {
                    counter[d] += 1
                    oa += plan.aStrides[d]
                    ob += plan.bStrides[d]
                    if counter[d] < plan.sizes[d] { break }
                    oa -= plan.aStrides[d] * plan.sizes[d]
                    ob -= plan.bStrides[d] * plan.sizes[d]
                    counter[d] = 0
                    d -= 1
                }
            }
        }
    }

    /// Applies `K(self, other)` in place; `other` must broadcast to this tensor's shape.
    mutating func zipInPlace<K: BinaryKernel>(_ other: Tensor, _: K.Type, op: String) {
        precondition(dtype == other.dtype, "\(op): dtypes \(dtype) and \(other.dtype) differ; convert one with converted(to:)")
        if shape != other.shape {
            let result = broadcastShape(shape, other.shape, op: op)
            precondition(result == shape, "\(op): \(other.shape) does not broadcast to \(shape) in place")
        }
        makeUnique()
        let me = self
        assignZip(me, other, K.self)
    }
}

// MARK: Operators

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.combined(b, AddKernel.self, op: "+") }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.combined(b, SubKernel.self, op: "-") }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.combined(b, MulKernel.self, op: "*") }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.combined(b, DivKernel.self, op: "/") }

    public static func + (a: Tensor, b: Double) -> Tensor { a + .scalar(b, dtype: a.dtype) }
    public static func - (a: Tensor, b: Double) -> Tensor { a - .scalar(b, dtype: a.dtype) }
    public static func * (a: Tensor, b: Double) -> Tensor { a * .scalar(b, dtype: a.dtype) }
    public static func / (a: Tensor, b: Double) -> Tensor { a / .scalar(b, dtype: a.dtype) }
    public static func + (a: Double, b: Tensor) -> Tensor { .scalar(a, dtype: b.dtype) + b }
    public static func - (a: Double, b: Tensor) -> Tensor { .scalar(a, dtype: b.dtype) - b }
    public static func * (a: Double, b: Tensor) -> Tensor { .scalar(a, dtype: b.dtype) * b }
    public static func / (a: Double, b: Tensor) -> Tensor { .scalar(a, dtype: b.dtype) / b }

    public static func += (a: inout Tensor, b: Tensor) { a.zipInPlace(b, AddKernel.self, op: "+=") }
    public static func -= (a: inout Tensor, b: Tensor) { a.zipInPlace(b, SubKernel.self, op: "-=") }
    public static func *= (a: inout Tensor, b: Tensor) { a.zipInPlace(b, MulKernel.self, op: "*=") }
    public static func /= (a: inout Tensor, b: Tensor) { a.zipInPlace(b, DivKernel.self, op: "/=") }
    public static func += (a: inout Tensor, b: Double) { a += .scalar(b, dtype: a.dtype) }
    public static func -= (a: inout Tensor, b: Double) { a -= .scalar(b, dtype: a.dtype) }
    public static func *= (a: inout Tensor, b: Double) { a *= .scalar(b, dtype: a.dtype) }
    public static func /= (a: inout Tensor, b: Double) { a /= .scalar(b, dtype: a.dtype) }

    // Comparisons give masks: 1 where true, 0 where false, in the inputs' dtype.
    public static func .> (a: Tensor, b: Tensor) -> Tensor { a.combined(b, GreaterKernel.self, op: ".>") }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { a.combined(b, GreaterEqualKernel.self, op: ".>=") }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { a.combined(b, LessKernel.self, op: ".<") }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { a.combined(b, LessEqualKernel.self, op: ".<=") }
    public static func .== (a: Tensor, b: Tensor) -> Tensor { a.combined(b, EqualKernel.self, op: ".==") }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { a.combined(b, NotEqualKernel.self, op: ".!=") }
    public static func .> (a: Tensor, b: Double) -> Tensor { a .> .scalar(b, dtype: a.dtype) }
    public static func .>= (a: Tensor, b: Double) -> Tensor { a .>= .scalar(b, dtype: a.dtype) }
    public static func .< (a: Tensor, b: Double) -> Tensor { a .< .scalar(b, dtype: a.dtype) }
    public static func .<= (a: Tensor, b: Double) -> Tensor { a .<= .scalar(b, dtype: a.dtype) }
    public static func .== (a: Tensor, b: Double) -> Tensor { a .== .scalar(b, dtype: a.dtype) }
    public static func .!= (a: Tensor, b: Double) -> Tensor { a .!= .scalar(b, dtype: a.dtype) }

    /// Elements of `a` where `condition` is non-zero, else elements of `b` (all three broadcast).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        // condition·a + (1 - condition)·b would turn an infinite unselected element into NaN.
        let shape = broadcastShape(broadcastShape(condition.shape, a.shape, op: "where"), b.shape, op: "where")
        let c = condition.broadcast(to: shape), x = a.broadcast(to: shape), y = b.broadcast(to: shape)
        precondition(a.dtype == b.dtype && a.dtype == condition.dtype,
                     "where: dtypes \(condition.dtype), \(a.dtype), \(b.dtype) differ")
        let out = Tensor(uninitializedShape: shape, dtype: a.dtype)
        switch a.dtype {
        case .float32: select(c.pointer(Float.self), x.pointer(Float.self), y.pointer(Float.self), out.pointer(Float.self), out.count)
        case .float64: select(c.pointer(Double.self), x.pointer(Double.self), y.pointer(Double.self), out.pointer(Double.self), out.count)
        }
        return out
    }
}

/// The gradient of `relu(x)` given the output gradient `g`: `g · (x > 0)`, the same values as
/// `g * (x .> 0)` without the mask tensor (one pass over memory instead of two, one allocation).
func reluGradient(_ g: Tensor, _ x: Tensor) -> Tensor {
    g.combined(x, ReLUGradientKernel.self, op: "reluGradient")
}

/// Elementwise maximum (broadcasting).
public func max(_ a: Tensor, _ b: Tensor) -> Tensor { a.combined(b, MaxKernel.self, op: "max") }
/// Elementwise minimum (broadcasting).
public func min(_ a: Tensor, _ b: Tensor) -> Tensor { a.combined(b, MinKernel.self, op: "min") }
/// Elementwise maximum with a scalar.
public func max(_ a: Tensor, _ b: Double) -> Tensor { max(a, .scalar(b, dtype: a.dtype)) }
/// Elementwise minimum with a scalar.
public func min(_ a: Tensor, _ b: Double) -> Tensor { min(a, .scalar(b, dtype: a.dtype)) }
/// Elementwise power `a^b` (broadcasting).
public func pow(_ a: Tensor, _ b: Tensor) -> Tensor { a.combined(b, PowKernel.self, op: "pow") }
/// Elementwise power with a scalar exponent.
public func pow(_ a: Tensor, _ b: Double) -> Tensor {
    if b == 2 { return square(a) }
    if b == 1 { return a }
    return pow(a, .scalar(b, dtype: a.dtype))
}

private func select<T: TensorScalar>(
    _ c: UnsafeMutablePointer<T>, _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>,
    _ out: UnsafeMutablePointer<T>, _ n: Int
) {
    for i in 0..<n { out[i] = c[i] != 0 ? a[i] : b[i] }
}
