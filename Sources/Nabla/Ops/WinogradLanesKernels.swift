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
// images. The transformed tiles (`V`, `M`, `dM`) are `[α²][channels][tiles]`, a tile column being
// `8 · (tile index in the block) + lane`, tile index `(group in block) · tilesPerImage + ty · tilesX + tx`.

/// Copies images `first ..< first + count` (`count ≤ 8`) of `x` (`[N, C, height, width]`) into lanes
/// `0 ..< count` of `plane` (`[C][rows][columns]`), `padding` rows and columns in from the top left.
/// The rest of the plane is left as it is: zero, as the caller allocated it, except that a group of
/// fewer than eight images first zeroes the whole plane, so that the empty lanes hold zeros.
func winogradLanesPad<T: TensorScalar>(_ x: UnsafePointer<T>, first: Int, count: Int, channels: Int, height: Int, width: Int,
                                       padding: Int, into plane: UnsafeMutablePointer<SIMD8<T>>, rows: Int, columns: Int) {
    if count < 8 { plane.update(repeating: .zero, count: channels * rows * columns) }
    let p = UnsafeMutableRawPointer(plane).assumingMemoryBound(to: T.self), imageSize = channels * height * width
    for lane in 0..<count {
        let image = x + (first + lane) * imageSize
        for c in 0..<channels {
            for y in 0..<height {
                let source = image + (c * height + y) * width, target = p + ((c * rows + y + padding) * columns + padding) * 8 + lane
                for i in 0..<width { target[8 * i] = source[i] }
            }
        }
    }
}

/// The inverse of `winogradLanesPad` for an output: lanes `0 ..< count` of `plane` (`[O][rows][columns]`)
/// written to images `first ..< first + count` of `y` (`[N, O, g.outputHeight, g.outputWidth]`).
func winogradLanesUnpad<T: TensorScalar>(_ plane: UnsafePointer<SIMD8<T>>, _ y: UnsafeMutablePointer<T>, first: Int, count: Int,
                                         _ g: WinogradGeometry) {
    let p = UnsafeRawPointer(plane).assumingMemoryBound(to: T.self), rows = 4 * g.tilesY, columns = 4 * g.tilesX
    let outH = g.outputHeight, outW = g.outputWidth
    for lane in 0..<count {
        let image = y + (first + lane) * g.outChannels * outH * outW
        for o in 0..<g.outChannels {
            for r in 0..<outH {
                let source = p + (o * rows + r) * columns * 8 + lane, target = image + (o * outH + r) * outW
                for i in 0..<outW { target[i] = source[8 * i] }
            }
        }
    }
}

/// `V = Bᵀ d B` for every tile of one group's padded planes, written at tile index `t0` of `v`, whose
/// matrices have `lanes` SIMD8 columns. `scratch` holds α² vectors.
func winogradLanesInputTransform<L: WinogradTile4, T: TensorScalar>(_: L.Type, _ plane: UnsafePointer<SIMD8<T>>, _ v: UnsafeMutablePointer<SIMD8<T>>,
                                                                    lanes: Int, t0: Int, _ g: WinogradGeometry,
                                                                    _ scratch: UnsafeMutablePointer<SIMD8<T>>) {
    let alpha = L.alpha, matrix = g.channels * lanes
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
    let alpha = L.alpha, matrix = g.outChannels * lanes, rows = 4 * g.tilesY, columns = 4 * g.tilesX
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
    let alpha = L.alpha, matrix = g.outChannels * lanes, rows = 4 * g.tilesY, columns = 4 * g.tilesX
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
