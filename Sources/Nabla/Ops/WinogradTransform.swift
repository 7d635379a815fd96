/// The three matrices of Winograd's minimal filtering algorithm F(m×m, r×r) (Lavin & Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016), built by Toom-Cook from interpolation points
/// rather than typed in, so that each size comes from the same few lines that the tests check.
///
/// For one `α × α` input tile `d` (`α = m + r - 1`) and an `r × r` filter `g`, the `m × m` outputs of
/// their cross-correlation are `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`: `α²` multiplications instead of
/// `m² r²`. Summed over input channels, the `⊙` becomes `α²` independent matrix products (one per
/// entry `ξ` of the tile), which is where a convolution layer spends its time.
///
/// Construction, with finite points `a₀ … a_{α-2}` and the point at infinity: `A[j][i] = a_jⁱ`;
/// `G[j][k] = a_jᵏ / Π_{l≠j}(a_j - a_l)`; row `j` of `Bᵀ` holds the coefficients of
/// `Π_{l≠j}(x - a_l)`. The row for infinity is `A = [0 … 0 1]`, `G = [0 … 0 1]`, and the
/// coefficients of `Π_l (x - a_l)`. (The correlation is the transpose of Toom-Cook's polynomial
/// product, whose interpolation matrix is `B`.)
struct WinogradTransform: Sendable {
    /// Outputs per tile side.
    let m: Int
    /// Filter side.
    let r: Int
    /// Tile side, `m + r - 1`.
    var alpha: Int { m + r - 1 }
    /// `A`, `[α][m]` row-major: `Y = Aᵀ M A`.
    let output: [Double]
    /// `G`, `[α][r]` row-major: `U = G g Gᵀ`.
    let filter: [Double]
    /// `Bᵀ`, `[α][α]` row-major: `V = Bᵀ d B`.
    let input: [Double]

    /// F(m × m, r × r) on the finite `points` (`α - 1` distinct values) and infinity.
    init(m: Int, points: [Double]) {
        let alpha = points.count + 1, r = alpha - m + 1
        self.m = m
        self.r = r
        // The coefficients (constant term first) of Π (x - a_l) over the points other than `skip`.
        func product(skipping skip: Int?) -> [Double] {
            var c = [1.0]
            for (l, a) in points.enumerated() where l != skip {
                var next = [Double](repeating: 0, count: c.count + 1)
                for k in 0...c.count { next[k] = (k > 0 ? c[k - 1] : 0) - a * (k < c.count ? c[k] : 0) }
                c = next
            }
            return c + [Double](repeating: 0, count: alpha - c.count)
        }
        func power(_ x: Double, _ n: Int) -> Double { (0..<n).reduce(1) { p, _ in p * x } }
        var a = [Double](repeating: 0, count: alpha * m), g = [Double](repeating: 0, count: alpha * r)
        var bt = [Double]()
        for (j, p) in points.enumerated() {
            let scale = points.enumerated().reduce(1.0) { f, e in e.offset == j ? f : f * (p - e.element) }
            for i in 0..<m { a[j * m + i] = power(p, i) }
            for k in 0..<r { g[j * r + k] = power(p, k) / scale }
            bt += product(skipping: j)
        }
        a[(alpha - 1) * m + m - 1] = 1
        g[(alpha - 1) * r + r - 1] = 1
        bt += product(skipping: nil)
        output = a
        filter = g
        input = bt
    }

    /// F(2×2, 3×3) on 0, ±1, ∞: 16 multiplications for 4 outputs instead of 36.
    static let f2x3 = WinogradTransform(m: 2, points: [0, 1, -1])
    /// F(2×2, 5×5) on 0, ±1, ±2, ∞: 36 multiplications for 4 outputs instead of 100.
    static let f2x5 = WinogradTransform(m: 2, points: [0, 1, -1, 2, -2])

    /// F(4×4, 3×3) on 0, ±1, ±2, ∞: 36 multiplications for 16 outputs instead of 144.
    static let f4x3 = WinogradTransform(m: 4, points: [0, 1, -1, 2, -2])
    /// F(4×4, 5×5) on 0, ±1, ±2, ±1/2, ∞: 64 multiplications for 16 outputs instead of 400.
    static let f4x5 = WinogradTransform(m: 4, points: [0, 1, -1, 2, -2, 0.5, -0.5])

    /// The transform for an `r × r` filter with `outputs × outputs` output tiles (2 or 4), if there is one.
    static func forKernel(_ r: Int, outputs: Int = 2) -> WinogradTransform? {
        switch (r, outputs) {
        case (3, 2): f2x3
        case (5, 2): f2x5
        case (3, 4): f4x3
        case (5, 4): f4x5
        default: nil
        }
    }
}

/// A small matrix kept as its nonzero entries, row by row, for applying it to vectors of tiles:
/// most entries of the Winograd matrices are 0 and many are ±1, and a product that skips the zeros
/// does a third to a half of the work.
struct SparseRows<T: TensorScalar> {
    let rows: Int, columns: Int
    /// Row `i`'s entries are `entries[start[i] ..< start[i + 1]]`.
    let start: [Int]
    let entries: [(column: Int, value: T)]

    /// `matrix` row-major, `rows × columns`.
    init(_ matrix: [Double], rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        var start = [0], entries: [(column: Int, value: T)] = []
        for i in 0..<rows {
            for j in 0..<columns where matrix[i * columns + j] != 0 { entries.append((j, T(matrix[i * columns + j]))) }
            start.append(entries.count)
        }
        self.start = start
        self.entries = entries
    }

    /// The transpose's entries.
    var transposed: SparseRows<T> {
        var dense = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for e in entries[start[i]..<start[i + 1]] { dense[e.column * rows + i] = Double(e.value) }
        }
        return SparseRows(dense, rows: columns, columns: rows)
    }
}
