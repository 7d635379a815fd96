import RealModule

/// A function applied to every element. Kernels are types rather than closures so that the
/// loop is specialized and inlined for each function and scalar type.
protocol UnaryKernel {
    /// Whether the function is expensive enough per element to split smaller tensors over cores.
    static var isComputeBound: Bool { get }
    static func apply<T: TensorScalar>(_ x: T) -> T
    /// `y[i] = f(x[i])` for `i` in `range`. The default loops over `apply(_:)`, which the compiler
    /// vectorizes for cheap functions; a kernel whose scalar form does not vectorize (a libm call)
    /// supplies its own vector loop here.
    static func apply<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ range: Range<Int>)
}

extension UnaryKernel {
    static var isComputeBound: Bool { true }

    @inline(__always)
    static func apply<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ range: Range<Int>) {
        for i in range { y[i] = apply(x[i]) }
    }
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

    /// Float goes through `exp8` (eight at a time, ~1 ulp); Double keeps libm's `exp`, which
    /// gradient checks lean on.
    @inline(__always)
    static func apply<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ range: Range<Int>) {
        if T.self == Float.self {
            mapFloats(x, y, range, exp8)
        } else {
            for i in range { y[i] = T.exp(x[i]) }
        }
    }
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

    /// The same formula for Float, branch-free over eight lanes: e = e^-|x|, then 1 / (1 + e)
    /// where x ≥ 0 and e / (1 + e) elsewhere (NaN stays NaN).
    @inline(__always)
    static func apply<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ range: Range<Int>) {
        if T.self == Float.self {
            mapFloats(x, y, range) { v in
                let e = exp8(-(v.replacing(with: -v, where: v .< 0)))
                let numerator = SIMD8<Float>(repeating: 1).replacing(with: e, where: .!(v .>= 0))
                return numerator / (1 + e)
            }
        } else {
            for i in range { y[i] = apply(x[i]) }
        }
    }
}

extension Tensor {
    /// A new tensor with `K` applied to every element.
    func map<K: UnaryKernel>(_ kernel: K.Type) -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
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
        Parallel.chunks(n, threshold: threshold) { range in K.apply(x, y, range) }
    }
}

/// `y[i] = f(x[i])` over `range`, eight Floats at a time; `T` must be `Float` (callers check).
/// The tail shorter than eight goes through `f` too, padded with zeros, so every element gets
/// the same function.
@inline(__always)
private func mapFloats<T>(
    _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ range: Range<Int>,
    _ f: (SIMD8<Float>) -> SIMD8<Float>
) {
    let src = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
    let dst = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
    var i = range.lowerBound
    while i + 8 <= range.upperBound {
        let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
        i += 8
    }
    if i < range.upperBound {
        var v = SIMD8<Float>()
        for j in 0..<(range.upperBound - i) { v[j] = src[i + j] }
        let r = f(v)
        for j in 0..<(range.upperBound - i) { dst[i + j] = r[j] }
    }
}

/// `e^x` for eight Floats at once, within 1.35 ulp of the exact value (ExpTests bound it by 2).
///
/// Why: glibc's `expf` costs ~3 ns per element and does not vectorize; this runs ~5 times
/// faster and leaves `exp` on large tensors limited by memory bandwidth.
///
/// How: x = k·ln2 + r with k = round(x / ln2) and |r| ≤ ln2/2, so e^x = 2^k · e^r. The reduction
/// subtracts k·ln2 in two parts (Cody–Waite): the high part has 16 significant bits, so k·hi is
/// exact and x − k·hi loses nothing. e^r is a degree-6 polynomial with minimax coefficients
/// for relative error on [−ln2/2, ln2/2] (2.6e-9 in exact arithmetic), evaluated by Horner. 2^k is
/// built from exponent bits in two halves, so that results that underflow to subnormals or
/// overflow to infinity come out as from `expf`. There is no fused multiply-add on purpose:
/// builds without `-target-cpu` would turn it into library calls, and without it every build
/// gives the same bits.
@inline(__always)
func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Beyond these bounds e^x is 0 or +infinity in Float; clamping keeps k in the range the
    // scaling below handles. NaN fails both comparisons and comes out as NaN.
    var x = x.replacing(with: 89, where: x .> 89)
    x = x.replacing(with: -104, where: x .< -104)
    // Adding 1.5·2^23 rounds to an integer, which lands in the low mantissa bits of `shifted`.
    let shifter = SIMD8<Float>(repeating: 12_582_912)
    let shifted = x * 1.442_695_02 + shifter
    let k = shifted - shifter
    let r = (x - k * 0.693_145_751_953_125) - k * 1.428_606_765_330_187e-6
    var p = SIMD8<Float>(repeating: 0.001_406_127_703_376_114_4)
    p = p * r + 0.008_379_020_728_170_872
    p = p * r + 0.041_664_775_460_958_48
    p = p * r + 0.166_663_646_697_998_05
    p = p * r + 0.500_000_059_604_644_8
    p = p * r + 1
    p = p * r + 1
    // SIMD vectors have no `bitPattern`; a bit cast between same-sized vectors is a no-op.
    let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let half = bits &>> 1, rest = bits &- half
    let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let scale2 = unsafeBitCast((rest &+ 127) &<< 23, to: SIMD8<Float>.self)
    return p * scale1 * scale2
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
