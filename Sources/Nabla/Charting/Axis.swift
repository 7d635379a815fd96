import Foundation

/// One axis of a chart: the range of values it shows, linear or logarithmic, and where its ticks go.
///
/// Linear ticks fall on 1, 2 or 5 times a power of ten; logarithmic ones on powers of ten
/// (with 2× and 5× between them when the range spans less than two decades).
public struct Axis: Equatable {
    /// The smallest value shown.
    public var lower: Double
    /// The largest value shown.
    public var upper: Double
    /// Whether positions are proportional to `log10` of the value.
    public var logarithmic: Bool
    /// Whether ticks fall on whole numbers only (epochs, layers).
    public var integerTicks: Bool

    /// An axis showing exactly `lower…upper`.
    public init(lower: Double, upper: Double, logarithmic: Bool = false, integerTicks: Bool = false) {
        self.lower = lower
        self.upper = upper
        self.logarithmic = logarithmic
        self.integerTicks = integerTicks
    }

    /// An axis covering `values` (non-finite ones, and non-positive ones on a log axis, are ignored),
    /// with `padding` (a fraction of the range) on both sides.
    public init(covering values: [Double], logarithmic: Bool = false, integerTicks: Bool = false,
                includeZero: Bool = false, padding: Double = 0.05) {
        var usable = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }
        if includeZero && !logarithmic { usable.append(0) }
        var lo = usable.min() ?? (logarithmic ? 0.1 : 0), hi = usable.max() ?? (logarithmic ? 10 : 1)
        if logarithmic {
            var a = log10(lo), b = log10(hi)
            if b - a < 1e-9 { a -= 0.5; b += 0.5 }
            let pad = (b - a) * padding
            lo = pow(10, a - pad); hi = pow(10, b + pad)
        } else {
            if hi - lo <= Swift.max(abs(hi), abs(lo)) * 1e-12 {
                let spread = lo == 0 ? 1 : abs(lo) * 0.1
                lo -= spread; hi += spread
            }
            let pad = (hi - lo) * padding
            lo = (includeZero && lo == 0) ? 0 : lo - pad
            hi += pad
        }
        self.init(lower: lo, upper: hi, logarithmic: logarithmic, integerTicks: integerTicks)
    }

    /// Where `value` lies between `lower` (0) and `upper` (1); nil for a value the axis cannot show.
    public func fraction(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        if logarithmic {
            guard value > 0 else { return nil }
            return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
        return (value - lower) / (upper - lower)
    }

    /// The tick values, at most about `target` of them.
    public func ticks(target: Int = 6) -> [Double] {
        if logarithmic {
            let a = Int((log10(lower) - 1e-9).rounded(.up)), b = Int((log10(upper) + 1e-9).rounded(.down))
            guard a <= b else { return linearTicks(target: target) }
            let decades = b - a + 1
            if decades < 3 {
                var result: [Double] = []
                for e in (a - 1)...b { for m in [1.0, 2, 5] { result.append(m * pow(10, Double(e))) } }
                return result.filter { $0 >= lower * (1 - 1e-9) && $0 <= upper * (1 + 1e-9) }
            }
            let every = Swift.max(1, Int((Double(decades) / Double(target)).rounded(.up)))
            return stride(from: a, through: b, by: every).map { pow(10, Double($0)) }
        }
        return linearTicks(target: target)
    }

    private func linearTicks(target: Int) -> [Double] {
        let step = tickStep(target: target)
        let first = (lower / step).rounded(.up), last = (upper / step).rounded(.down)
        guard first <= last, last - first < 1000 else { return [] }
        return stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// The distance between linear ticks: 1, 2 or 5 times a power of ten.
    public func tickStep(target: Int = 6) -> Double {
        let raw = (upper - lower) / Double(Swift.max(1, target))
        let magnitude = pow(10, log10(raw).rounded(.down))
        let normalized = raw / magnitude
        var step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude
        if integerTicks { step = Swift.max(1, step.rounded()) }
        return step
    }

    /// The label of a tick: as few digits as the tick spacing needs; powers of ten and very large or
    /// small values in compact scientific notation (`1e-5`, `2.5e6`).
    public func label(_ value: Double) -> String {
        if logarithmic || abs(value) >= 1e6 || (value != 0 && abs(value) < 1e-4) {
            return Axis.compact(value)
        }
        let step = tickStep()
        let decimals = Swift.max(0, -Int((log10(step) + 1e-9).rounded(.down)))
        let text = String(format: "%.\(min(decimals, 8))f", value)
        return text == "-0" || text.hasPrefix("-0.") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// A short text for any number: `0.001`, `12.5`, `3e-7`, `1.2e6`.
    public static func compact(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        if value == 0 { return "0" }
        let a = abs(value)
        if a >= 1e-3 && a < 1e5 {
            var text = String(format: "%.4g", value)
            if text.contains("e") {   // 10000 → "1e+04" in %g: write it out instead
                text = String(format: "%.4f", value)
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text
        }
        let parts = String(format: "%.2e", value).split(separator: "e")
        var mantissa = String(parts[0])
        while mantissa.contains(".") && (mantissa.hasSuffix("0") || mantissa.hasSuffix(".")) { mantissa.removeLast() }
        let exponent = Int(parts[1]) ?? 0
        return "\(mantissa)e\(exponent)"
    }
}
