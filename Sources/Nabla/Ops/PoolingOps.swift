/// 2-D max pooling of NCHW images: each output pixel is the largest input in its `kernel × kernel`
/// window, the window moving by `stride` (default: `kernel`, non-overlapping windows).
///
/// Padding, if any, never wins: windows simply ignore the positions outside the image (PyTorch's
/// implicit `-∞` padding). A NaN in a window makes its output NaN, so divergence stays visible.
///
/// Backward: each window sends its output gradient to its maximum. When several elements of a
/// window tie for the maximum, the gradient is **split evenly among them** (PyTorch routes all of
/// it to one). For the common two-way tie this is exactly what centered finite differences
/// measure (moving one tied element up by h raises the max by h, moving it down leaves it), and it
/// keeps the total gradient equal to the output gradient. (With three or more tied elements no
/// gradient matches centered differences, which give each one 1/2; the even split still keeps the
/// total.) Overlapping windows add their shares.
public func maxPool2d(_ input: Variable, kernel: Int, stride: Int? = nil, padding: Int = 0) -> Variable {
    let g = poolingGeometry(input.value, kernel: kernel, stride: stride, padding: padding, op: "maxPool2d")
    let x = input.value
    var out = Tensor(uninitializedShape: poolingOutputShape(x, g), dtype: x.dtype)
    let pairs = isTwoByTwoTiling(g)
    switch (x.dtype, pairs) {
    case (.float32, false): maxPoolForward(x, &out, g, Float.self)
    case (.float64, false): maxPoolForward(x, &out, g, Double.self)
    case (.float32, true): maxPool2x2Forward(x, &out, g, Float.self)
    case (.float64, true): maxPool2x2Forward(x, &out, g, Double.self)
    }
    let y = out
    return Variable(op: "maxPool2d", value: out, inputs: [input]) { gy in
        // The 2×2 loops write every input element that a window covers; only the last row or
        // column of an odd-sized image is left for the zeros.
        let coversAll = pairs && g.height % 2 == 0 && g.width % 2 == 0
        var gx = coversAll ? Tensor(uninitializedShape: x.shape, dtype: x.dtype) : Tensor.zeros(like: x)
        switch (x.dtype, pairs) {
        case (.float32, false): maxPoolBackward(x, y, gy, &gx, g, Float.self)
        case (.float64, false): maxPoolBackward(x, y, gy, &gx, g, Double.self)
        case (.float32, true): maxPool2x2Backward(x, y, gy, &gx, g, Float.self)
        case (.float64, true): maxPool2x2Backward(x, y, gy, &gx, g, Double.self)
        }
        return [gx]
    }
}

/// 2-D average pooling of NCHW images: each output pixel is the mean of its `kernel × kernel`
/// window, the window moving by `stride` (default: `kernel`).
///
/// With padding, the zeros of the padding count in the mean (the divisor is always
/// `kernel · kernel`), as in PyTorch's default `count_include_pad=True`.
/// Backward: each window spreads its output gradient evenly, `g / kernel²`, over its inputs.
public func avgPool2d(_ input: Variable, kernel: Int, stride: Int? = nil, padding: Int = 0) -> Variable {
    let g = poolingGeometry(input.value, kernel: kernel, stride: stride, padding: padding, op: "avgPool2d")
    let x = input.value
    var out = Tensor(uninitializedShape: poolingOutputShape(x, g), dtype: x.dtype)
    switch x.dtype {
    case .float32: avgPoolForward(x, &out, g, Float.self)
    case .float64: avgPoolForward(x, &out, g, Double.self)
    }
    return Variable(op: "avgPool2d", value: out, inputs: [input]) { gy in
        var gx = Tensor.zeros(like: x)
        switch x.dtype {
        case .float32: avgPoolBackward(gy, &gx, g, Float.self)
        case .float64: avgPoolBackward(gy, &gx, g, Double.self)
        }
        return [gx]
    }
}

/// Checks the arguments and describes the sweep, reusing the convolution's geometry with one channel
/// (pooling treats every channel of every image as a separate plane).
private func poolingGeometry(_ x: Tensor, kernel: Int, stride: Int?, padding: Int, op: String) -> ConvolutionGeometry {
    precondition(x.rank == 4, "\(op): input must be [N, C, H, W], got shape \(x.shape)")
    let stride = stride ?? kernel
    precondition(kernel >= 1 && stride >= 1, "\(op): kernel and stride must be ≥ 1, got \(kernel) and \(stride)")
    // Larger padding would make windows that hold nothing but padding.
    precondition(padding >= 0 && padding <= kernel / 2,
                 "\(op): padding must be between 0 and half the kernel (\(kernel / 2)), got \(padding)")
    let g = ConvolutionGeometry(channels: 1, height: x.shape[2], width: x.shape[3],
                                kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding)
    precondition(x.shape[2] + 2 * padding >= kernel && x.shape[3] + 2 * padding >= kernel,
                 "\(op): input of shape \(x.shape) with padding \(padding) is smaller than the \(kernel)×\(kernel) window")
    return g
}

private func poolingOutputShape(_ x: Tensor, _ g: ConvolutionGeometry) -> [Int] {
    [x.shape[0], x.shape[1], g.outputHeight, g.outputWidth]
}

/// Calls `body(rows, cols, plane, output)` for each output pixel: the window's rows and columns
/// clipped to the image, the offset of its plane in the input and its index in the output. Planes
/// are spread over the cores when there are enough elements.
@inline(__always)
private func forEachWindow(_ planes: Int, _ g: ConvolutionGeometry,
                           _ body: (_ rows: Range<Int>, _ cols: Range<Int>, _ plane: Int, _ output: Int) -> Void) {
    let planeSize = g.height * g.width, outputs = g.pixels
    Parallel.chunks(planes, threshold: Swift.max(1, Parallel.memoryBoundThreshold / Swift.max(planeSize, 1))) { range in
        for p in range {
            for oy in 0..<g.outputHeight {
                let y0 = oy * g.stride - g.padding
                let rows = Swift.max(y0, 0)..<Swift.min(y0 + g.kernelHeight, g.height)
                for ox in 0..<g.outputWidth {
                    let x0 = ox * g.stride - g.padding
                    let cols = Swift.max(x0, 0)..<Swift.min(x0 + g.kernelWidth, g.width)
                    body(rows, cols, p * planeSize, p * outputs + oy * g.outputWidth + ox)
                }
            }
        }
    }
}

private func maxPoolForward<T: TensorScalar>(_ x: Tensor, _ out: inout Tensor, _ g: ConvolutionGeometry, _: T.Type) {
    let px = x.pointer(T.self), po = out.pointer(T.self), width = g.width
    forEachWindow(x.shape[0] * x.shape[1], g) { rows, cols, plane, o in
        // Selects rather than branches (random data mispredicts half of `if v > best`: 3× slower),
        // and notes NaNs on the side, a branch that is always predicted.
        var best = -T.infinity
        var sawNaN = false
        for iy in rows {
            for ix in cols {
                let v = px[plane + iy * width + ix]
                best = v > best ? v : best
                sawNaN = sawNaN || v.isNaN
            }
        }
        po[o] = sawNaN ? .nan : best
    }
}

/// Finds each window's maximum again by comparing with the output (cheaper than keeping indices
/// from a forward pass that inference runs too), then routes the gradient to it.
private func maxPoolBackward<T: TensorScalar>(_ x: Tensor, _ y: Tensor, _ gy: Tensor, _ gx: inout Tensor,
                                              _ g: ConvolutionGeometry, _: T.Type) {
    let px = x.pointer(T.self), py = y.pointer(T.self), pg = gy.pointer(T.self), pdx = gx.pointer(T.self)
    let width = g.width
    // Planes are independent, so the parallel chunks never write the same element.
    forEachWindow(x.shape[0] * x.shape[1], g) { rows, cols, plane, o in
        let best = py[o]
        var at = 0, ties = 0
        for iy in rows {
            for ix in cols {
                let i = plane + iy * width + ix
                let hit = px[i] == best
                ties += hit ? 1 : 0
                at = hit ? i : at
            }
        }
        if ties == 1 {
            pdx[at] += pg[o]
        } else if ties > 1 {
            let share = pg[o] / T(ties)
            for iy in rows {
                for ix in cols {
                    let i = plane + iy * width + ix
                    pdx[i] += px[i] == best ? share : 0
                }
            }
        }
        // ties == 0: the maximum is NaN, which equals nothing; the NaN output already tells.
    }
}

private func avgPoolForward<T: TensorScalar>(_ x: Tensor, _ out: inout Tensor, _ g: ConvolutionGeometry, _: T.Type) {
    let px = x.pointer(T.self), po = out.pointer(T.self), width = g.width
    let scale = 1 / T(g.kernelHeight * g.kernelWidth)
    forEachWindow(x.shape[0] * x.shape[1], g) { rows, cols, plane, o in
        var sum: T = 0
        for iy in rows { for ix in cols { sum += px[plane + iy * width + ix] } }
        po[o] = sum * scale
    }
}

private func avgPoolBackward<T: TensorScalar>(_ gy: Tensor, _ gx: inout Tensor, _ g: ConvolutionGeometry, _: T.Type) {
    let pg = gy.pointer(T.self), pdx = gx.pointer(T.self), width = g.width
    let scale = 1 / T(g.kernelHeight * g.kernelWidth)
    forEachWindow(gx.shape[0] * gx.shape[1], g) { rows, cols, plane, o in
        let share = pg[o] * scale
        for iy in rows { for ix in cols { pdx[plane + iy * width + ix] += share } }
    }
}

/// Global average pooling of NCHW images: `[N, C, H, W]` → `[N, C]`, the mean of each channel's
/// `H · W` values. Backward: each value receives its channel's gradient divided by `H · W`.
public func globalAvgPool2d(_ input: Variable) -> Variable {
    let x = input.value
    precondition(x.rank == 4, "globalAvgPool2d: input must be [N, C, H, W], got shape \(x.shape)")
    let (planes, area) = (x.shape[0] * x.shape[1], x.shape[2] * x.shape[3])
    precondition(area > 0, "globalAvgPool2d: images of shape \(x.shape) have no pixels")
    var out = Tensor(uninitializedShape: [x.shape[0], x.shape[1]], dtype: x.dtype)
    switch x.dtype {
    case .float32: globalAvgPoolForward(x, &out, planes, area, Float.self)
    case .float64: globalAvgPoolForward(x, &out, planes, area, Double.self)
    }
    return Variable(op: "globalAvgPool2d", value: out, inputs: [input]) { gy in
        var gx = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32: globalAvgPoolBackward(gy, &gx, planes, area, Float.self)
        case .float64: globalAvgPoolBackward(gy, &gx, planes, area, Double.self)
        }
        return [gx]
    }
}

private func globalAvgPoolForward<T: TensorScalar>(_ x: Tensor, _ out: inout Tensor, _ planes: Int, _ area: Int, _: T.Type) {
    let px = x.pointer(T.self), po = out.pointer(T.self), scale = 1 / T(area)
    Parallel.chunks(planes, threshold: Swift.max(1, Parallel.memoryBoundThreshold / area)) { range in
        for p in range {
            var sum: T = 0
            for i in (p * area)..<((p + 1) * area) { sum += px[i] }
            po[p] = sum * scale
        }
    }
}

private func globalAvgPoolBackward<T: TensorScalar>(_ gy: Tensor, _ gx: inout Tensor, _ planes: Int, _ area: Int, _: T.Type) {
    let pg = gy.pointer(T.self), pdx = gx.pointer(T.self), scale = 1 / T(area)
    Parallel.chunks(planes, threshold: Swift.max(1, Parallel.memoryBoundThreshold / area)) { range in
        for p in range {
            let share = pg[p] * scale
            for i in (p * area)..<((p + 1) * area) { pdx[i] = share }
        }
    }
}
