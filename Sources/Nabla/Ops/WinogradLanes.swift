// Stride-1 convolutions through Winograd's F(4×4, 3×3) and F(4×4, 5×5), eight images at a time
// (WinogradLanesKernels.swift): the forward pass and the two halves of the weight gradient's work,
// the transforms and the α² matrix products. The input gradient is a forward pass of the output
// gradient (WinogradConvolution.swift), so it runs through `winogradLanesForward` too.

/// Tile columns (tiles × 8 images) per block of the α² matrix products: enough columns for BLAS to
/// run near its peak, while a block's transformed tiles stay within about a megabyte. Measured on the
/// demo CNN's 16 → 32 5×5 layer: 128 and 256 level, 512 a quarter slower.
private let winogradLanesTargetTiles = 256

/// SIMD8-aligned buffers of one worker, freed with `deallocate`.
private struct LaneBuffers<T: TensorScalar> {
    let plane: UnsafeMutablePointer<SIMD8<T>>, outputPlane: UnsafeMutablePointer<SIMD8<T>>
    let v: UnsafeMutablePointer<SIMD8<T>>, m: UnsafeMutablePointer<SIMD8<T>>, scratch: UnsafeMutablePointer<SIMD8<T>>

    /// `plane` for the input (`[C][planeRows][planeColumns]`), `outputPlane` for the output or its
    /// gradient (`[O][4·tilesY][4·tilesX]`), both zeroed; `v` and `m` for `lanes` SIMD8 columns.
    init(_ g: WinogradGeometry, lanes: Int) {
        let area = g.alpha * g.alpha, outputPlaneSize = g.outChannels * 16 * g.tilesPerImage
        plane = .allocate(capacity: g.channels * g.planeSize)
        plane.initialize(repeating: .zero, count: g.channels * g.planeSize)
        outputPlane = .allocate(capacity: outputPlaneSize)
        outputPlane.initialize(repeating: .zero, count: outputPlaneSize)
        v = .allocate(capacity: area * winogradLanesMatrixStride(rows: g.channels, lanes: lanes))
        m = .allocate(capacity: area * winogradLanesMatrixStride(rows: g.outChannels, lanes: lanes))
        scratch = .allocate(capacity: area)
    }

    func deallocate() { plane.deallocate(); outputPlane.deallocate(); v.deallocate(); m.deallocate(); scratch.deallocate() }
}

/// Groups of eight images per block, and SIMD8 columns of a full block's matrices.
private func laneBlock(_ g: WinogradGeometry) -> (groups: Int, lanes: Int) {
    let groups = Swift.max(1, winogradLanesTargetTiles / (8 * g.tilesPerImage))
    return (groups, groups * g.tilesPerImage)
}

@inline(__always)
private func scalars<T>(_ p: UnsafeMutablePointer<SIMD8<T>>) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
}

/// `y` (`[N, O, outH, outW]`) = the convolution of `x` (`[N, C, H, W]`) with the filters transformed
/// for `g` (`u`, `[α², O, C]`), plus `bias` when given.
func winogradLanesForward<L: WinogradTile4, T: TensorScalar>(_ tile: L.Type, _ x: UnsafePointer<T>, batch: Int, u: UnsafePointer<T>,
                                                              bias: UnsafePointer<T>?, _ y: UnsafeMutablePointer<T>, _ g: WinogradGeometry) {
    let area = g.alpha * g.alpha, groups = (batch + 7) / 8, block = laneBlock(g)
    convolutionSplitBatch(groups) { _, range in
        let buffers = LaneBuffers<T>(g, lanes: block.lanes)
        defer { buffers.deallocate() }
        for first in stride(from: range.lowerBound, to: range.upperBound, by: block.groups) {
            let members = first..<Swift.min(first + block.groups, range.upperBound), lanes = members.count * g.tilesPerImage
            for group in members {
                winogradLanesPad(x, first: 8 * group, count: Swift.min(8, batch - 8 * group), channels: g.channels, height: g.height,
                                 width: g.width, padding: g.padding, into: buffers.plane, rows: g.planeRows, columns: g.planeColumns)
                winogradLanesInputTransform(tile, buffers.plane, buffers.v, lanes: lanes, t0: (group - first) * g.tilesPerImage, g,
                                            buffers.scratch)
            }
            let v = scalars(buffers.v), m = scalars(buffers.m), tiles = 8 * lanes
            let vStride = 8 * winogradLanesMatrixStride(rows: g.channels, lanes: lanes)
            let mStride = 8 * winogradLanesMatrixStride(rows: g.outChannels, lanes: lanes)
            for xi in 0..<area {
                T.gemm(transA: false, transB: false, m: g.outChannels, n: tiles, k: g.channels, alpha: 1,
                       a: u + xi * g.outChannels * g.channels, lda: g.channels, b: v + xi * vStride, ldb: tiles,
                       beta: 0, c: m + xi * mStride, ldc: tiles)
            }
            for group in members {
                winogradLanesOutputTransform(tile, buffers.m, buffers.outputPlane, bias: bias, lanes: lanes,
                                             t0: (group - first) * g.tilesPerImage, g, buffers.scratch)
                winogradLanesUnpad(buffers.outputPlane, y, first: 8 * group, count: Swift.min(8, batch - 8 * group), g)
            }
        }
    }
}

/// The weight gradient's products in the Winograd domain, `dU[ξ] = Σ dM[ξ] V[ξ]ᵀ` over the batch
/// (`[α², O, C]`), followed by the bias gradient (`[O]`): each worker sums its groups into a slice
/// of its own, and the slices are added in worker order, so the sums do not depend on timing.
func winogradLanesWeightGradientSums<L: WinogradTile4, T: TensorScalar>(_ tile: L.Type, _ x: UnsafePointer<T>, _ gy: UnsafePointer<T>,
                                                                         batch: Int, _ g: WinogradGeometry) -> Tensor {
    let area = g.alpha * g.alpha, groups = (batch + 7) / 8, block = laneBlock(g)
    let workers = Swift.min(Parallel.workers, Swift.max(groups, 1))
    let filters = area * g.outChannels * g.channels, partialSize = filters + g.outChannels
    let partials = Tensor.zeros([workers, partialSize], dtype: T.dtype)
    let outH = g.outputHeight, outW = g.outputWidth, outputSize = g.outChannels * outH * outW
    convolutionSplitBatch(groups) { worker, range in
        let partial = partials.pointer(T.self) + worker * partialSize
        let buffers = LaneBuffers<T>(g, lanes: block.lanes)
        defer { buffers.deallocate() }
        for first in stride(from: range.lowerBound, to: range.upperBound, by: block.groups) {
            let members = first..<Swift.min(first + block.groups, range.upperBound), lanes = members.count * g.tilesPerImage
            for group in members {
                let count = Swift.min(8, batch - 8 * group), t0 = (group - first) * g.tilesPerImage
                winogradLanesPad(x, first: 8 * group, count: count, channels: g.channels, height: g.height, width: g.width,
                                 padding: g.padding, into: buffers.plane, rows: g.planeRows, columns: g.planeColumns)
                winogradLanesInputTransform(tile, buffers.plane, buffers.v, lanes: lanes, t0: t0, g, buffers.scratch)
                winogradLanesPad(gy, first: 8 * group, count: count, channels: g.outChannels, height: outH, width: outW, padding: 0,
                                 into: buffers.outputPlane, rows: 4 * g.tilesY, columns: 4 * g.tilesX)
                winogradLanesGradientTransform(tile, buffers.outputPlane, buffers.m, lanes: lanes, t0: t0, g, buffers.scratch)
                for n in (8 * group)..<(8 * group + count) {
                    for o in 0..<g.outChannels { partial[filters + o] += contiguousSum(gy + n * outputSize + o * outH * outW, outH * outW) }
                }
            }
            let v = scalars(buffers.v), dm = scalars(buffers.m), tiles = 8 * lanes
            let vStride = 8 * winogradLanesMatrixStride(rows: g.channels, lanes: lanes)
            let mStride = 8 * winogradLanesMatrixStride(rows: g.outChannels, lanes: lanes)
            for xi in 0..<area {
                T.gemm(transA: false, transB: true, m: g.outChannels, n: g.channels, k: tiles, alpha: 1,
                       a: dm + xi * mStride, lda: tiles, b: v + xi * vStride, ldb: tiles,
                       beta: 1, c: partial + xi * g.outChannels * g.channels, ldc: g.channels)
            }
        }
    }
    return workers == 1 ? partials.reshaped([partialSize]) : partials.sum(alongAxes: [0])
}
