// Stride-1 convolutions with 3×3 (or 5×5) filters through Winograd's F(2×2, r×r): the forward pass,
// the input gradient (a forward pass of the output gradient with the filters turned half a turn and
// their channels swapped) and the weight gradient (the forward pass's adjoint), each as α² matrix
// products over a block of images instead of one im2col product per image.
//
// The 4 × 4 tiles (F(4×4, 3×3), F(4×4, 5×5)) run eight images at a time (WinogradLanes.swift).
//
// Accuracy: the transforms add and subtract values before the products (and scale by up to 8 or
// 21/4 and divide by up to 90), so rounding errors grow with the transform's size. The tests compare
// Float results with the exact convolution in Double and bound the error, relative to
// `Σ |w|·|x|` over each output's window, by 2⁻¹⁸ (F(2×2, 3×3)), 2⁻¹⁴ (F(2×2, 5×5)) and 2⁻¹⁶
// (F(4×4, 3×3) and F(4×4, 5×5)); measured on normal inputs with 32 channels: 2⁻²³, 2⁻²⁰·⁵, 2⁻¹⁹
// and 2⁻¹⁹, where im2col's products reach 2⁻²²–2⁻²³. See WinogradConvolutionTests and WinogradLanesTests.

/// Images per block: the α² products get about this many tiles as their columns, enough for BLAS
/// to run near its peak, while a block's transformed tiles stay within a few hundred kilobytes.
private let targetTiles = 256

/// Runs a Winograd forward pass of `x` (`[N, C, H, W]`) into `y` (`[N, O, outH, outW]`) with the
/// transformed filters `u`, plus `bias` when given.
func winogradForward<T: TensorScalar>(_ x: UnsafePointer<T>, batch: Int, u: Tensor, bias: UnsafePointer<T>?,
                                      _ y: UnsafeMutablePointer<T>, _ g: WinogradGeometry) {
    if g.transform.m == 4 {
        let pu = u.pointer(T.self)
        if g.alpha == 6 {
            winogradLanesForward(WinogradTile4x3.self, x, batch: batch, u: pu, bias: bias, y, g)
        } else {
            winogradLanesForward(WinogradTile4x5.self, x, batch: batch, u: pu, bias: bias, y, g)
        }
        return
    }
    let alpha = g.alpha, area = alpha * alpha, perBlock = Swift.max(1, targetTiles / g.tilesPerImage)
    let workers = Swift.min(Parallel.workers, Swift.max(batch, 1))
    let tilesMax = perBlock * g.tilesPerImage
    let planes = Tensor.zeros([workers, g.channels * g.planeSize], dtype: T.dtype)
    let vs = Tensor(uninitializedShape: [workers, area * g.channels * tilesMax], dtype: T.dtype)
    let ms = Tensor(uninitializedShape: [workers, area * g.outChannels * tilesMax], dtype: T.dtype)
    let bt = SparseRows<T>(g.transform.input, rows: alpha, columns: alpha)
    let at = SparseRows<T>(g.transform.output, rows: alpha, columns: 2).transposed
    let pu = u.pointer(T.self), imageSize = g.channels * g.height * g.width
    let outputSize = g.outChannels * g.outputHeight * g.outputWidth
    convolutionSplitBatch(batch) { worker, images in
        let plane = planes.pointer(T.self) + worker * g.channels * g.planeSize
        let v = vs.pointer(T.self) + worker * area * g.channels * tilesMax
        let m = ms.pointer(T.self) + worker * area * g.outChannels * tilesMax
        withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: 2 * area) { scratch in
            for first in stride(from: images.lowerBound, to: images.upperBound, by: perBlock) {
                let block = first..<Swift.min(first + perBlock, images.upperBound), tiles = block.count * g.tilesPerImage
                for n in block {
                    winogradPad(x + n * imageSize, into: plane, g)
                    winogradInputTransform(plane, v, tiles: tiles, t0: (n - first) * g.tilesPerImage, g, bt, scratch.baseAddress!)
                }
                for xi in 0..<area {
                    T.gemm(transA: false, transB: false, m: g.outChannels, n: tiles, k: g.channels, alpha: 1,
                           a: pu + xi * g.outChannels * g.channels, lda: g.channels, b: v + xi * g.channels * tiles, ldb: tiles,
                           beta: 0, c: m + xi * g.outChannels * tiles, ldc: tiles)
                }
                for n in block {
                    winogradOutputTransform(m, y + n * outputSize, bias: bias, tiles: tiles, t0: (n - first) * g.tilesPerImage,
                                            g, at, scratch.baseAddress!)
                }
            }
        }
    }
}

/// The forward pass of `conv2d` through Winograd (the caller has checked `winogradGeometry`).
func winogradConv2dForward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ out: inout Tensor, _ g: WinogradGeometry, _: T.Type) {
    let u = winogradFilters(w.pointer(T.self), outChannels: g.outChannels, channels: g.channels, g.transform)
    winogradForward(x.pointer(T.self), batch: x.shape[0], u: u, bias: b?.pointer(T.self), out.pointer(T.self), g)
}

/// The gradients of `winogradConv2dForward` for the outputs asked for (non-nil on entry, overwritten).
func winogradConv2dBackward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, _ gy: Tensor, _ gx: inout Tensor?, _ gw: inout Tensor?,
                                             _ gb: inout Tensor?, _ g: WinogradGeometry, _: T.Type) {
    let batch = x.shape[0], r = g.transform.r
    if let gx {
        // dx = conv(dy, w') with w'[c][o] = w[o][c] turned by half a turn, padding r - 1 - p: the
        // same tiles, on the output gradient.
        let flipped = Tensor(uninitializedShape: [g.channels, g.outChannels, r, r], dtype: w.dtype)
        let pw = w.pointer(T.self), pf = flipped.pointer(T.self)
        for o in 0..<g.outChannels {
            for c in 0..<g.channels {
                for k in 0..<(r * r) { pf[(c * g.outChannels + o) * r * r + k] = pw[(o * g.channels + c) * r * r + r * r - 1 - k] }
            }
        }
        var back = WinogradGeometry(g.transform, channels: g.outChannels, outChannels: g.channels, height: g.outputHeight,
                                    width: g.outputWidth, padding: r - 1 - g.padding)
        back.generalLoops = g.generalLoops
        let u = winogradFilters(pf, outChannels: g.channels, channels: g.outChannels, g.transform)
        winogradForward(gy.pointer(T.self), batch: batch, u: u, bias: nil, gx.pointer(T.self), back)
    }
    if gw != nil || gb != nil {
        winogradWeightGradient(x, gy, &gw, &gb, g, T.self)
    }
}

/// `dU[ξ] = Σ dM[ξ] V[ξ]ᵀ` over the batch, then `dw = Gᵀ dU G`; the bias gradient on the way.
private func winogradWeightGradient<T: TensorScalar>(_ x: Tensor, _ gy: Tensor, _ gw: inout Tensor?, _ gb: inout Tensor?,
                                                     _ g: WinogradGeometry, _: T.Type) {
    let total: Tensor, batch = x.shape[0], px = x.pointer(T.self), pg = gy.pointer(T.self)
    switch (g.transform.m, g.alpha) {
    case (4, 6): total = winogradLanesWeightGradientSums(WinogradTile4x3.self, px, pg, batch: batch, g)
    case (4, _): total = winogradLanesWeightGradientSums(WinogradTile4x5.self, px, pg, batch: batch, g)
    default: total = winogradRowWeightGradientSums(x, gy, g, T.self)
    }
    let filters = g.alpha * g.alpha * g.outChannels * g.channels, pt = total.pointer(T.self)
    if let gb { gb.pointer(T.self).update(from: pt + filters, count: g.outChannels) }
    if let gw { winogradFilterGradient(pt, gw.pointer(T.self), outChannels: g.outChannels, channels: g.channels, g.transform) }
}

/// `dU` (`[α², O, C]`) and the bias gradient (`[O]`) after it, for 2 × 2 tiles. Each worker sums
/// its images into a slice of its own; the slices are added in worker order.
private func winogradRowWeightGradientSums<T: TensorScalar>(_ x: Tensor, _ gy: Tensor, _ g: WinogradGeometry, _: T.Type) -> Tensor {
    let batch = x.shape[0], alpha = g.alpha, area = alpha * alpha
    let perBlock = Swift.max(1, targetTiles / g.tilesPerImage), tilesMax = perBlock * g.tilesPerImage
    let workers = Swift.min(Parallel.workers, Swift.max(batch, 1))
    let filters = area * g.outChannels * g.channels, partialSize = filters + g.outChannels
    let gradientPlaneSize = 4 * g.tilesPerImage
    let partials = Tensor.zeros([workers, partialSize], dtype: T.dtype)
    let planes = Tensor.zeros([workers, g.channels * g.planeSize], dtype: T.dtype)
    let gradientPlanes = Tensor.zeros([workers, g.outChannels * gradientPlaneSize], dtype: T.dtype)
    let vs = Tensor(uninitializedShape: [workers, area * g.channels * tilesMax], dtype: T.dtype)
    let ms = Tensor(uninitializedShape: [workers, area * g.outChannels * tilesMax], dtype: T.dtype)
    let bt = SparseRows<T>(g.transform.input, rows: alpha, columns: alpha)
    let am = SparseRows<T>(g.transform.output, rows: alpha, columns: 2)
    let px = x.pointer(T.self), pg = gy.pointer(T.self), imageSize = g.channels * g.height * g.width
    let outH = g.outputHeight, outW = g.outputWidth, outputSize = g.outChannels * outH * outW
    convolutionSplitBatch(batch) { worker, images in
        let partial = partials.pointer(T.self) + worker * partialSize
        let plane = planes.pointer(T.self) + worker * g.channels * g.planeSize
        let gradientPlane = gradientPlanes.pointer(T.self) + worker * g.outChannels * gradientPlaneSize
        let v = vs.pointer(T.self) + worker * area * g.channels * tilesMax
        let dm = ms.pointer(T.self) + worker * area * g.outChannels * tilesMax
        withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: 2 * area) { scratch in
            for first in stride(from: images.lowerBound, to: images.upperBound, by: perBlock) {
                let block = first..<Swift.min(first + perBlock, images.upperBound), tiles = block.count * g.tilesPerImage
                for n in block {
                    let t0 = (n - first) * g.tilesPerImage, gn = pg + n * outputSize
                    winogradPad(px + n * imageSize, into: plane, g)
                    winogradInputTransform(plane, v, tiles: tiles, t0: t0, g, bt, scratch.baseAddress!)
                    for o in 0..<g.outChannels {
                        partial[filters + o] += contiguousSum(gn + o * outH * outW, outH * outW)
                        for y in 0..<outH {
                            (gradientPlane + (o * 2 * g.tilesY + y) * 2 * g.tilesX).update(from: gn + (o * outH + y) * outW, count: outW)
                        }
                    }
                    winogradGradientTransform(gradientPlane, dm, tiles: tiles, t0: t0, g, am, scratch.baseAddress!)
                }
                for xi in 0..<area {
                    T.gemm(transA: false, transB: true, m: g.outChannels, n: g.channels, k: tiles, alpha: 1,
                           a: dm + xi * g.outChannels * tiles, lda: tiles, b: v + xi * g.channels * tiles, ldb: tiles,
                           beta: 1, c: partial + xi * g.outChannels * g.channels, ldc: g.channels)
                }
            }
        }
    }
    return workers == 1 ? partials.reshaped([partialSize]) : partials.sum(alongAxes: [0])
}
