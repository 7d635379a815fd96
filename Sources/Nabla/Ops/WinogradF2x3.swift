// F(2×2, 3×3)'s three tile transforms written out, for the layers where Winograd pays: the matrices
// of `WinogradTransform.f2x3` (points 0, 1, -1, ∞) have only 0 and ±1 entries, so each transform is
// a few vector additions held in registers, where the general sparse loops of WinogradKernels.swift
// spend most of their time loading and storing their scratch vectors. The tests run both on the
// same tiles (WinogradConvolutionTests).
//
//     Bᵀ = [-1 0 1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1]      A = [1 0; 1 1; 1 -1; 0 1]

/// `(Bᵀ d)` along one line of four values.
@inline(__always)
private func inputLine<T: TensorScalar>(_ d0: SIMD8<T>, _ d1: SIMD8<T>, _ d2: SIMD8<T>, _ d3: SIMD8<T>)
    -> (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>) {
    (d2 - d0, d1 + d2, d2 - d1, d3 - d1)
}

/// `Aᵀ m` along one line of four values.
@inline(__always)
private func outputLine<T: TensorScalar>(_ m0: SIMD8<T>, _ m1: SIMD8<T>, _ m2: SIMD8<T>, _ m3: SIMD8<T>) -> (SIMD8<T>, SIMD8<T>) {
    (m0 + m1 + m2, m1 - m2 + m3)
}

/// `A y` for one line of two values.
@inline(__always)
private func gradientLine<T: TensorScalar>(_ y0: SIMD8<T>, _ y1: SIMD8<T>) -> (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>) {
    (y0, y0 + y1, y0 - y1, y1)
}

/// `winogradInputTransform` for F(2×2, 3×3).
func winogradInputTransform2x3<T: TensorScalar>(_ plane: UnsafePointer<T>, _ v: UnsafeMutablePointer<T>, tiles: Int, t0: Int,
                                                _ g: WinogradGeometry) {
    let matrix = g.channels * tiles, size = MemoryLayout<T>.stride
    for c in 0..<g.channels {
        for ty in 0..<g.tilesY {
            for tx in stride(from: 0, to: g.tilesX, by: 8) {
                // Row i: the four columns of eight tiles, then Bᵀ along the row.
                func row(_ i: Int) -> (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>) {
                    let p = UnsafeRawPointer(plane + (c * g.planeRows + 2 * ty + i) * g.planeColumns + 2 * tx)
                    let a = p.loadUnaligned(as: SIMD16<T>.self), b = p.loadUnaligned(fromByteOffset: 2 * size, as: SIMD16<T>.self)
                    return inputLine(a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                }
                let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
                let out = UnsafeMutableRawPointer(v + c * tiles + t0 + ty * g.tilesX + tx)
                func store(_ column: (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>), _ b: Int) {
                    let (v0, v1, v2, v3) = inputLine(column.0, column.1, column.2, column.3)
                    out.storeBytes(of: v0, toByteOffset: (0 * 4 + b) * matrix * size, as: SIMD8<T>.self)
                    out.storeBytes(of: v1, toByteOffset: (1 * 4 + b) * matrix * size, as: SIMD8<T>.self)
                    out.storeBytes(of: v2, toByteOffset: (2 * 4 + b) * matrix * size, as: SIMD8<T>.self)
                    out.storeBytes(of: v3, toByteOffset: (3 * 4 + b) * matrix * size, as: SIMD8<T>.self)
                }
                store((r0.0, r1.0, r2.0, r3.0), 0)
                store((r0.1, r1.1, r2.1, r3.1), 1)
                store((r0.2, r1.2, r2.2, r3.2), 2)
                store((r0.3, r1.3, r2.3, r3.3), 3)
            }
        }
    }
}

/// `winogradOutputTransform` for F(2×2, 3×3).
func winogradOutputTransform2x3<T: TensorScalar>(_ m: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, bias: UnsafePointer<T>?,
                                                 tiles: Int, t0: Int, _ g: WinogradGeometry) {
    let matrix = g.outChannels * tiles, size = MemoryLayout<T>.stride
    let outH = g.outputHeight, outW = g.outputWidth
    for o in 0..<g.outChannels {
        let shift = SIMD8<T>(repeating: bias?[o] ?? 0)
        for ty in 0..<g.tilesY {
            for tx in stride(from: 0, to: g.tilesX, by: 8) {
                let column = 2 * tx
                if column >= outW { continue }
                let src = UnsafeRawPointer(m + o * tiles + t0 + ty * g.tilesX + tx)
                // Aᵀ along each row of M, then along the columns.
                func row(_ a: Int) -> (SIMD8<T>, SIMD8<T>) {
                    func at(_ b: Int) -> SIMD8<T> { src.loadUnaligned(fromByteOffset: (a * 4 + b) * matrix * size, as: SIMD8<T>.self) }
                    return outputLine(at(0), at(1), at(2), at(3))
                }
                let f0 = row(0), f1 = row(1), f2 = row(2), f3 = row(3)
                let (y00, y10) = outputLine(f0.0, f1.0, f2.0, f3.0)
                let (y01, y11) = outputLine(f0.1, f1.1, f2.1, f3.1)
                func write(_ i: Int, _ pair: SIMD16<T>) {
                    guard 2 * ty + i < outH else { return }
                    let dst = y + (o * outH + 2 * ty + i) * outW + column
                    if column + 16 <= outW {
                        UnsafeMutableRawPointer(dst).storeBytes(of: pair, as: SIMD16<T>.self)
                    } else {
                        for k in 0..<(outW - column) { dst[k] = pair[k] }
                    }
                }
                write(0, interleavedPair(y00 + shift, y01 + shift))
                write(1, interleavedPair(y10 + shift, y11 + shift))
            }
        }
    }
}

/// `winogradGradientTransform` for F(2×2, 3×3).
func winogradGradientTransform2x3<T: TensorScalar>(_ plane: UnsafePointer<T>, _ dm: UnsafeMutablePointer<T>, tiles: Int, t0: Int,
                                                   _ g: WinogradGeometry) {
    let matrix = g.outChannels * tiles, rows = 2 * g.tilesY, columns = 2 * g.tilesX, size = MemoryLayout<T>.stride
    for o in 0..<g.outChannels {
        for ty in 0..<g.tilesY {
            for tx in stride(from: 0, to: g.tilesX, by: 8) {
                let top = UnsafeRawPointer(plane + (o * rows + 2 * ty) * columns + 2 * tx).loadUnaligned(as: SIMD16<T>.self)
                let bottom = UnsafeRawPointer(plane + (o * rows + 2 * ty + 1) * columns + 2 * tx).loadUnaligned(as: SIMD16<T>.self)
                let h0 = gradientLine(top.evenHalf, top.oddHalf), h1 = gradientLine(bottom.evenHalf, bottom.oddHalf)
                let out = UnsafeMutableRawPointer(dm + o * tiles + t0 + ty * g.tilesX + tx)
                func store(_ b: Int, _ column: (SIMD8<T>, SIMD8<T>, SIMD8<T>, SIMD8<T>)) {
                    out.storeBytes(of: column.0, toByteOffset: (0 * 4 + b) * matrix * size, as: SIMD8<T>.self)
                    out.storeBytes(of: column.1, toByteOffset: (1 * 4 + b) * matrix * size, as: SIMD8<T>.self)
                    out.storeBytes(of: column.2, toByteOffset: (2 * 4 + b) * matrix * size, as: SIMD8<T>.self)
                    out.storeBytes(of: column.3, toByteOffset: (3 * 4 + b) * matrix * size, as: SIMD8<T>.self)
                }
                store(0, gradientLine(h0.0, h1.0))
                store(1, gradientLine(h0.1, h1.1))
                store(2, gradientLine(h0.2, h1.2))
                store(3, gradientLine(h0.3, h1.3))
            }
        }
    }
}
