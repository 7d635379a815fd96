// Max pooling over 2×2 windows with stride 2 and no padding, the common case, with loops of its
// own: one kernel for `maxPool2d` (PoolingOps.swift, which documents the op) and, with a ReLU
// applied on the way, for `reluMaxPool2x2` (ReLUMaxPool.swift).

/// Whether the windows are 2×2 and side by side (stride 2) without padding: the common case, which
/// gets loops of its own. The general sweep spends most of its time on each window's bookkeeping
/// (clipped ranges, a closure call), which made max pooling a quarter of a small CNN's step.
func isTwoByTwoTiling(_ g: ConvolutionGeometry) -> Bool {
    g.kernelHeight == 2 && g.kernelWidth == 2 && g.stride == 2 && g.padding == 0
}

/// `maxPoolForward` for 2×2 windows with stride 2 and no padding (see `maxPool2x2Forward(_:_:planes:height:width:relu:)`).
func maxPool2x2Forward<T: TensorScalar>(_ x: Tensor, _ out: inout Tensor, _ g: ConvolutionGeometry, _: T.Type) {
    maxPool2x2Forward(x.pointer(T.self), out.pointer(T.self), planes: x.shape[0] * x.shape[1], height: g.height, width: g.width, relu: false)
}

/// `maxPoolBackward` for 2×2 windows with stride 2 and no padding. Each window writes all four of
/// its inputs (the windows do not overlap), so `gx` needs no zeroing where they tile it.
func maxPool2x2Backward<T: TensorScalar>(_ x: Tensor, _ y: Tensor, _ gy: Tensor, _ gx: inout Tensor, _ g: ConvolutionGeometry, _: T.Type) {
    maxPool2x2Backward(x.pointer(T.self), y.pointer(T.self), gy.pointer(T.self), gx.pointer(T.self),
                       planes: x.shape[0] * x.shape[1], height: g.height, width: g.width, relu: false)
}

/// Calls `body(p)` for each plane, over the cores when the planes are big enough to pay for it.
@inline(__always)
private func forEachPlane(_ planes: Int, planeSize: Int, _ body: (Int) -> Void) {
    Parallel.chunks(planes, threshold: Swift.max(1, Parallel.memoryBoundThreshold / Swift.max(planeSize, 1))) { range in
        for p in range { body(p) }
    }
}

/// Max pooling over 2×2 windows with stride 2 of `planes` planes of `height × width` (an odd last
/// row or column is left out), of `relu(x)` when `relu` is set (`reluMaxPool2x2`), else of `x`
/// (`maxPool2d`). The comparisons are the general sweep's, in the same order (so ties and signed
/// zeros come out alike): `v > best ? v : best` from -∞, a NaN window giving NaN; under `relu`
/// each value is first `v > 0 ? v : 0`, which turns a NaN into 0 as `relu` does. Float rows go
/// through `maxPool2x2ForwardRow`, eight windows at a time.
func maxPool2x2Forward<T: TensorScalar>(_ px: UnsafeMutablePointer<T>, _ po: UnsafeMutablePointer<T>,
                                        planes: Int, height: Int, width: Int, relu: Bool) {
    let outH = height / 2, outW = width / 2
    forEachPlane(planes, planeSize: height * width) { p in
        for oy in 0..<outH {
            let r0 = px + (p * height + 2 * oy) * width, r1 = r0 + width
            let o = po + (p * outH + oy) * outW
            var ox = 0
            if T.self == Float.self {
                ox = maxPool2x2ForwardRow(floatPointer(r0), floatPointer(r1), floatPointer(o), outW, relu: relu)
            }
            while ox < outW {
                var a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1]
                if relu { a = clamped(a); b = clamped(b); c = clamped(c); d = clamped(d) }
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

/// The backward of `maxPool2x2Forward`: `0 + share` at each tied maximum (`share` = the output
/// gradient over the number of ties, counted among the values the pool compared), 0 elsewhere and
/// for a NaN window (the divisor is at least 1, and dividing by 1 is exact); under `relu`, only
/// where the input is also positive (ReLU's gradient is 0 at 0 and below). Every input of a window
/// is written. Float rows go through `maxPool2x2BackwardRow`, eight windows at a time.
func maxPool2x2Backward<T: TensorScalar>(_ px: UnsafeMutablePointer<T>, _ py: UnsafeMutablePointer<T>, _ pg: UnsafeMutablePointer<T>,
                                         _ pdx: UnsafeMutablePointer<T>, planes: Int, height: Int, width: Int, relu: Bool) {
    let outH = height / 2, outW = width / 2
    forEachPlane(planes, planeSize: height * width) { p in
        for oy in 0..<outH {
            let offset = (p * height + 2 * oy) * width
            let r0 = px + offset, r1 = r0 + width, d0 = pdx + offset, d1 = d0 + width
            let o = (p * outH + oy) * outW
            var ox = 0
            if T.self == Float.self {
                ox = maxPool2x2BackwardRow(floatPointer(r0), floatPointer(r1), floatPointer(py + o), floatPointer(pg + o),
                                           floatPointer(d0), floatPointer(d1), outW, relu: relu)
            }
            while ox < outW {
                let m = py[o + ox]
                let a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1]
                let ta = (relu ? clamped(a) : a) == m, tb = (relu ? clamped(b) : b) == m
                let tc = (relu ? clamped(c) : c) == m, td = (relu ? clamped(d) : d) == m
                let ties = (ta ? 1 : 0) + (tb ? 1 : 0) + (tc ? 1 : 0) + (td ? 1 : 0)
                let share = 0 + pg[o + ox] / T(Swift.max(ties, 1))
                d0[2 * ox] = ta && (!relu || a > 0) ? share : 0
                d0[2 * ox + 1] = tb && (!relu || b > 0) ? share : 0
                d1[2 * ox] = tc && (!relu || c > 0) ? share : 0
                d1[2 * ox + 1] = td && (!relu || d > 0) ? share : 0
                ox += 1
            }
        }
    }
}

/// ReLU of one value: `v > 0 ? v : 0` (so NaN becomes 0).
@inline(__always)
private func clamped<T: TensorScalar>(_ v: T) -> T { v > 0 ? v : 0 }

/// The same memory seen as Floats (callers have checked that `T` is `Float`).
@inline(__always)
private func floatPointer<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}

/// One output row of `maxPool2x2Forward`, eight windows at a time: the top and bottom input rows
/// are read sixteen Floats at a time and split into even (left) and odd (right) columns. Returns
/// how many outputs it wrote: all of them when there are at least 4, else none (the caller's
/// scalar loop does the rest).
///
/// Why: the scalar loop does not vectorize (strided loads, data-dependent selects that become
/// mispredicted branches on random data); this runs several times faster.
@inline(__always)
private func maxPool2x2ForwardRow(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                  _ out: UnsafeMutablePointer<Float>, _ count: Int, relu: Bool) -> Int {
    if count < 8 { return count >= 4 ? maxPool2x2ForwardRow4(r0, r1, out, count, relu: relu) : 0 }
    let zero = SIMD16<Float>()
    var next = 0
    while next < count {
        // The last chunk overlaps the one before when the row is not a multiple of 8: it writes
        // those outputs again, with the same values.
        let ox = Swift.min(next, count - 8)
        next = ox + 8
        var top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        var bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        if relu {
            top = zero.replacing(with: top, where: top .> zero)
            bottom = zero.replacing(with: bottom, where: bottom .> zero)
        }
        let a = top.evenHalf, b = top.oddHalf, c = bottom.evenHalf, d = bottom.oddHalf
        var best = SIMD8<Float>(repeating: -.infinity)
        best.replace(with: a, where: a .> best)
        best.replace(with: b, where: b .> best)
        best.replace(with: c, where: c .> best)
        best.replace(with: d, where: d .> best)
        // v != v only for NaN (never after the clamp).
        let nan = (a .!= a) .| (b .!= b) .| (c .!= c) .| (d .!= d)
        best.replace(with: .nan, where: nan)
        UnsafeMutableRawPointer(out + ox).storeBytes(of: best, as: SIMD8<Float>.self)
    }
    return count
}

/// `maxPool2x2ForwardRow` for rows of 4 to 7 windows (a 14-pixel-wide image, say): two chunks of
/// four, the second overlapping the first.
private func maxPool2x2ForwardRow4(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                   _ out: UnsafeMutablePointer<Float>, _ count: Int, relu: Bool) -> Int {
    let zero = SIMD8<Float>()
    for pass in 0..<2 {
        let ox = pass == 0 ? 0 : count - 4
        var top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
        var bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
        if relu {
            top = zero.replacing(with: top, where: top .> zero)
            bottom = zero.replacing(with: bottom, where: bottom .> zero)
        }
        let a = top.evenHalf, b = top.oddHalf, c = bottom.evenHalf, d = bottom.oddHalf
        var best = SIMD4<Float>(repeating: -.infinity)
        best.replace(with: a, where: a .> best)
        best.replace(with: b, where: b .> best)
        best.replace(with: c, where: c .> best)
        best.replace(with: d, where: d .> best)
        let nan = (a .!= a) .| (b .!= b) .| (c .!= c) .| (d .!= d)
        best.replace(with: .nan, where: nan)
        UnsafeMutableRawPointer(out + ox).storeBytes(of: best, as: SIMD4<Float>.self)
    }
    return count
}

/// One output row of `maxPool2x2Backward`, eight windows at a time, with the scalar loop's values.
/// Returns how many outputs it handled (all, or none for fewer than 4).
@inline(__always)
private func maxPool2x2BackwardRow(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                   _ best: UnsafeMutablePointer<Float>, _ gradient: UnsafeMutablePointer<Float>,
                                   _ d0: UnsafeMutablePointer<Float>, _ d1: UnsafeMutablePointer<Float>, _ count: Int, relu: Bool) -> Int {
    if count < 8 { return count >= 4 ? maxPool2x2BackwardRow4(r0, r1, best, gradient, d0, d1, count, relu: relu) : 0 }
    let zero = SIMD8<Float>(), one = SIMD8<Float>(repeating: 1), zero16 = SIMD16<Float>()
    var next = 0
    while next < count {
        // As in the forward: the last chunk may overlap, writing the same gradients again.
        let ox = Swift.min(next, count - 8)
        next = ox + 8
        let top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        let bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        let seenTop = relu ? zero16.replacing(with: top, where: top .> zero16) : top
        let seenBottom = relu ? zero16.replacing(with: bottom, where: bottom .> zero16) : bottom
        let m = UnsafeRawPointer(best + ox).loadUnaligned(as: SIMD8<Float>.self)
        let g = UnsafeRawPointer(gradient + ox).loadUnaligned(as: SIMD8<Float>.self)
        var ha = seenTop.evenHalf .== m, hb = seenTop.oddHalf .== m, hc = seenBottom.evenHalf .== m, hd = seenBottom.oddHalf .== m
        let ties = (zero.replacing(with: one, where: ha) + zero.replacing(with: one, where: hb))
            + (zero.replacing(with: one, where: hc) + zero.replacing(with: one, where: hd))
        let share = zero + g / one.replacing(with: ties, where: ties .> one)
        if relu {
            ha = ha .& (top.evenHalf .> zero); hb = hb .& (top.oddHalf .> zero)
            hc = hc .& (bottom.evenHalf .> zero); hd = hd .& (bottom.oddHalf .> zero)
        }
        UnsafeMutableRawPointer(d0 + 2 * ox).storeBytes(
            of: interleaved(zero.replacing(with: share, where: ha), zero.replacing(with: share, where: hb)), as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(d1 + 2 * ox).storeBytes(
            of: interleaved(zero.replacing(with: share, where: hc), zero.replacing(with: share, where: hd)), as: SIMD16<Float>.self)
    }
    return count
}

/// `maxPool2x2BackwardRow` for rows of 4 to 7 windows: two overlapping chunks of four.
private func maxPool2x2BackwardRow4(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                    _ best: UnsafeMutablePointer<Float>, _ gradient: UnsafeMutablePointer<Float>,
                                    _ d0: UnsafeMutablePointer<Float>, _ d1: UnsafeMutablePointer<Float>, _ count: Int, relu: Bool) -> Int {
    let zero = SIMD4<Float>(), one = SIMD4<Float>(repeating: 1), zero8 = SIMD8<Float>()
    for pass in 0..<2 {
        let ox = pass == 0 ? 0 : count - 4
        let top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
        let bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
        let seenTop = relu ? zero8.replacing(with: top, where: top .> zero8) : top
        let seenBottom = relu ? zero8.replacing(with: bottom, where: bottom .> zero8) : bottom
        let m = UnsafeRawPointer(best + ox).loadUnaligned(as: SIMD4<Float>.self)
        let g = UnsafeRawPointer(gradient + ox).loadUnaligned(as: SIMD4<Float>.self)
        var ha = seenTop.evenHalf .== m, hb = seenTop.oddHalf .== m, hc = seenBottom.evenHalf .== m, hd = seenBottom.oddHalf .== m
        let ties = (zero.replacing(with: one, where: ha) + zero.replacing(with: one, where: hb))
            + (zero.replacing(with: one, where: hc) + zero.replacing(with: one, where: hd))
        let share = zero + g / one.replacing(with: ties, where: ties .> one)
        if relu {
            ha = ha .& (top.evenHalf .> zero); hb = hb .& (top.oddHalf .> zero)
            hc = hc .& (bottom.evenHalf .> zero); hd = hd .& (bottom.oddHalf .> zero)
        }
        let a = zero.replacing(with: share, where: ha), b = zero.replacing(with: share, where: hb)
        let c = zero.replacing(with: share, where: hc), d = zero.replacing(with: share, where: hd)
        UnsafeMutableRawPointer(d0 + 2 * ox).storeBytes(of: SIMD8(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]), as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(d1 + 2 * ox).storeBytes(of: SIMD8(c[0], d[0], c[1], d[1], c[2], d[2], c[3], d[3]), as: SIMD8<Float>.self)
    }
    return count
}

/// `[e0, o0, e1, o1, …]`: the inverse of `evenHalf` / `oddHalf`.
@inline(__always)
func interleaved(_ even: SIMD8<Float>, _ odd: SIMD8<Float>) -> SIMD16<Float> {
    SIMD16(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3],
           even[4], odd[4], even[5], odd[5], even[6], odd[6], even[7], odd[7])
}
