/// `maxPool2d(relu(x), kernel: 2)` in one op: ReLU, then max pooling over 2×2 windows with
/// stride 2, for NCHW images of even height and width. `Sequential` uses it for a `ReLU` followed
/// by such a `MaxPool2D`, the usual block after a convolution.
///
/// The values and gradients are those of the two ops in turn (up to the sign of a zero gradient):
/// forward `max(relu(a), relu(b), relu(c), relu(d))` per window, compared in the same order;
/// backward, each input gets the window's output gradient split among the window's tied maxima
/// (`maxPool2d`'s rule) when it is one of them and positive (ReLU's gradient is 0 at 0 and below).
///
/// Why: the pair, done one after the other, passes over the full-size activation five times
/// (ReLU out, pool in; backward: pool's gradient out, ReLU's in and out) where this passes twice,
/// and keeps only the input (not the ReLU output too) for the backward pass. After the first
/// convolution of a small CNN the activation is the largest tensor of the step.
public func reluMaxPool2x2(_ input: Variable) -> Variable {
    let x = input.value
    precondition(x.rank == 4 && x.shape[2] % 2 == 0 && x.shape[3] % 2 == 0,
                 "reluMaxPool2x2: input must be [N, C, H, W] with even H and W, got shape \(x.shape)")
    let planes = x.shape[0] * x.shape[1], height = x.shape[2], width = x.shape[3]
    var out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], height / 2, width / 2], dtype: x.dtype)
    switch x.dtype {
    case .float32: reluMaxPoolForward(x.pointer(Float.self), out.pointer(Float.self), planes, height, width)
    case .float64: reluMaxPoolForward(x.pointer(Double.self), out.pointer(Double.self), planes, height, width)
    }
    let y = out
    return Variable(op: "reluMaxPool2x2", value: out, inputs: [input]) { gy in
        // Every input element belongs to exactly one window, which writes it.
        let gx = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32:
            reluMaxPoolBackward(x.pointer(Float.self), y.pointer(Float.self), gy.pointer(Float.self), gx.pointer(Float.self), planes, height, width)
        case .float64:
            reluMaxPoolBackward(x.pointer(Double.self), y.pointer(Double.self), gy.pointer(Double.self), gx.pointer(Double.self), planes, height, width)
        }
        return [gx]
    }
}

/// Calls `body(p)` for each plane, over the cores when the planes are big enough to pay for it.
@inline(__always)
private func forEachPlane(_ planes: Int, planeSize: Int, _ body: (Int) -> Void) {
    Parallel.chunks(planes, threshold: Swift.max(1, Parallel.memoryBoundThreshold / Swift.max(planeSize, 1))) { range in
        for p in range { body(p) }
    }
}

private func reluMaxPoolForward<T: TensorScalar>(_ px: UnsafeMutablePointer<T>, _ po: UnsafeMutablePointer<T>,
                                                 _ planes: Int, _ height: Int, _ width: Int) {
    let outH = height / 2, outW = width / 2
    forEachPlane(planes, planeSize: height * width) { p in
        for oy in 0..<outH {
            let r0 = px + (p * height + 2 * oy) * width, r1 = r0 + width
            let o = po + (p * outH + oy) * outW
            var ox = 0
            if T.self == Float.self {
                ox = reluMaxPoolForwardRow(floats(r0), floats(r1), floats(o), outW)
            }
            while ox < outW {
                // relu(v) = v > 0 ? v : 0 (so NaN becomes 0, as `relu` does), then the pool's
                // `v > best ? v : best` from -∞.
                let a = relu1(r0[2 * ox]), b = relu1(r0[2 * ox + 1]), c = relu1(r1[2 * ox]), d = relu1(r1[2 * ox + 1])
                var best = -T.infinity
                best = a > best ? a : best
                best = b > best ? b : best
                best = c > best ? c : best
                best = d > best ? d : best
                o[ox] = best
                ox += 1
            }
        }
    }
}

private func reluMaxPoolBackward<T: TensorScalar>(_ px: UnsafeMutablePointer<T>, _ py: UnsafeMutablePointer<T>,
                                                  _ pg: UnsafeMutablePointer<T>, _ pdx: UnsafeMutablePointer<T>,
                                                  _ planes: Int, _ height: Int, _ width: Int) {
    let outH = height / 2, outW = width / 2
    forEachPlane(planes, planeSize: height * width) { p in
        for oy in 0..<outH {
            let offset = (p * height + 2 * oy) * width
            let r0 = px + offset, r1 = r0 + width, d0 = pdx + offset, d1 = d0 + width
            let o = (p * outH + oy) * outW
            var ox = 0
            if T.self == Float.self {
                ox = reluMaxPoolBackwardRow(floats(r0), floats(r1), floats(py + o), floats(pg + o), floats(d0), floats(d1), outW)
            }
            while ox < outW {
                let m = py[o + ox]
                let a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1]
                // Ties are counted among the ReLU outputs, as the pool saw them.
                let ta = relu1(a) == m, tb = relu1(b) == m, tc = relu1(c) == m, td = relu1(d) == m
                let ties = (ta ? 1 : 0) + (tb ? 1 : 0) + (tc ? 1 : 0) + (td ? 1 : 0)
                let share = 0 + pg[o + ox] / T(Swift.max(ties, 1))
                d0[2 * ox] = ta && a > 0 ? share : 0
                d0[2 * ox + 1] = tb && b > 0 ? share : 0
                d1[2 * ox] = tc && c > 0 ? share : 0
                d1[2 * ox + 1] = td && d > 0 ? share : 0
                ox += 1
            }
        }
    }
}

@inline(__always)
private func relu1<T: TensorScalar>(_ v: T) -> T { v > 0 ? v : 0 }

/// The same memory seen as Floats (callers have checked that `T` is `Float`).
@inline(__always)
private func floats<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}

/// The forward of one output row, eight windows at a time (see `maxPool2x2ForwardRow`, whose
/// scalar loop does not vectorize either). Returns how many outputs it wrote (a multiple of 8).
@inline(__always)
private func reluMaxPoolForwardRow(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                   _ out: UnsafeMutablePointer<Float>, _ count: Int) -> Int {
    let zero = SIMD16<Float>()
    var ox = 0
    while ox + 8 <= count {
        var top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        var bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        top = zero.replacing(with: top, where: top .> zero)
        bottom = zero.replacing(with: bottom, where: bottom .> zero)
        let a = top.evenHalf, b = top.oddHalf, c = bottom.evenHalf, d = bottom.oddHalf
        var best = SIMD8<Float>(repeating: -.infinity)
        best.replace(with: a, where: a .> best)
        best.replace(with: b, where: b .> best)
        best.replace(with: c, where: c .> best)
        best.replace(with: d, where: d .> best)
        UnsafeMutableRawPointer(out + ox).storeBytes(of: best, as: SIMD8<Float>.self)
        ox += 8
    }
    return ox
}

/// The backward of one output row, eight windows at a time, with the scalar loop's values.
@inline(__always)
private func reluMaxPoolBackwardRow(_ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                    _ best: UnsafeMutablePointer<Float>, _ gradient: UnsafeMutablePointer<Float>,
                                    _ d0: UnsafeMutablePointer<Float>, _ d1: UnsafeMutablePointer<Float>, _ count: Int) -> Int {
    let zero = SIMD8<Float>(), one = SIMD8<Float>(repeating: 1), zero16 = SIMD16<Float>()
    var ox = 0
    while ox + 8 <= count {
        let top = UnsafeRawPointer(r0 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        let bottom = UnsafeRawPointer(r1 + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
        let rt = zero16.replacing(with: top, where: top .> zero16), rb = zero16.replacing(with: bottom, where: bottom .> zero16)
        let m = UnsafeRawPointer(best + ox).loadUnaligned(as: SIMD8<Float>.self)
        let g = UnsafeRawPointer(gradient + ox).loadUnaligned(as: SIMD8<Float>.self)
        let ha = rt.evenHalf .== m, hb = rt.oddHalf .== m, hc = rb.evenHalf .== m, hd = rb.oddHalf .== m
        let ties = (zero.replacing(with: one, where: ha) + zero.replacing(with: one, where: hb))
            + (zero.replacing(with: one, where: hc) + zero.replacing(with: one, where: hd))
        let share = zero + g / one.replacing(with: ties, where: ties .> one)
        let pa = ha .& (top.evenHalf .> zero), pb = hb .& (top.oddHalf .> zero)
        let pc = hc .& (bottom.evenHalf .> zero), pd = hd .& (bottom.oddHalf .> zero)
        UnsafeMutableRawPointer(d0 + 2 * ox).storeBytes(
            of: interleaved(zero.replacing(with: share, where: pa), zero.replacing(with: share, where: pb)), as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(d1 + 2 * ox).storeBytes(
            of: interleaved(zero.replacing(with: share, where: pc), zero.replacing(with: share, where: pd)), as: SIMD16<Float>.self)
        ox += 8
    }
    return ox
}
