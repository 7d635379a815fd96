// The tile transforms of F(4×4, 3×3) (α = 6) and F(4×4, 5×5) (α = 8) written out along one line of a
// tile, each value a SIMD8 vector (the same tile of eight images, WinogradLanes.swift), so that a
// transform runs from registers. The matrices are `WinogradTransform.f4x3` and `.f4x5` (points 0,
// 1, -1, 2, -2 and, for α = 8, 1/2, -1/2, then ∞); the rows of the points ±a are computed as an
// even part plus or minus an odd part, which halves the work. The tests compare every pass with
// im2col in Double (WinogradLanesTests), which a wrong coefficient would fail by far.
//
//     F(4×4, 3×3)  Bᵀ = [ 4  0 -5  0  1  0       Aᵀ = [1 1  1 1  1 0
//                         0 -4 -4  1  1  0             0 1 -1 2 -2 0
//                         0  4 -4 -1  1  0             0 1  1 4  4 0
//                         0 -2 -1  2  1  0             0 1 -1 8 -8 1]
//                         0  2 -1 -2  1  0
//                         0  4  0 -5  0  1]
//
//     F(4×4, 5×5)  Bᵀ rows: -d0 + 21/4 (d2 - d4) + d6;  (d2 - 17/4 d4 + d6) ± (d1 - 17/4 d3 + d5);
//                  (1/4 d2 - 5/4 d4 + d6) ± (1/2 d1 - 5/2 d3 + 2 d5);  (4 d2 - 5 d4 + d6) ± (2 d1 - 5/2 d3 + 1/2 d5);
//                  -d1 + 21/4 (d3 - d5) + d7.      Aᵀ columns: the powers 0…3 of 0, ±1, ±2, ±1/2, and [0 0 0 1].

/// The four vectors of one line of a 4 × 4 output tile.
typealias WinogradQuad<T: TensorScalar> = (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>)

/// One size of Winograd tile with 4 × 4 outputs: its three matrices applied along one line.
protocol WinogradTile4 {
    /// The tile side α.
    static var alpha: Int { get }
    /// `Bᵀ d` for the line `d[k] = source[k · sourceStride]`, written to `target[k · targetStride]`.
    static func input<T: TensorScalar>(_ source: UnsafePointer<SIMD8<T>>, _ sourceStride: Int,
                                       _ target: UnsafeMutablePointer<SIMD8<T>>, _ targetStride: Int)
    /// `Aᵀ m` for the line `m[k] = source[k · stride]`.
    static func output<T: TensorScalar>(_ source: UnsafePointer<SIMD8<T>>, _ stride: Int) -> WinogradQuad<T>
    /// `A y` for a line of four values, written to `target[k · stride]`.
    static func gradient<T: TensorScalar>(_ y: WinogradQuad<T>, _ target: UnsafeMutablePointer<SIMD8<T>>, _ stride: Int)
}

/// F(4×4, 3×3): 36 multiplications for 16 outputs instead of 144.
enum WinogradTile4x3: WinogradTile4 {
    static var alpha: Int { 6 }

    @inline(__always)
    static func input<T: TensorScalar>(_ source: UnsafePointer<SIMD8<T>>, _ sourceStride: Int,
                                       _ target: UnsafeMutablePointer<SIMD8<T>>, _ targetStride: Int) {
        let s = sourceStride, t = targetStride
        let d0 = source[0], d1 = source[s], d2 = source[2 * s], d3 = source[3 * s], d4 = source[4 * s], d5 = source[5 * s]
        let even1 = d4 - 4 * d2, odd1 = d3 - 4 * d1, even2 = d4 - d2, odd2 = 2 * (d3 - d1)
        target[0] = 4 * d0 - 5 * d2 + d4
        target[t] = even1 + odd1
        target[2 * t] = even1 - odd1
        target[3 * t] = even2 + odd2
        target[4 * t] = even2 - odd2
        target[5 * t] = 4 * d1 - 5 * d3 + d5
    }

    @inline(__always)
    static func output<T: TensorScalar>(_ source: UnsafePointer<SIMD8<T>>, _ stride: Int) -> WinogradQuad<T> {
        let s = stride
        let m1 = source[s], m2 = source[2 * s], m3 = source[3 * s], m4 = source[4 * s]
        let sum1 = m1 + m2, difference1 = m1 - m2, sum2 = m3 + m4, difference2 = m3 - m4
        return (source[0] + sum1 + sum2, difference1 + 2 * difference2, sum1 + 4 * sum2, difference1 + 8 * difference2 + source[5 * s])
    }

    @inline(__always)
    static func gradient<T: TensorScalar>(_ y: WinogradQuad<T>, _ target: UnsafeMutablePointer<SIMD8<T>>, _ stride: Int) {
        let s = stride
        let even1 = y.0 + y.2, odd1 = y.1 + y.3, even2 = y.0 + 4 * y.2, odd2 = 2 * y.1 + 8 * y.3
        target[0] = y.0
        target[s] = even1 + odd1
        target[2 * s] = even1 - odd1
        target[3 * s] = even2 + odd2
        target[4 * s] = even2 - odd2
        target[5 * s] = y.3
    }
}

/// F(4×4, 5×5): 64 multiplications for 16 outputs instead of 400.
enum WinogradTile4x5: WinogradTile4 {
    static var alpha: Int { 8 }

    @inline(__always)
    static func input<T: TensorScalar>(_ source: UnsafePointer<SIMD8<T>>, _ sourceStride: Int,
                                       _ target: UnsafeMutablePointer<SIMD8<T>>, _ targetStride: Int) {
        let s = sourceStride, t = targetStride
        let d0 = source[0], d1 = source[s], d2 = source[2 * s], d3 = source[3 * s]
        let d4 = source[4 * s], d5 = source[5 * s], d6 = source[6 * s], d7 = source[7 * s]
        let even1 = d2 + d6 - 4.25 * d4, odd1 = d1 + d5 - 4.25 * d3
        let even2 = 0.25 * d2 - 1.25 * d4 + d6, odd2 = 0.5 * d1 - 2.5 * d3 + 2 * d5
        let even3 = 4 * d2 - 5 * d4 + d6, odd3 = 2 * d1 - 2.5 * d3 + 0.5 * d5
        target[0] = d6 - d0 + 5.25 * (d2 - d4)
        target[t] = even1 + odd1
        target[2 * t] = even1 - odd1
        target[3 * t] = even2 + odd2
        target[4 * t] = even2 - odd2
        target[5 * t] = even3 + odd3
        target[6 * t] = even3 - odd3
        target[7 * t] = d7 - d1 + 5.25 * (d3 - d5)
    }

    @inline(__always)
    static func output<T: TensorScalar>(_ source: UnsafePointer<SIMD8<T>>, _ stride: Int) -> WinogradQuad<T> {
        let s = stride
        let m1 = source[s], m2 = source[2 * s], m3 = source[3 * s], m4 = source[4 * s], m5 = source[5 * s], m6 = source[6 * s]
        let sum1 = m1 + m2, difference1 = m1 - m2, sum2 = m3 + m4, difference2 = m3 - m4, sum3 = m5 + m6, difference3 = m5 - m6
        return (source[0] + sum1 + sum2 + sum3,
                difference1 + 2 * difference2 + 0.5 * difference3,
                sum1 + 4 * sum2 + 0.25 * sum3,
                difference1 + 8 * difference2 + 0.125 * difference3 + source[7 * s])
    }

    @inline(__always)
    static func gradient<T: TensorScalar>(_ y: WinogradQuad<T>, _ target: UnsafeMutablePointer<SIMD8<T>>, _ stride: Int) {
        let s = stride
        let even1 = y.0 + y.2, odd1 = y.1 + y.3
        let even2 = y.0 + 4 * y.2, odd2 = 2 * y.1 + 8 * y.3
        let even3 = y.0 + 0.25 * y.2, odd3 = 0.5 * y.1 + 0.125 * y.3
        target[0] = y.0
        target[s] = even1 + odd1
        target[2 * s] = even1 - odd1
        target[3 * s] = even2 + odd2
        target[4 * s] = even2 - odd2
        target[5 * s] = even3 + odd3
        target[6 * s] = even3 - odd3
        target[7 * s] = y.3
    }
}
