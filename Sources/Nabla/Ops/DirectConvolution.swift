// A direct convolution for layers with few input channels (a network's first layer: 1 or 3), where
// im2col's product has only C·kH·kW = 9 to 75 rows to sum over and BLAS runs far below its peak.
//
// The image is zero-padded into planes of pitch `W + 2p`, and the output is computed on that
// wider grid as one flat sequence: output `q = y·(W + 2p) + x` is `Σ w[tap] · plane[q + offset(tap)]`
// with `offset(c, ky, kx) = c·planeSize + ky·(W + 2p) + kx`, so every tap is a contiguous run of
// the plane, read 8 values at a time. The `kW - 1` outputs per row past the real width are computed
// and dropped (the weight gradient gives them a zero output gradient). Stride 1 only.

/// The padded planes and the flat output grid of a direct convolution.
struct DirectGeometry {
    let base: ConvolutionGeometry
    let outChannels: Int
    /// Row pitch of the padded planes and of the output grid: `W + 2p`.
    let pitch: Int
    /// Outputs on the grid (`outH · pitch`), rounded up to whole chunks of 32.
    let gridCount: Int
    /// Elements per padded plane, with room for the last chunk's reads past the image.
    let planeStride: Int
    /// The plane offset of each tap `(c, ky, kx)`, padded to a multiple of 4 with taps that read the
    /// all-zero plane after the image.
    let offsets: [Int]

    init(_ g: ConvolutionGeometry, outChannels: Int) {
        base = g
        self.outChannels = outChannels
        pitch = g.width + 2 * g.padding
        gridCount = (g.outputHeight * pitch + 31) / 32 * 32
        planeStride = ((g.height + 2 * g.padding) * pitch + 64 + g.kernelWidth + 7) / 8 * 8
        var offsets = [Int]()
        for c in 0..<g.channels {
            for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth { offsets.append(c * planeStride + ky * pitch + kx) } }
        }
        while offsets.count % 4 != 0 { offsets.append(g.channels * planeStride) }
        self.offsets = offsets
    }

    var taps: Int { base.patchSize }
    /// The padded planes of one image plus the zero plane.
    var planesSize: Int { (base.channels + 1) * planeStride }

    /// Copies image `x` into the interior of `planes` (the border, zeroed once, is never written).
    func pad<T: TensorScalar>(_ x: UnsafePointer<T>, into planes: UnsafeMutablePointer<T>) {
        let g = base
        for c in 0..<g.channels {
            for y in 0..<g.height {
                (planes + c * planeStride + (y + g.padding) * pitch + g.padding).update(from: x + (c * g.height + y) * g.width, count: g.width)
            }
        }
    }
}

/// Whether `conv2d` computes `g` directly: stride 1, and for `automatic` at most 16 input channels
/// (measured by `NablaBench conv-compare`: level with im2col for 1 and 3 channels, 10–15% faster
/// for the demo CNN's 16 → 32 5×5 layer, where im2col's products are small).
func usesDirectConvolution(_ g: ConvolutionGeometry, _ algorithm: ConvolutionAlgorithm) -> Bool {
    guard g.stride == 1 else { return false }
    switch algorithm {
    case .direct: return true
    case .automatic: return g.channels <= 16
    case .im2col, .winograd, .winograd4: return false
    }
}

/// Whether the input gradient of a direct convolution can be a direct convolution too: square
/// filters and padding below their size (the full correlation's padding `k - 1 - p` is then ≥ 0).
func directInputGradientApplies(_ g: ConvolutionGeometry) -> Bool {
    g.stride == 1 && g.kernelHeight == g.kernelWidth && g.padding < g.kernelHeight
}

/// The input gradient of a stride-1 convolution (`directInputGradientApplies`): the forward pass
/// of the output gradient `gy` with each filter turned by half a turn and the channels swapped
/// (`w'[c][o] = rot180(w[o][c])`), padding `k - 1 - p`, which gives back the input's size.
func directConv2dInputGradient<T: TensorScalar>(_ gy: Tensor, _ w: Tensor, _ gx: inout Tensor, _ g: ConvolutionGeometry, _: T.Type) {
    let outChannels = w.shape[0], k = g.kernelHeight, area = k * k
    let turned = Tensor(uninitializedShape: [g.channels, outChannels, k, k], dtype: w.dtype)
    let pw = w.pointer(T.self), pt = turned.pointer(T.self)
    for o in 0..<outChannels {
        for c in 0..<g.channels {
            for i in 0..<area { pt[(c * outChannels + o) * area + i] = pw[(o * g.channels + c) * area + area - 1 - i] }
        }
    }
    let back = ConvolutionGeometry(channels: outChannels, height: g.outputHeight, width: g.outputWidth,
                                   kernelHeight: k, kernelWidth: k, stride: 1, padding: k - 1 - g.padding)
    directConv2dForward(gy, turned, nil, &gx, back, T.self)
}

/// The forward pass: two output channels and 32 grid outputs at a time (eight accumulators), each
/// tap one load of its weights and four of the plane.
func directConv2dForward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ out: inout Tensor, _ g: ConvolutionGeometry, _: T.Type) {
    let batch = x.shape[0], outChannels = w.shape[0], d = DirectGeometry(g, outChannels: outChannels)
    let taps = d.taps, pairs = (outChannels + 1) / 2, workers = Swift.min(Parallel.workers, Swift.max(batch, 1))
    // Weights packed [pair][tap][2] (the missing second channel of an odd count is zero).
    var packed = [T](repeating: 0, count: pairs * d.offsets.count * 2)
    let pw = w.pointer(T.self)
    for o in 0..<outChannels {
        for t in 0..<taps { packed[((o / 2) * d.offsets.count + t) * 2 + o % 2] = pw[o * taps + t] }
    }
    let planes = Tensor.zeros([workers, d.planesSize], dtype: x.dtype)
    let grids = Tensor(uninitializedShape: [workers, 2 * d.gridCount], dtype: x.dtype)
    let px = x.pointer(T.self), po = out.pointer(T.self), pb = b?.pointer(T.self)
    let outH = g.outputHeight, outW = g.outputWidth, imageSize = g.channels * g.height * g.width
    packed.withUnsafeBufferPointer { weights in
        d.offsets.withUnsafeBufferPointer { offsets in
            convolutionSplitBatch(batch, usesBLAS: false) { worker, images in
                let plane = planes.pointer(T.self) + worker * d.planesSize, grid = grids.pointer(T.self) + worker * 2 * d.gridCount
                for n in images {
                    d.pad(px + n * imageSize, into: plane)
                    for pair in 0..<pairs {
                        let wp = weights.baseAddress! + pair * offsets.count * 2
                        for q in stride(from: 0, to: d.gridCount, by: 32) {
                            directForwardChunk(UnsafeRawPointer(plane + q), offsets, wp, grid + q, grid + d.gridCount + q)
                        }
                        for k in 0..<Swift.min(2, outChannels - 2 * pair) {
                            let o = 2 * pair + k, shift = pb?[o] ?? 0, rows = grid + k * d.gridCount
                            for y in 0..<outH {
                                let dst = po + ((n * outChannels + o) * outH + y) * outW, src = rows + y * d.pitch
                                for xo in 0..<outW { dst[xo] = src[xo] + shift }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// 32 outputs of two channels: `first[i] = Σ_t w[t][0] · plane[i + offset(t)]`, `second` with `w[t][1]`.
@inline(__always)
private func directForwardChunk<T: TensorScalar>(_ plane: UnsafeRawPointer, _ offsets: UnsafeBufferPointer<Int>, _ w: UnsafePointer<T>,
                                                 _ first: UnsafeMutablePointer<T>, _ second: UnsafeMutablePointer<T>) {
    let size = MemoryLayout<T>.stride
    var a0 = SIMD8<T>(), a1 = SIMD8<T>(), a2 = SIMD8<T>(), a3 = SIMD8<T>()
    var b0 = SIMD8<T>(), b1 = SIMD8<T>(), b2 = SIMD8<T>(), b3 = SIMD8<T>()
    for t in 0..<offsets.count {
        let p = plane + offsets[t] * size
        let v0 = p.loadUnaligned(as: SIMD8<T>.self), v1 = p.loadUnaligned(fromByteOffset: 8 * size, as: SIMD8<T>.self)
        let v2 = p.loadUnaligned(fromByteOffset: 16 * size, as: SIMD8<T>.self), v3 = p.loadUnaligned(fromByteOffset: 24 * size, as: SIMD8<T>.self)
        let wa = SIMD8<T>(repeating: w[2 * t]), wb = SIMD8<T>(repeating: w[2 * t + 1])
        a0.addProduct(wa, v0); a1.addProduct(wa, v1); a2.addProduct(wa, v2); a3.addProduct(wa, v3)
        b0.addProduct(wb, v0); b1.addProduct(wb, v1); b2.addProduct(wb, v2); b3.addProduct(wb, v3)
    }
    let fa = UnsafeMutableRawPointer(first), fb = UnsafeMutableRawPointer(second)
    fa.storeBytes(of: a0, as: SIMD8<T>.self); fa.storeBytes(of: a1, toByteOffset: 8 * size, as: SIMD8<T>.self)
    fa.storeBytes(of: a2, toByteOffset: 16 * size, as: SIMD8<T>.self); fa.storeBytes(of: a3, toByteOffset: 24 * size, as: SIMD8<T>.self)
    fb.storeBytes(of: b0, as: SIMD8<T>.self); fb.storeBytes(of: b1, toByteOffset: 8 * size, as: SIMD8<T>.self)
    fb.storeBytes(of: b2, toByteOffset: 16 * size, as: SIMD8<T>.self); fb.storeBytes(of: b3, toByteOffset: 24 * size, as: SIMD8<T>.self)
}

/// The weight and bias gradients (a first layer needs no input gradient; other layers get it from
/// `directConv2dInputGradient`). `dw[o][tap] = Σ_q dy[o][q] · plane[q + offset(tap)]` over the grid,
/// with `dy` zero on the dropped columns: two output channels and four taps at a time (eight
/// accumulators). Each worker sums its images into a slice of its own; the slices are added in
/// worker order, so the result does not depend on timing.
func directConv2dWeightGradient<T: TensorScalar>(_ x: Tensor, _ gy: Tensor, _ gw: inout Tensor?, _ gb: inout Tensor?,
                                                 _ g: ConvolutionGeometry, outChannels: Int, _: T.Type) {
    let batch = x.shape[0], d = DirectGeometry(g, outChannels: outChannels), taps = d.taps
    let pairs = (outChannels + 1) / 2, workers = Swift.min(Parallel.workers, Swift.max(batch, 1))
    let partialSize = pairs * 2 * d.offsets.count + outChannels
    let partials = Tensor.zeros([workers, partialSize], dtype: x.dtype)
    let planes = Tensor.zeros([workers, d.planesSize], dtype: x.dtype)
    // The output gradient on the grid, one row of `gridCount` per channel (plus a zero row for an odd count).
    let grids = Tensor.zeros([workers, 2 * pairs * d.gridCount], dtype: x.dtype)
    let px = x.pointer(T.self), pg = gy.pointer(T.self)
    let outH = g.outputHeight, outW = g.outputWidth, imageSize = g.channels * g.height * g.width, pixels = outH * outW
    d.offsets.withUnsafeBufferPointer { offsets in
        convolutionSplitBatch(batch, usesBLAS: false) { worker, images in
            let plane = planes.pointer(T.self) + worker * d.planesSize, grid = grids.pointer(T.self) + worker * 2 * pairs * d.gridCount
            let partial = partials.pointer(T.self) + worker * partialSize
            for n in images {
                d.pad(px + n * imageSize, into: plane)
                for o in 0..<outChannels {
                    let src = pg + (n * outChannels + o) * pixels
                    partial[partialSize - outChannels + o] += contiguousSum(src, pixels)
                    for y in 0..<outH { (grid + o * d.gridCount + y * d.pitch).update(from: src + y * outW, count: outW) }
                }
                for pair in 0..<pairs {
                    for t in stride(from: 0, to: offsets.count, by: 4) {
                        directWeightChunk(plane, offsets, t, grid + 2 * pair * d.gridCount, grid + (2 * pair + 1) * d.gridCount,
                                          count: d.gridCount, partial + (pair * offsets.count + t) * 2)
                    }
                }
            }
        }
    }
    let total = workers == 1 ? partials.reshaped([partialSize]) : partials.sum(alongAxes: [0])
    let pt = total.pointer(T.self)
    if let gb { gb.pointer(T.self).update(from: pt + partialSize - outChannels, count: outChannels) }
    if let gw {
        let pw = gw.pointer(T.self)
        for o in 0..<outChannels {
            for t in 0..<taps { pw[o * taps + t] = pt[((o / 2) * d.offsets.count + t) * 2 + o % 2] }
        }
    }
}

/// Adds `Σ_q first[q] · plane[q + offset(t + j)]` to `sums[2j]` and the same with `second` to
/// `sums[2j + 1]`, for the four taps `t ..< t + 4`.
@inline(__always)
private func directWeightChunk<T: TensorScalar>(_ plane: UnsafePointer<T>, _ offsets: UnsafeBufferPointer<Int>, _ t: Int,
                                                _ first: UnsafePointer<T>, _ second: UnsafePointer<T>, count: Int,
                                                _ sums: UnsafeMutablePointer<T>) {
    let p0 = UnsafeRawPointer(plane + offsets[t]), p1 = UnsafeRawPointer(plane + offsets[t + 1])
    let p2 = UnsafeRawPointer(plane + offsets[t + 2]), p3 = UnsafeRawPointer(plane + offsets[t + 3])
    let fa = UnsafeRawPointer(first), fb = UnsafeRawPointer(second), size = MemoryLayout<T>.stride
    var a0 = SIMD8<T>(), a1 = SIMD8<T>(), a2 = SIMD8<T>(), a3 = SIMD8<T>()
    var b0 = SIMD8<T>(), b1 = SIMD8<T>(), b2 = SIMD8<T>(), b3 = SIMD8<T>()
    for q in stride(from: 0, to: count, by: 8) {
        let byte = q * size
        let ga = fa.loadUnaligned(fromByteOffset: byte, as: SIMD8<T>.self), gb = fb.loadUnaligned(fromByteOffset: byte, as: SIMD8<T>.self)
        let v0 = p0.loadUnaligned(fromByteOffset: byte, as: SIMD8<T>.self), v1 = p1.loadUnaligned(fromByteOffset: byte, as: SIMD8<T>.self)
        let v2 = p2.loadUnaligned(fromByteOffset: byte, as: SIMD8<T>.self), v3 = p3.loadUnaligned(fromByteOffset: byte, as: SIMD8<T>.self)
        a0.addProduct(ga, v0); a1.addProduct(ga, v1); a2.addProduct(ga, v2); a3.addProduct(ga, v3)
        b0.addProduct(gb, v0); b1.addProduct(gb, v1); b2.addProduct(gb, v2); b3.addProduct(gb, v3)
    }
    sums[0] += a0.sum(); sums[1] += b0.sum(); sums[2] += a1.sum(); sums[3] += b1.sum()
    sums[4] += a2.sum(); sums[5] += b2.sum(); sums[6] += a3.sum(); sums[7] += b3.sum()
}
