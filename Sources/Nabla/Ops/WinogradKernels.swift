// The tile transforms of the Winograd convolution (WinogradConvolution.swift), eight tiles at a
// time: the eight tiles of a group are side by side in one tile row, so that each of their α × α
// values is one SIMD8 vector and every step of a transform is a vector multiply-add.
//
// Layout of the transformed tiles (`V`, `M`, `dM`): `[α²][channels][tiles]`, so that entry ξ of
// every tile is one row-major `channels × tiles` matrix, the operand of ξ's matrix product.

/// The sizes of a stride-1 convolution computed with `m × m` output tiles: 2 × 2 tiles run eight
/// along a tile row (this file), 4 × 4 tiles one per image of a group of eight (WinogradLanesKernels.swift).
struct WinogradGeometry {
    let transform: WinogradTransform
    let channels: Int, outChannels: Int, height: Int, width: Int, padding: Int
    let outputHeight: Int, outputWidth: Int
    let tilesY: Int, tilesX: Int
    /// Rows and columns of one zero-padded input plane: every tile, and (for 2 × 2 tiles) every
    /// 16-wide load of a group of eight tiles, stays inside it.
    let planeRows: Int, planeColumns: Int
    /// Use the general sparse loops even for F(2×2, 3×3), which has transforms written out
    /// (WinogradF2x3.swift): for the tests, which compare the two.
    var generalLoops = false

    init(_ transform: WinogradTransform, channels: Int, outChannels: Int, height: Int, width: Int, padding: Int) {
        self.transform = transform
        self.channels = channels; self.outChannels = outChannels
        self.height = height; self.width = width; self.padding = padding
        outputHeight = height + 2 * padding - transform.r + 1
        outputWidth = width + 2 * padding - transform.r + 1
        let m = transform.m
        tilesY = (outputHeight + m - 1) / m
        // 2 × 2: whole groups of eight tiles per row; the extra tiles read zeros and their outputs are dropped.
        tilesX = m == 2 ? ((outputWidth + 1) / 2 + 7) / 8 * 8 : (outputWidth + m - 1) / m
        planeRows = m * tilesY + transform.alpha - m
        planeColumns = m * tilesX + transform.alpha - m
    }

    var alpha: Int { transform.alpha }
    var tilesPerImage: Int { tilesY * tilesX }
    var planeSize: Int { planeRows * planeColumns }
}

/// Copies image `x` (`[C, H, W]`) into the interior of its padded planes; the border was zeroed
/// once by the caller and is never written.
func winogradPad<T: TensorScalar>(_ x: UnsafePointer<T>, into plane: UnsafeMutablePointer<T>, _ g: WinogradGeometry) {
    for c in 0..<g.channels {
        for y in 0..<g.height {
            let dst = plane + (c * g.planeRows + y + g.padding) * g.planeColumns + g.padding
            dst.update(from: x + (c * g.height + y) * g.width, count: g.width)
        }
    }
}

/// `V = Bᵀ d B` for every tile of one padded image, written at tile offset `t0` of `v`, whose
/// matrices have `tiles` columns.
func winogradInputTransform<T: TensorScalar>(_ plane: UnsafePointer<T>, _ v: UnsafeMutablePointer<T>, tiles: Int, t0: Int,
                                             _ g: WinogradGeometry, _ bt: SparseRows<T>, _ scratch: UnsafeMutablePointer<SIMD8<T>>) {
    if g.transform.r == 3 && !g.generalLoops { return winogradInputTransform2x3(plane, v, tiles: tiles, t0: t0, g) }
    let alpha = g.alpha, area = alpha * alpha, matrix = g.channels * tiles
    let d = scratch, e = scratch + area
    bt.start.withUnsafeBufferPointer { start in
        bt.entries.withUnsafeBufferPointer { entries in
            for c in 0..<g.channels {
                for ty in 0..<g.tilesY {
                    for tx in stride(from: 0, to: g.tilesX, by: 8) {
                        // Column j of tile tx + k is plane column 2(tx + k) + j: the even or odd half
                        // of a 16-wide load.
                        for i in 0..<alpha {
                            let row = UnsafeRawPointer(plane + (c * g.planeRows + 2 * ty + i) * g.planeColumns + 2 * tx)
                            for j in stride(from: 0, to: alpha, by: 2) {
                                let pair = row.loadUnaligned(fromByteOffset: j * MemoryLayout<T>.stride, as: SIMD16<T>.self)
                                d[i * alpha + j] = pair.evenHalf
                                d[i * alpha + j + 1] = pair.oddHalf
                            }
                        }
                        applyRows(start, entries, d, e, count: alpha, rowStride: alpha, columnStride: 1)
                        let out = v + c * tiles + t0 + ty * g.tilesX + tx
                        for a in 0..<alpha {
                            for b in 0..<alpha {
                                var sum = SIMD8<T>()
                                for k in start[a]..<start[a + 1] { sum.addProduct(SIMD8(repeating: entries[k].value), e[entries[k].column * alpha + b]) }
                                UnsafeMutableRawPointer(out + (a * alpha + b) * matrix).storeBytes(of: sum, as: SIMD8<T>.self)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `out[i][b] = Σ_j rows[b][j] · in[i][j]` for `i < count`: a sparse matrix applied along the second
/// index of a `count × columns` block of vectors (`in[i][j]` at `i · rowStride + j · columnStride`).
@inline(__always)
private func applyRows<T: TensorScalar>(_ start: UnsafeBufferPointer<Int>, _ entries: UnsafeBufferPointer<(column: Int, value: T)>,
                                        _ input: UnsafeMutablePointer<SIMD8<T>>, _ output: UnsafeMutablePointer<SIMD8<T>>,
                                        count: Int, rowStride: Int, columnStride: Int) {
    let rows = start.count - 1
    for i in 0..<count {
        for b in 0..<rows {
            var sum = SIMD8<T>()
            for k in start[b]..<start[b + 1] {
                sum.addProduct(SIMD8(repeating: entries[k].value), input[i * rowStride + entries[k].column * columnStride])
            }
            output[i * rows + b] = sum
        }
    }
}

/// `Y = Aᵀ M A` (plus the bias) for every tile of one image, from tile offset `t0` of `m` (whose
/// matrices have `tiles` columns), written into `y` (`[O, outH, outW]`); outputs of the tiles past
/// the edge are dropped. `at` is `Aᵀ` (`[2][α]`).
func winogradOutputTransform<T: TensorScalar>(_ m: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, bias: UnsafePointer<T>?, tiles: Int, t0: Int,
                                              _ g: WinogradGeometry, _ at: SparseRows<T>, _ scratch: UnsafeMutablePointer<SIMD8<T>>) {
    if g.transform.r == 3 && !g.generalLoops { return winogradOutputTransform2x3(m, y, bias: bias, tiles: tiles, t0: t0, g) }
    let alpha = g.alpha, area = alpha * alpha, matrix = g.outChannels * tiles
    let outH = g.outputHeight, outW = g.outputWidth
    let tile = scratch, f = scratch + area
    at.start.withUnsafeBufferPointer { start in
        at.entries.withUnsafeBufferPointer { entries in
            for o in 0..<g.outChannels {
                let shift = SIMD8<T>(repeating: bias?[o] ?? 0)
                for ty in 0..<g.tilesY {
                    for tx in stride(from: 0, to: g.tilesX, by: 8) {
                        let src = UnsafeRawPointer(m + o * tiles + t0 + ty * g.tilesX + tx)
                        for xi in 0..<area {
                            tile[xi] = src.loadUnaligned(fromByteOffset: xi * matrix * MemoryLayout<T>.stride, as: SIMD8<T>.self)
                        }
                        // f[a][j] = Σ_b M[a][b] A[b][j]; then Y[i][j] = Σ_a A[a][i] f[a][j].
                        applyRows(start, entries, tile, f, count: alpha, rowStride: alpha, columnStride: 1)
                        let column = 2 * tx
                        guard column < outW else { continue }
                        for i in 0..<2 where 2 * ty + i < outH {
                            var left = shift, right = shift
                            for k in start[i]..<start[i + 1] {
                                left += entries[k].value * f[entries[k].column * 2]
                                right += entries[k].value * f[entries[k].column * 2 + 1]
                            }
                            let row = y + (o * outH + 2 * ty + i) * outW + column
                            let pair = interleavedPair(left, right)
                            if column + 16 <= outW {
                                UnsafeMutableRawPointer(row).storeBytes(of: pair, as: SIMD16<T>.self)
                            } else {
                                for k in 0..<(outW - column) { row[k] = pair[k] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `dM = A dY Aᵀ` for every tile of one image's output gradient, padded into `plane`
/// (`[O][2·tilesY][2·tilesX]`, zero past the output), written at tile offset `t0` of `dm`.
/// `a` is `A` (`[α][2]`).
func winogradGradientTransform<T: TensorScalar>(_ plane: UnsafePointer<T>, _ dm: UnsafeMutablePointer<T>, tiles: Int, t0: Int,
                                                _ g: WinogradGeometry, _ a: SparseRows<T>, _ scratch: UnsafeMutablePointer<SIMD8<T>>) {
    if g.transform.r == 3 && !g.generalLoops { return winogradGradientTransform2x3(plane, dm, tiles: tiles, t0: t0, g) }
    let alpha = g.alpha, matrix = g.outChannels * tiles, rows = 2 * g.tilesY, columns = 2 * g.tilesX
    let dy = scratch, h = scratch + 4
    a.start.withUnsafeBufferPointer { start in
        a.entries.withUnsafeBufferPointer { entries in
            for o in 0..<g.outChannels {
                for ty in 0..<g.tilesY {
                    for tx in stride(from: 0, to: g.tilesX, by: 8) {
                        for i in 0..<2 {
                            let pair = UnsafeRawPointer(plane + (o * rows + 2 * ty + i) * columns + 2 * tx).loadUnaligned(as: SIMD16<T>.self)
                            dy[2 * i] = pair.evenHalf
                            dy[2 * i + 1] = pair.oddHalf
                        }
                        // h[i][b] = Σ_j dY[i][j] A[b][j]; then dM[a][b] = Σ_i A[a][i] h[i][b].
                        applyRows(start, entries, dy, h, count: 2, rowStride: 2, columnStride: 1)
                        let out = dm + o * tiles + t0 + ty * g.tilesX + tx
                        for r in 0..<alpha {
                            for b in 0..<alpha {
                                var sum = SIMD8<T>()
                                for k in start[r]..<start[r + 1] { sum.addProduct(SIMD8(repeating: entries[k].value), h[entries[k].column * alpha + b]) }
                                UnsafeMutableRawPointer(out + (r * alpha + b) * matrix).storeBytes(of: sum, as: SIMD8<T>.self)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `[e0, o0, e1, o1, …]`: the inverse of `evenHalf` / `oddHalf`.
@inline(__always)
func interleavedPair<T: TensorScalar>(_ even: SIMD8<T>, _ odd: SIMD8<T>) -> SIMD16<T> {
    SIMD16(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3],
           even[4], odd[4], even[5], odd[5], even[6], odd[6], even[7], odd[7])
}
