import Foundation

/// Counts of values in equal bins between two bounds (like `numpy.histogram`: the last bin
/// includes its upper edge; values outside the bounds are counted apart, in `outside`).
public struct Histogram: Equatable, Sendable {
    /// The lower edge of the first bin.
    public var lowerBound: Double
    /// The upper edge of the last bin.
    public var upperBound: Double
    /// The number of values in each bin.
    public var counts: [Int]
    /// Values outside `[lowerBound, upperBound]` or not finite.
    public var outside: Int

    /// A histogram from its parts.
    public init(lowerBound: Double, upperBound: Double, counts: [Int], outside: Int = 0) {
        self.lowerBound = lowerBound; self.upperBound = upperBound; self.counts = counts; self.outside = outside
    }

    /// The histogram of `values` in `bins` bins over `range` (default: from the smallest to the
    /// largest finite value; a single value `v` gets `v ± 0.5`, as in NumPy).
    public init<C: Collection>(_ values: C, bins: Int = 30, range: ClosedRange<Double>? = nil) where C.Element: BinaryFloatingPoint {
        precondition(bins >= 1, "Histogram: needs at least one bin, got \(bins)")
        var lo = range?.lowerBound ?? .infinity, hi = range?.upperBound ?? -.infinity
        if range == nil { for e in values where e.isFinite { lo = min(lo, Double(e)); hi = max(hi, Double(e)) } }
        if !(lo < hi) { lo = lo.isFinite ? lo - 0.5 : -0.5; hi = lo + 1 }
        var counts = [Int](repeating: 0, count: bins), outside = 0
        let perUnit = Double(bins) / (hi - lo)
        for e in values {
            let v = Double(e)
            guard v >= lo, v <= hi else { outside += 1; continue }   // NaN fails both comparisons
            counts[min(bins - 1, Int((v - lo) * perUnit))] += 1
        }
        self.init(lowerBound: lo, upperBound: hi, counts: counts, outside: outside)
    }

    /// The `counts.count + 1` bin edges.
    public var edges: [Double] {
        (0...counts.count).map { lowerBound + (upperBound - lowerBound) * Double($0) / Double(counts.count) }
    }

    /// The histogram as one line of block characters (`▁▂▃▄▅▆▇█`), each bin's height relative to
    /// the fullest bin; an empty bin is a space.
    public var sparkline: String {
        let blocks = Array("▁▂▃▄▅▆▇█"), top = Double(counts.max() ?? 0)
        return String(counts.map { count -> Character in
            guard count > 0, top > 0 else { return " " }
            return blocks[min(7, Int((Double(count) / top * 8).rounded(.up)) - 1)]
        })
    }
}
