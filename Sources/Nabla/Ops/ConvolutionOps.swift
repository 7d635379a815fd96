import CBLAS
import Dispatch
import Foundation
import Synchronization

/// 2-D convolution (cross-correlation, as in every deep-learning framework) of NCHW images.
///
/// - Parameters:
///   - input: `[N, C, H, W]`.
///   - weight: `[O, C, kH, kW]`, as in PyTorch.
///   - bias: `[O]`, added to every output pixel of its channel; nil for none.
///   - stride: the step between windows, in both directions.
///   - padding: zeros added on every side of each image.
/// - Returns: `[N, O, (H + 2·padding - kH) / stride + 1, (W + 2·padding - kW) / stride + 1]`.
///
/// Each image is unrolled into a matrix `col` of shape `[C·kH·kW, outH·outW]` (im2col), so the
/// convolution becomes one matrix product `W · col` through BLAS. Backward, with `g` the output
/// gradient of one image: `dW += g · colᵀ`, `dcol = Wᵀ · g` folded back onto the image (col2im,
/// adding where windows overlap), `db = Σ g`. The columns are rebuilt in the backward pass rather
/// than kept, so memory stays at one column matrix per core. `db` is summed image by image in the
/// same pass. The batch is split over the cores,
/// each running im2col and a single-threaded GEMM for its own images (faster on two cores than
/// letting BLAS split every product).
///
/// That is the general path. `algorithm` (default `.automatic`) picks a faster kernel where one
/// was measured to win: Winograd with 4 × 4 output tiles for stride-1 3×3 and 5×5 layers with 16 or
/// more channels in and out and at least 8 images (WinogradLanes.swift; 2 × 2 tiles for 3×3 layers
/// with fewer images, WinogradConvolution.swift), a direct loop over the filter taps for other
/// stride-1 layers with few input channels (DirectConvolution.swift). Every choice computes the
/// same convolution, up to rounding.
public func conv2d(_ input: Variable, weight: Variable, bias: Variable? = nil,
                   stride: Int = 1, padding: Int = 0, algorithm: ConvolutionAlgorithm = .automatic) -> Variable {
    let x = input.value, w = weight.value
    let algorithm = algorithm == .automatic ? ConvolutionAlgorithm.environmentChoice ?? .automatic : algorithm
    precondition(x.rank == 4, "conv2d: input must be [N, C, H, W], got shape \(x.shape)")
    precondition(w.rank == 4, "conv2d: weight must be [out, in, kH, kW], got shape \(w.shape)")
    precondition(x.shape[1] == w.shape[1],
                 "conv2d: input of shape \(x.shape) has \(x.shape[1]) channels, weight of shape \(w.shape) expects \(w.shape[1])")
    precondition(x.dtype == w.dtype, "conv2d: input is \(x.dtype), weight is \(w.dtype)")
    precondition(stride >= 1 && padding >= 0, "conv2d: stride must be ≥ 1 and padding ≥ 0, got \(stride) and \(padding)")
    let geometry = ConvolutionGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                       kernelHeight: w.shape[2], kernelWidth: w.shape[3],
                                       stride: stride, padding: padding)
    precondition(geometry.outputHeight >= 1 && geometry.outputWidth >= 1,
                 "conv2d: input of shape \(x.shape) with padding \(padding) is smaller than the \(w.shape[2])×\(w.shape[3]) kernel")
    if let bias {
        precondition(bias.shape == [w.shape[0]], "conv2d: bias of shape \(bias.shape) does not match \(w.shape[0]) output channels")
        precondition(bias.dtype == x.dtype, "conv2d: input is \(x.dtype), bias is \(bias.dtype)")
    }
    let b = bias?.value
    let batch = x.shape[0], outChannels = w.shape[0]
    var out = Tensor(uninitializedShape: [batch, outChannels, geometry.outputHeight, geometry.outputWidth], dtype: x.dtype)
    let winograd = algorithm.usesWinograd(geometry, outChannels: outChannels, batch: batch)
    let direct = winograd == nil && usesDirectConvolution(geometry, algorithm)
    switch (x.dtype, winograd) {
    case (.float32, _) where direct: directConv2dForward(x, w, b, &out, geometry, Float.self)
    case (.float64, _) where direct: directConv2dForward(x, w, b, &out, geometry, Double.self)
    case (.float32, let wg?): winogradConv2dForward(x, w, b, &out, wg, Float.self)
    case (.float64, let wg?): winogradConv2dForward(x, w, b, &out, wg, Double.self)
    case (.float32, nil): conv2dForward(x, w, b, &out, geometry, Float.self)
    case (.float64, nil): conv2dForward(x, w, b, &out, geometry, Double.self)
    }

    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    return Variable(op: "conv2d", value: out, inputs: inputs) { g in
        // Each worker zeroes its own images' input gradient just before adding onto them (while
        // they are in its cache), and sums the bias gradient of its images as it goes.
        var gx: Tensor? = input.requiresGrad ? Tensor(uninitializedShape: x.shape, dtype: x.dtype) : nil
        var gw: Tensor? = weight.requiresGrad ? Tensor(uninitializedShape: w.shape, dtype: w.dtype) : nil
        var gb: Tensor? = bias?.requiresGrad == true ? Tensor(uninitializedShape: [outChannels], dtype: x.dtype) : nil
        if direct {
            // The weight and bias gradients directly; the input gradient (not needed by a first
            // layer) directly too where it is a stride-1 convolution itself, else through im2col.
            var none: Tensor? = nil, noBias: Tensor? = nil
            let turned = directInputGradientApplies(geometry)
            switch x.dtype {
            case .float32:
                if gw != nil || gb != nil { directConv2dWeightGradient(x, g, &gw, &gb, geometry, outChannels: outChannels, Float.self) }
                if gx != nil && turned { directConv2dInputGradient(g, w, &gx!, geometry, Float.self) }
                if gx != nil && !turned { conv2dBackward(x, w, g, &gx, &none, &noBias, geometry, Float.self) }
            case .float64:
                if gw != nil || gb != nil { directConv2dWeightGradient(x, g, &gw, &gb, geometry, outChannels: outChannels, Double.self) }
                if gx != nil && turned { directConv2dInputGradient(g, w, &gx!, geometry, Double.self) }
                if gx != nil && !turned { conv2dBackward(x, w, g, &gx, &none, &noBias, geometry, Double.self) }
            }
            return [gx, gw] + (bias == nil ? [] : [gb])
        }
        switch (x.dtype, winograd) {
        case (.float32, let wg?): winogradConv2dBackward(x, w, g, &gx, &gw, &gb, wg, Float.self)
        case (.float64, let wg?): winogradConv2dBackward(x, w, g, &gx, &gw, &gb, wg, Double.self)
        case (.float32, nil): conv2dBackward(x, w, g, &gx, &gw, &gb, geometry, Float.self)
        case (.float64, nil): conv2dBackward(x, w, g, &gx, &gw, &gb, geometry, Double.self)
        }
        return [gx, gw] + (bias == nil ? [] : [gb])
    }
}

/// How `conv2d` computes a convolution. All give the same values up to rounding (see
/// WinogradConvolution.swift for Winograd's error bound); the choice is only about speed.
public enum ConvolutionAlgorithm: Sendable {
    /// What was measured to win (`NablaBench conv-compare`): Winograd for stride-1 3 × 3 and 5 × 5
    /// filters with at least 16 channels in and out (4 × 4 tiles from 8 images on, else 2 × 2 tiles,
    /// 3 × 3 only), direct for other stride-1 layers with at most 16 input channels, im2col elsewhere.
    case automatic
    /// Each image unrolled into a column matrix, one matrix product per image.
    case im2col
    /// Winograd F(2×2, 3×3) or F(2×2, 5×5) where it applies (stride 1, square 3 × 3 or 5 × 5
    /// filters, padding below the filter's size); im2col elsewhere.
    case winograd
    /// Winograd F(4×4, 3×3) or F(4×4, 5×5), eight images at a time, where it applies (as `winograd`);
    /// im2col elsewhere.
    case winograd4
    /// A direct loop over the filter taps for the forward pass and the weight gradient
    /// (DirectConvolution.swift), made for few input channels; stride 1 only (im2col elsewhere).
    case direct

    /// `NABLA_CONVOLUTION=im2col` (or `winograd`, `winograd4`, `direct`) in the environment replaces `automatic`
    /// in every `conv2d`: for timing one kernel against another in a whole training run
    /// (Benchmarks/README.md). Unset, or any other value, changes nothing.
    static let environmentChoice: ConvolutionAlgorithm? = {
        switch ProcessInfo.processInfo.environment["NABLA_CONVOLUTION"] {
        case "im2col": .im2col
        case "winograd": .winograd
        case "winograd4": .winograd4
        case "direct": .direct
        default: nil
        }
    }()

    /// The Winograd geometry when this algorithm uses Winograd for `g`, else nil.
    func usesWinograd(_ g: ConvolutionGeometry, outChannels: Int, batch: Int) -> WinogradGeometry? {
        guard g.stride == 1, g.kernelHeight == g.kernelWidth, g.padding < g.kernelHeight else { return nil }
        let outputs: Int
        switch self {
        case .winograd: outputs = 2
        case .winograd4: outputs = 4
        case .automatic:
            guard g.channels >= 16 && outChannels >= 16 else { return nil }
            // 4 × 4 tiles fill their SIMD lanes with eight images; with fewer, 2 × 2 tiles (3 × 3 filters only).
            if batch >= 8 { outputs = 4 } else if g.kernelHeight == 3 { outputs = 2 } else { return nil }
        case .im2col, .direct: return nil
        }
        guard let transform = WinogradTransform.forKernel(g.kernelHeight, outputs: outputs) else { return nil }
        return WinogradGeometry(transform, channels: g.channels, outChannels: outChannels, height: g.height, width: g.width,
                                padding: g.padding)
    }
}

/// The sizes of one image's convolution: input `[C, H, W]`, a `kH × kW` window moved by `stride`
/// over the image padded by `padding`, and the resulting output grid.
struct ConvolutionGeometry {
    let channels: Int, height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let stride: Int, padding: Int
    let outputHeight: Int, outputWidth: Int

    init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        self.channels = channels; self.height = height; self.width = width
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.stride = stride; self.padding = padding
        outputHeight = (height + 2 * padding - kernelHeight) / stride + 1
        outputWidth = (width + 2 * padding - kernelWidth) / stride + 1
    }

    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Columns of the column matrix: one per output pixel.
    var pixels: Int { outputHeight * outputWidth }
    var imageSize: Int { channels * height * width }

    /// The output positions `o` whose input position `o·stride - padding + offset` lies inside
    /// `0..<size`; the others read padding.
    @inline(__always)
    func inside(offset: Int, size: Int, outputs: Int) -> Range<Int> {
        let first = padding - offset
        let lo = first <= 0 ? 0 : (first + stride - 1) / stride
        let last = size - 1 + padding - offset
        let hi = last < 0 ? 0 : Swift.min(outputs, last / stride + 1)
        return lo..<Swift.max(lo, hi)
    }
}

/// Unrolls one image `[C, H, W]` into `col` `[C·kH·kW, outH·outW]`: row `(c, ky, kx)` holds, for
/// each output pixel, the input element under kernel position `(ky, kx)` of channel `c` (0 in the padding).
func convolutionIm2col<T: TensorScalar>(_ x: UnsafePointer<T>, _ col: UnsafeMutablePointer<T>, _ g: ConvolutionGeometry) {
    let outW = g.outputWidth, pixels = g.pixels
    var row = 0
    for c in 0..<g.channels {
        for ky in 0..<g.kernelHeight {
            let rows = g.inside(offset: ky, size: g.height, outputs: g.outputHeight)
            for kx in 0..<g.kernelWidth {
                let cols = g.inside(offset: kx, size: g.width, outputs: outW)
                let dst = col + row * pixels
                // Plain loops rather than memcpy/memset: the rows are short (an output row, often
                // 14-32 elements), and a library call per row made im2col most of a small-image
                // convolution's time.
                for oy in 0..<g.outputHeight {
                    let d = dst + oy * outW
                    guard rows.contains(oy), !cols.isEmpty else {
                        for ox in 0..<outW { d[ox] = 0 }
                        continue
                    }
                    let base = (c * g.height + oy * g.stride - g.padding + ky) * g.width - g.padding + kx
                    for ox in 0..<cols.lowerBound { d[ox] = 0 }
                    for ox in cols.upperBound..<outW { d[ox] = 0 }
                    if g.stride == 1 {
                        let s = x + base
                        for ox in cols { d[ox] = s[ox] }
                    } else {
                        for ox in cols { d[ox] = x[base + ox * g.stride] }
                    }
                }
                row += 1
            }
        }
    }
}

/// The adjoint of `convolutionIm2col`: adds each entry of `col` onto the input element it was read
/// from (entries read from the padding are dropped). `x` must be zeroed by the caller.
func convolutionCol2im<T: TensorScalar>(_ col: UnsafePointer<T>, _ x: UnsafeMutablePointer<T>, _ g: ConvolutionGeometry) {
    let outW = g.outputWidth, pixels = g.pixels
    var row = 0
    for c in 0..<g.channels {
        for ky in 0..<g.kernelHeight {
            let rows = g.inside(offset: ky, size: g.height, outputs: g.outputHeight)
            for kx in 0..<g.kernelWidth {
                let cols = g.inside(offset: kx, size: g.width, outputs: outW)
                let src = col + row * pixels
                row += 1
                if cols.isEmpty { continue }
                for oy in rows {
                    let s = src + oy * outW
                    let base = (c * g.height + oy * g.stride - g.padding + ky) * g.width - g.padding + kx
                    if g.stride == 1 {
                        for ox in cols { x[base + ox] += s[ox] }
                    } else {
                        for ox in cols { x[base + ox * g.stride] += s[ox] }
                    }
                }
            }
        }
    }
}

/// Runs `body(worker, images)` over the batch split into one contiguous range per core. Kernels that
/// call BLAS (`usesBLAS`) get it single-threaded meanwhile, so that the two levels of threads do
/// not fight over the cores; with one image (or one core) BLAS keeps its own threads. Kernels that
/// do not call BLAS leave its thread count alone: each switch back to 2 threads woke OpenBLAS's
/// worker, which then spins (`sched_yield`) for a while on a core that the kernel's own workers
/// need, and cost the direct kernels a third of a Fashion-MNIST epoch (44.8 s against 31.8 s
/// with `OPENBLAS_NUM_THREADS=1`, same load).
func convolutionSplitBatch(_ batch: Int, usesBLAS: Bool = true, _ body: (Int, Range<Int>) -> Void) {
    let parts = Swift.min(Parallel.workers, batch)
    if parts <= 1 {
        body(0, 0..<batch)
        return
    }
    if usesBLAS { SingleThreadedBLAS.run { splitBatch(batch, parts, body) } } else { splitBatch(batch, parts, body) }
}

private func splitBatch(_ batch: Int, _ parts: Int, _ body: (Int, Range<Int>) -> Void) {
    let chunk = (batch + parts - 1) / parts
    DispatchQueue.concurrentPerform(iterations: parts) { part in
        let start = Swift.min(part * chunk, batch), end = Swift.min(start + chunk, batch)
        body(part, start..<end)
    }
}

private func conv2dForward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ out: inout Tensor,
                                            _ g: ConvolutionGeometry, _: T.Type) {
    let batch = x.shape[0], outChannels = w.shape[0], k = g.patchSize, pixels = g.pixels
    let px = x.pointer(T.self), pw = w.pointer(T.self), po = out.pointer(T.self)
    let pb = b?.pointer(T.self)
    let columns = Tensor(uninitializedShape: [Swift.min(Parallel.workers, Swift.max(batch, 1)), k * pixels], dtype: x.dtype)
    let pc = columns.pointer(T.self)
    convolutionSplitBatch(batch) { worker, images in
        let col = pc + worker * k * pixels
        for n in images {
            convolutionIm2col(px + n * g.imageSize, col, g)
            let y = po + n * outChannels * pixels
            // The bias is written first and the product added to it (beta = 1).
            if let pb {
                for o in 0..<outChannels { (y + o * pixels).update(repeating: pb[o], count: pixels) }
            }
            T.gemm(transA: false, transB: false, m: outChannels, n: pixels, k: k, alpha: 1,
                   a: pw, lda: k, b: col, ldb: pixels, beta: pb == nil ? 0 : 1, c: y, ldc: pixels)
        }
    }
}

/// The gradients of `conv2dForward` for the outputs asked for (non-nil on entry, their contents
/// overwritten). Each worker accumulates the weight and bias gradients of its images into a slice
/// of its own; the slices are added at the end, in worker order, so the result does not depend on
/// which worker finished first.
private func conv2dBackward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, _ gy: Tensor, _ gx: inout Tensor?, _ gw: inout Tensor?,
                                             _ gb: inout Tensor?, _ g: ConvolutionGeometry, _: T.Type) {
    let batch = x.shape[0], outChannels = w.shape[0], k = g.patchSize, pixels = g.pixels
    let workers = Swift.min(Parallel.workers, Swift.max(batch, 1))
    let px = x.pointer(T.self), pw = w.pointer(T.self), pg = gy.pointer(T.self)
    let pdx = gx?.pointer(T.self)
    let weights = outChannels * k, partialSize = weights + outChannels
    let needWeight = gw != nil, needBias = gb != nil
    let partials = needWeight || needBias ? Tensor.zeros([workers, partialSize], dtype: x.dtype) : nil
    let pp = partials?.pointer(T.self)
    let columns = Tensor(uninitializedShape: [workers, k * pixels], dtype: x.dtype)
    let pc = columns.pointer(T.self)
    convolutionSplitBatch(batch) { worker, images in
        let col = pc + worker * k * pixels
        for n in images {
            let gn = pg + n * outChannels * pixels
            if let pp, needBias {
                let pb = pp + worker * partialSize + weights
                for o in 0..<outChannels { pb[o] += contiguousSum(gn + o * pixels, pixels) }
            }
            if let pp, needWeight {
                convolutionIm2col(px + n * g.imageSize, col, g)
                T.gemm(transA: false, transB: true, m: outChannels, n: k, k: pixels, alpha: 1,
                       a: gn, lda: pixels, b: col, ldb: pixels, beta: 1, c: pp + worker * partialSize, ldc: k)
            }
            if let pdx {
                T.gemm(transA: true, transB: false, m: k, n: pixels, k: outChannels, alpha: 1,
                       a: pw, lda: k, b: gn, ldb: pixels, beta: 0, c: col, ldc: pixels)
                let image = pdx + n * g.imageSize
                image.update(repeating: 0, count: g.imageSize)
                convolutionCol2im(col, image, g)
            }
        }
    }
    guard let partials else { return }
    let total = workers == 1 ? partials.reshaped([partialSize]) : partials.sum(alongAxes: [0])
    let pt = total.pointer(T.self)
    if let gw { gw.pointer(T.self).update(from: pt, count: weights) }
    if let gb { gb.pointer(T.self).update(from: pt + weights, count: outChannels) }
}

/// Makes OpenBLAS run single-threaded while any caller is inside `run`, and restores its thread
/// count when the last one leaves. The count is process-wide, so nested or concurrent callers
/// (parallel trials) share one save/restore instead of restoring each other's setting.
enum SingleThreadedBLAS {
    private struct State { var active = 0; var saved: Int32 = 1 }
    private static let state = Mutex(State())

    static func run<R>(_ body: () -> R) -> R {
        state.withLock { s in
            if s.active == 0 {
                s.saved = openblas_get_num_threads()
                openblas_set_num_threads(1)
            }
            s.active += 1
        }
        defer {
            state.withLock { s in
                s.active -= 1
                if s.active == 0 { openblas_set_num_threads(s.saved) }
            }
        }
        return body()
    }
}
