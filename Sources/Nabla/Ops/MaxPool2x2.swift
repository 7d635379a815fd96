// Max pooling over 2×2 windows with stride 2 and no padding, the common case, with loops of its
// own; `maxPool2d` (PoolingOps.swift) picks them and documents the op.

/// Whether the windows are 2×2 and side by side (stride 2) without padding: the common case, which
/// gets loops of its own. The general sweep spends most of its time on each window's bookkeeping
/// (clipped ranges, a closure call), which made max pooling a quarter of a small CNN's step.
func isTwoByTwoTiling(_ g: ConvolutionGeometry) -> Bool {
    g.kernelHeight == 2 && g.kernelWidth == 2 && g.stride == 2 && g.padding == 0
}

/// Calls `body(p)` for each plane `p`, spread over the cores as `forEachWindow` does.
@inline(__always)
private func forEachPlane(_ planes: Int, _ g: ConvolutionGeometry, _ body: (Int) -> Void) {
    let planeSize = g.height * g.width
    Parallel.chunks(planes, threshold: Swift.max(1, Parallel.memoryBoundThreshold / Swift.max(planeSize, 1))) { range in
        for p in range { body(p) }
    }
}

/// `maxPoolForward` for 2×2 windows with stride 2 and no padding: the same comparisons in the
/// same order (so ties and signed zeros come out alike), the same NaN rule. Float rows go
/// through `maxPool2x2ForwardRow`, eight windows at a time.
func maxPool2x2Forward<T: TensorScalar>(_ x: Tensor, _ out: inout Tensor, _ g: ConvolutionGeometry, _: T.Type) {
    let px = x.pointer(T.self), po = out.pointer(T.self)
    let width = g.width, planeSize = g.height * g.width, outH = g.outputHeight, outW = g.outputWidth
    forEachPlane(x.shape[0] * x.shape[1], g) { p in
        for oy in 0..<outH {
            let r0 = px + (p * planeSize + 2 * oy * width), r1 = r0 + width
            let o = po + (p * outH + oy) * outW
            var ox = 0
            if T.self == Float.self {
                ox = maxPool2x2ForwardRow(floatPointer(r0), floatPointer(r1), floatPointer(o), outW)
            }
            while ox < outW {
                let a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1]
                var best = -T.infinity
                best = a > best ? a : best
                best = b > best ? b : best
                best = c > best ? c : best
                best = d > best ? d : best
                o[ox] = a.isNaN || b.isNaN || c.isNaN || d.isNaN ? .nan : best
                ox += 1
            }
        }
    }
}

/// `maxPoolBackward` for 2×2 windows with stride 2 and no padding. Each window writes all four
/// of its inputs (the windows do not overlap), so `gx` needs no zeroing where they tile it. The
/// values are those of the general sweep adding onto zeros: `0 + share` at each tied maximum
/// (`share` = the output gradient over the number of ties), 0 elsewhere and for a NaN window
/// (the divisor is at least 1, and dividing by 1 is exact). Float rows go through
/// `maxPool2x2BackwardRow`, eight windows at a time.
func maxPool2x2Backward<T: TensorScalar>(_ x: Tensor, _ y: Tensor, _ gy: Tensor, _ gx: inout Tensor,
                                                 _ g: ConvolutionGeometry, _: T.Type) {
    let px = x.pointer(T.self), py = y.pointer(T.self), pg = gy.pointer(T.self), pdx = gx.pointer(T.self)
    let width = g.width, planeSize = g.height * g.width, outH = g.outputHeight, outW = g.outputWidth
    forEachPlane(x.shape[0] * x.shape[1], g) { p in
        for oy in 0..<outH {
            let offset = p * planeSize + 2 * oy * width
            let r0 = px + offset, r1 = r0 + width, d0 = pdx + offset, d1 = d0 + width
            let o = (p * outH + oy) * outW
            var ox = 0
            if T.self == Float.self {
                ox = maxPool2x2BackwardRow(floatPointer(r0), floatPointer(r1), floatPointer(py + o), floatPointer(pg + o), floatPointer(d0), floatPointer(d1), outW)
            }
            while ox < outW {
                let m = py[o + ox]
                let ha = r0[2 * ox] == m, hb = r0[2 * ox + 1] == m, hc = r1[2 * ox] == m, hd = r1[2 * ox + 1] == m
                let ties = (ha ? 1 : 0) + (hb ? 1 : 0) + (hc ? 1 : 0) + (hd ? 1 : 0)
                let share = 0 + pg[o + ox] / T(Swift.max(ties, 1))
                d0[2 * ox] = ha ? share : 0
                d0[2 * ox + 1] = hb ? share : 0
                d1[2 * ox] = hc ? share : 0
                d1[2 * ox + 1] = hd ? share : 0
                ox += 1
            }
        }
    }
}

/// The same memory seen as Floats (callers have checked that `T` is `Float`).
@inline(__always)
private func floatPointer<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}

/// Max pooling of one output row, eight windows at a time: the top and bottom input rows are
/// read sixteen Floats at a time and split into even (left) and odd (right) columns. Returns
/// how many outputs it wrote (a multiple of 8); the caller does the rest.
///
/// Why: the scalar loop does not vectorize (strided loads, data-dependent selects that become
/// mispredicted branches on random data); this runs several times faster.
@inline(__always)
private func maxPool2x2ForwardRow(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                  _ out: UnsafeMutablePointer<Float>, _ count: Int) -> Int {
    var ox = 0
    while ox + 8 <= count {
        let top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        let bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        let a = top.evenHalf, b = top.oddHalf, c = bottom.evenHalf, d = bottom.oddHalf
        // The scalar loop's `v > best ? v : best` from -∞, in the same order.
        var best = SIMD8<Float>(repeating: -.infinity)
        best.replace(with: a, where: a .> best)
        best.replace(with: b, where: b .> best)
        best.replace(with: c, where: c .> best)
        best.replace(with: d, where: d .> best)
        // v != v only for NaN.
        let nan = (a .!= a) .| (b .!= b) .| (c .!= c) .| (d .!= d)
        best.replace(with: .nan, where: nan)
        UnsafeMutableRawPointer(out + ox).storeBytes(of: best, as: SIMD8<Float>.self)
        ox += 8
    }
    return ox
}

/// The backward of `maxPool2x2ForwardRow` for one output row, eight windows at a time, with the
/// scalar loop's values. Returns how many outputs it handled (a multiple of 8).
@inline(__always)
private func maxPool2x2BackwardRow(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                   _ best: UnsafeMutablePointer<Float>, _ gradient: UnsafeMutablePointer<Float>,
                                   _ d0: UnsafeMutablePointer<Float>, _ d1: UnsafeMutablePointer<Float>, _ count: Int) -> Int {
    let zero = SIMD8<Float>(), one = SIMD8<Float>(repeating: 1)
    var ox = 0
    while ox + 8 <= count {
        let top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        let bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        let m = UnsafeRawPointer(best + ox).loadUnaligned(as: SIMD8<Float>.self)
        let g = UnsafeRawPointer(gradient + ox).loadUnaligned(as: SIMD8<Float>.self)
        let ha = top.evenHalf .== m, hb = top.oddHalf .== m, hc = bottom.evenHalf .== m, hd = bottom.oddHalf .== m
        let ties = (zero.replacing(with: one, where: ha) + zero.replacing(with: one, where: hb))
            + (zero.replacing(with: one, where: hc) + zero.replacing(with: one, where: hd))
        let share = zero + g / one.replacing(with: ties, where: ties .> one)
        UnsafeMutableRawPointer(d0 + 2 * ox).storeBytes(
            of: interleaved(zero.replacing(with: share, where: ha), zero.replacing(with: share, where: hb)), as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(d1 + 2 * ox).storeBytes(
            of: interleaved(zero.replacing(with: share, where: hc), zero.replacing(with: share, where: hd)), as: SIMD16<Float>.self)
        ox += 8
    }
    return ox
}

/// `[e0, o0, e1, o1, …]`: the inverse of `evenHalf` / `oddHalf`.
@inline(__always)
func interleaved(_ even: SIMD8<Float>, _ odd: SIMD8<Float>) -> SIMD16<Float> {
    SIMD16(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3],
           even[4], odd[4], even[5], odd[5], even[6], odd[6], even[7], odd[7])
}
