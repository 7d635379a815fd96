import RealModule

/// A function applied to every element. Kernels are types rather than closures so that the
/// loop is specialized and inlined for each function and scalar type.
protocol UnaryKernel {
    /// Whether the function is expensive enough per element to split smaller tensors over cores.
    static var isComputeBound: Bool { get }
    static func apply<T: TensorScalar>(_ x: T) -> T
}

extension UnaryKernel {
    static var isComputeBound: Bool { true }
}

enum NegKernel: UnaryKernel {
    static var isComputeBound: Bool { false }
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { -x }
}
enum AbsKernel: UnaryKernel {
    static var isComputeBound: Bool { false }
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { Swift.abs(x) }
}
enum ReLUKernel: UnaryKernel {
    static var isComputeBound: Bool { false }
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { x > 0 ? x : 0 }
}
enum SignKernel: UnaryKernel {
    static var isComputeBound: Bool { false }
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}
enum SquareKernel: UnaryKernel {
    static var isComputeBound: Bool { false }
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { x * x }
}
enum ExpKernel: UnaryKernel {
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { T.exp(x) }
}
enum LogKernel: UnaryKernel {
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { T.log(x) }
}
enum SqrtKernel: UnaryKernel {
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { x.squareRoot() }
}
enum TanhKernel: UnaryKernel {
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T { T.tanh(x) }
}
enum SigmoidKernel: UnaryKernel {
    // Written so that exp never overflows: for x < 0 it uses e^x / (1 + e^x).
    @inline(__always) static func apply<T: TensorScalar>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exp(-x)) }
        let e = T.exp(x)
        return e / (1 + e)
    }
}

extension Tensor {
    /// A new tensor with `K` applied to every element.
    func map<K: UnaryKernel>(_ kernel: K.Type) -> Tensor {
        var out = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: Tensor.mapKernel(K.self, pointer(Float.self), out.pointer(Float.self), count)
        case .float64: Tensor.mapKernel(K.self, pointer(Double.self), out.pointer(Double.self), count)
        }
        return out
    }

    @inline(__always)
    static func mapKernel<K: UnaryKernel, T: TensorScalar>(
        _: K.Type, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int
    ) {
        let threshold = K.isComputeBound ? Parallel.computeBoundThreshold : Parallel.memoryBoundThreshold
        Parallel.chunks(n, threshold: threshold) { range in
            for i in range { y[i] = K.apply(x[i]) }
        }
    }
}

/// Elementwise `e^x`.
public func exp(_ x: Tensor) -> Tensor { x.map(ExpKernel.self) }
/// Elementwise natural logarithm.
public func log(_ x: Tensor) -> Tensor { x.map(LogKernel.self) }
/// Elementwise square root.
public func sqrt(_ x: Tensor) -> Tensor { x.map(SqrtKernel.self) }
/// Elementwise hyperbolic tangent.
public func tanh(_ x: Tensor) -> Tensor { x.map(TanhKernel.self) }
/// Elementwise logistic sigmoid `1 / (1 + e^-x)`, computed without overflow.
public func sigmoid(_ x: Tensor) -> Tensor { x.map(SigmoidKernel.self) }
/// Elementwise `max(0, x)`.
public func relu(_ x: Tensor) -> Tensor { x.map(ReLUKernel.self) }
/// Elementwise absolute value.
public func abs(_ x: Tensor) -> Tensor { x.map(AbsKernel.self) }
/// Elementwise sign: -1, 0 or 1.
public func sign(_ x: Tensor) -> Tensor { x.map(SignKernel.self) }
/// Elementwise square.
public func square(_ x: Tensor) -> Tensor { x.map(SquareKernel.self) }

extension Tensor {
    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { x.map(NegKernel.self) }
}
