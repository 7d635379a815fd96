// The tile transforms of the Winograd convolutions with 4 × 4 output tiles (WinogradLanes.swift),
// with the eight SIMD lanes running over eight images: lane k of every vector belongs to image
// `8·group + k`, so each value of a tile is one aligned vector load, whatever the image size.
//
// Why images rather than neighbouring tiles (as the 2 × 2 kernels of WinogradKernels.swift do): a
// 14 × 14 output has four 4 × 4 tiles per row and a 7 × 7 output two, so eight tiles along a row
// would leave half or three quarters of the lanes empty; eight images always fill them (except in
// a batch's last group).
//
// Planes hold eight images interleaved, `[channels][rows][columns]` of SIMD8, zero outside the
// images. The transformed tiles (`V`, `M`, `dM`) are α² matrices `[channels][tiles]`, a tile column
// being `8 · (tile index in the block) + lane`, tile index `(group in block) · tilesPerImage + ty · tilesX + tx`.
// The matrices lie `winogradLanesMatrixStride` apart: a transform writes (or reads) one vector in
// each of them per tile, and at a power-of-two distance those α² streams would all fall into the
// same few sets of the L1 cache.

/// The distance, in SIMD8 vectors, between consecutive matrices of `rows × lanes` vectors: one
/// cache line (of Float) more than their size, so that the α² streams of a transform spread over the cache sets.
func winogradLanesMatrixStride(rows: Int, lanes: Int) -> Int { rows * lanes + 2 }

/// Copies images `first ..< first + count` (`count ≤ 8`) of `x` (`[N, C, height, width]`) into lanes
/// `0 ..< count` of `plane` (`[C][rows][columns]`), `padding` rows and columns in from the top left.
/// The rest of the plane is left as it is: zero, as the caller allocated it, except that a group of
/// fewer than eight images first zeroes the whole plane, so that the empty lanes hold zeros.
func winogradLanesPad<T: TensorScalar>(_ x: UnsafePointer<T>, first: Int, count: Int, channels: Int, height: Int, width: Int,
                                       padding: Int, into plane: UnsafeMutablePointer<SIMD8<T>>, rows: Int, columns: Int) {
    if count < 8 { plane.update(repeating: .zero, count: channels * rows * columns) }
    let imageSize = channels * height * width, images = x + first * imageSize
    for c in 0..<channels {
        for y in 0..<height {
            let source = images + (c * height + y) * width, target = plane + (c * rows + y + padding) * columns + padding
            // Eight columns of the eight images at a time, turned into eight vectors of one column each; the last
            // chunk overlaps the one before it when the width is not a multiple of 8. Rows narrower than 8 read
            // on into the next row (not past the image) and keep only their own columns.
            if count == 8 && (width >= 8 || (c * height + y) * width + 8 <= imageSize) {
                for x0 in stride(from: 0, to: width, by: 8) {
                    let i = width >= 8 ? Swift.min(x0, width - 8) : 0
                    transposed8x8 { UnsafeRawPointer(source + $0 * imageSize + i) } store: { if i + $0 < width { target[i + $0] = $1 } }
                }
            } else {
                let p = UnsafeMutableRawPointer(target).assumingMemoryBound(to: T.self)
                for lane in 0..<count {
                    for i in 0..<width { p[8 * i + lane] = source[lane * imageSize + i] }
                }
            }
        }
    }
}

/// The inverse of `winogradLanesPad` for an output: lanes `0 ..< count` of `plane` (`[O][rows][columns]`)
/// written to images `first ..< first + count` of `y` (`[N, O, g.outputHeight, g.outputWidth]`).
func winogradLanesUnpad<T: TensorScalar>(_ plane: UnsafePointer<SIMD8<T>>, _ y: UnsafeMutablePointer<T>, first: Int, count: Int,
                                         _ g: WinogradGeometry) {
    let rows = 4 * g.tilesY, columns = 4 * g.tilesX, outH = g.outputHeight, outW = g.outputWidth
    let imageSize = g.outChannels * outH * outW, images = y + first * imageSize
    for o in 0..<g.outChannels {
        for r in 0..<outH {
            let source = plane + (o * rows + r) * columns, target = images + (o * outH + r) * outW
            // Rows narrower than 8 read 8 columns of the plane (it has at least 8 then) and write their own.
            if count == 8 && (outW >= 8 || columns >= 8) {
                for x0 in stride(from: 0, to: outW, by: 8) {
                    let i = outW >= 8 ? Swift.min(x0, outW - 8) : 0
                    transposed8x8 { UnsafeRawPointer(source + i + $0) } store: { k, row in
                        let image = target + k * imageSize + i
                        if outW >= 8 {
                            UnsafeMutableRawPointer(image).storeBytes(of: row, as: SIMD8<T>.self)
                        } else {
                            for j in 0..<outW { image[j] = row[j] }
                        }
                    }
                }
            } else {
                let p = UnsafeRawPointer(source).assumingMemoryBound(to: T.self)
                for lane in 0..<count {
                    for i in 0..<outW { target[lane * imageSize + i] = p[8 * i + lane] }
                }
            }
        }
    }
}

/// Loads the eight vectors `row(0) … row(7)` and hands `store` their transpose: column `j` (lane `k`
/// of vector `j` is lane `j` of row `k`). Written as the unpack / shuffle / 128-bit permute steps of
/// the usual AVX transpose, which the compiler turns into those instructions for Float.
@inline(__always)
private func transposed8x8<T: TensorScalar>(_ row: (Int) -> UnsafeRawPointer, store: (Int, SIMD8<T>) -> Void) {
    @inline(__always) func load(_ k: Int) -> SIMD8<T> { row(k).loadUnaligned(as: SIMD8<T>.self) }
    @inline(__always) func low(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { SIMD8(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
    @inline(__always) func high(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { SIMD8(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
    @inline(__always) func pairs(_ a: SIMD8<T>, _ b: SIMD8<T>, _ k: Int) -> SIMD8<T> {
        SIMD8(a[k], a[k + 1], b[k], b[k + 1], a[k + 4], a[k + 5], b[k + 4], b[k + 5])
    }
    let r0 = load(0), r1 = load(1), r2 = load(2), r3 = load(3), r4 = load(4), r5 = load(5), r6 = load(6), r7 = load(7)
    let t0 = low(r0, r1), t1 = high(r0, r1), t2 = low(r2, r3), t3 = high(r2, r3)
    let t4 = low(r4, r5), t5 = high(r4, r5), t6 = low(r6, r7), t7 = high(r6, r7)
    let u0 = pairs(t0, t2, 0), u1 = pairs(t0, t2, 2), u2 = pairs(t1, t3, 0), u3 = pairs(t1, t3, 2)
    let u4 = pairs(t4, t6, 0), u5 = pairs(t4, t6, 2), u6 = pairs(t5, t7, 0), u7 = pairs(t5, t7, 2)
    store(0, SIMD8(lowHalf: u0.lowHalf, highHalf: u4.lowHalf))
    store(1, SIMD8(lowHalf: u1.lowHalf, highHalf: u5.lowHalf))
    store(2, SIMD8(lowHalf: u2.lowHalf, highHalf: u6.lowHalf))
    store(3, SIMD8(lowHalf: u3.lowHalf, highHalf: u7.lowHalf))
    store(4, SIMD8(lowHalf: u0.highHalf, highHalf: u4.highHalf))
    store(5, SIMD8(lowHalf: u1.highHalf, highHalf: u5.highHalf))
    store(6, SIMD8(lowHalf: u2.highHalf, highHalf: u6.highHalf))
    store(7, SIMD8(lowHalf: u3.highHalf, highHalf: u7.highHalf))
}

/// `V = Bᵀ d B` for every tile of one group's padded planes, written at tile index `t0` of `v`, whose
/// matrices have `lanes` SIMD8 columns. `scratch` holds α² vectors.
func winogradLanesInputTransform<L: WinogradTile4, T: TensorScalar>(_: L.Type, _ plane: UnsafePointer<SIMD8<T>>, _ v: UnsafeMutablePointer<SIMD8<T>>,
                                                                    lanes: Int, t0: Int, _ g: WinogradGeometry,
                                                                    _ scratch: UnsafeMutablePointer<SIMD8<T>>) {
    let alpha = L.alpha, matrix = winogradLanesMatrixStride(rows: g.channels, lanes: lanes)
    for c in 0..<g.channels {
        for ty in 0..<g.tilesY {
            for tx in 0..<g.tilesX {
                // Bᵀ along each row of the tile into scratch, then along its columns into V.
                let corner = plane + (c * g.planeRows + 4 * ty) * g.planeColumns + 4 * tx
                for i in 0..<alpha { L.input(corner + i * g.planeColumns, 1, scratch + i * alpha, 1) }
                let out = v + c * lanes + t0 + ty * g.tilesX + tx
                for b in 0..<alpha { L.input(scratch + b, alpha, out + b * matrix, alpha * matrix) }
            }
        }
    }
}

/// `Y = Aᵀ M A` (plus the bias) for every tile at tile index `t0` of `m` (`lanes` SIMD8 columns),
/// written into `plane` (`[O][4·tilesY][4·tilesX]`). `scratch` holds 4α vectors.
func winogradLanesOutputTransform<L: WinogradTile4, T: TensorScalar>(_: L.Type, _ m: UnsafePointer<SIMD8<T>>, _ plane: UnsafeMutablePointer<SIMD8<T>>,
                                                                     bias: UnsafePointer<T>?, lanes: Int, t0: Int, _ g: WinogradGeometry,
                                                                     _ scratch: UnsafeMutablePointer<SIMD8<T>>) {
    let alpha = L.alpha, matrix = winogradLanesMatrixStride(rows: g.outChannels, lanes: lanes)
    let rows = 4 * g.tilesY, columns = 4 * g.tilesX
    for o in 0..<g.outChannels {
        let shift = SIMD8<T>(repeating: bias?[o] ?? 0)
        for ty in 0..<g.tilesY {
            for tx in 0..<g.tilesX {
                // Aᵀ along each row of M into scratch (`[α][4]`), then along the columns.
                let source = m + o * lanes + t0 + ty * g.tilesX + tx
                for a in 0..<alpha {
                    let f = L.output(source + a * alpha * matrix, matrix)
                    scratch[4 * a] = f.0; scratch[4 * a + 1] = f.1; scratch[4 * a + 2] = f.2; scratch[4 * a + 3] = f.3
                }
                let target = plane + (o * rows + 4 * ty) * columns + 4 * tx
                for j in 0..<4 {
                    let y = L.output(scratch + j, 4)
                    target[j] = y.0 + shift
                    target[columns + j] = y.1 + shift
                    target[2 * columns + j] = y.2 + shift
                    target[3 * columns + j] = y.3 + shift
                }
            }
        }
    }
}

/// `dM = A dY Aᵀ` for every tile of one group's output gradient `plane` (`[O][4·tilesY][4·tilesX]`,
/// zero past the output), written at tile index `t0` of `dm` (`lanes` SIMD8 columns). `scratch`
/// holds 4α vectors.
func winogradLanesGradientTransform<L: WinogradTile4, T: TensorScalar>(_: L.Type, _ plane: UnsafePointer<SIMD8<T>>, _ dm: UnsafeMutablePointer<SIMD8<T>>,
                                                                       lanes: Int, t0: Int, _ g: WinogradGeometry,
                                                                       _ scratch: UnsafeMutablePointer<SIMD8<T>>) {
    let alpha = L.alpha, matrix = winogradLanesMatrixStride(rows: g.outChannels, lanes: lanes)
    let rows = 4 * g.tilesY, columns = 4 * g.tilesX
    for o in 0..<g.outChannels {
        for ty in 0..<g.tilesY {
            for tx in 0..<g.tilesX {
                // A along each row of dY into scratch (`[4][α]`), then along the columns into dM.
                let corner = plane + (o * rows + 4 * ty) * columns + 4 * tx
                for i in 0..<4 {
                    let row = corner + i * columns
                    L.gradient((row[0], row[1], row[2], row[3]), scratch + i * alpha, 1)
                }
                let out = dm + o * lanes + t0 + ty * g.tilesX + tx
                for b in 0..<alpha {
                    L.gradient((scratch[b], scratch[alpha + b], scratch[2 * alpha + b], scratch[3 * alpha + b]), out + b * matrix, alpha * matrix)
                }
            }
        }
    }
}
