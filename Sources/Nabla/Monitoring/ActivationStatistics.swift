import Foundation

/// The distribution of one layer's outputs over a batch: mean, standard deviation, extremes, the
/// share of exact zeros (dead ReLUs) and a histogram — the lectures' way to check an initialization.
public struct ActivationStatistics: Equatable {
    /// The layer: `input`, or its position and description (`3 ReLU()`).
    public var name: String
    /// The shape of the whole batch's output.
    public var shape: [Int]
    /// The mean of all values.
    public var mean: Double
    /// The population standard deviation (NumPy's `np.std`).
    public var standardDeviation: Double
    /// The smallest value.
    public var minimum: Double
    /// The largest value.
    public var maximum: Double
    /// The share of values that are exactly zero.
    public var zeroFraction: Double
    /// The distribution of the values.
    public var histogram: Histogram

    /// The statistics of every element of `values`.
    public init(name: String, values: Tensor, bins: Int = 30, histogramRange: ClosedRange<Double>? = nil) {
        switch values.dtype {
        case .float32:
            self = values.withUnsafeBufferPointer(as: Float.self) {
                ActivationStatistics(name: name, shape: values.shape, elements: $0, bins: bins, histogramRange: histogramRange)
            }
        case .float64:
            self = values.withUnsafeBufferPointer(as: Double.self) {
                ActivationStatistics(name: name, shape: values.shape, elements: $0, bins: bins, histogramRange: histogramRange)
            }
        }
    }

    private init<T: BinaryFloatingPoint>(name: String, shape: [Int], elements x: UnsafeBufferPointer<T>, bins: Int,
                                         histogramRange: ClosedRange<Double>?) {
        var sum = 0.0, zeros = 0, lo = Double.infinity, hi = -Double.infinity
        for e in x {
            let v = Double(e)
            sum += v
            if v == 0 { zeros += 1 }
            lo = min(lo, v); hi = max(hi, v)
        }
        let n = Double(max(x.count, 1)), mean = sum / n
        var squares = 0.0
        for e in x { let d = Double(e) - mean; squares += d * d }
        self.name = name
        self.shape = shape
        self.mean = mean
        standardDeviation = (squares / n).squareRoot()
        minimum = x.isEmpty ? .nan : lo
        maximum = x.isEmpty ? .nan : hi
        zeroFraction = Double(zeros) / n
        histogram = Histogram(x, bins: bins, range: histogramRange)
    }

    /// Runs `input` through `model` layer by layer without recording a graph, and measures the
    /// input and every layer's output. The model's mode (training or evaluation) is left as it is.
    ///
    /// - Parameter histogramRange: one range for every histogram, so that layers compare at a glance
    ///   (the lectures use `-1…1` for tanh); nil gives each layer its own range.
    public static func collect(_ model: Sequential, input: Tensor, bins: Int = 30,
                               histogramRange: ClosedRange<Double>? = nil) -> [ActivationStatistics] {
        var result = [ActivationStatistics(name: "input", values: input, bins: bins, histogramRange: histogramRange)]
        var x = input
        for (i, layer) in model.layers.enumerated() {
            x = layer(x)
            // A block's full description lists its whole body: its short name keeps the table narrow.
            let name = layer.shortDescription
            result.append(ActivationStatistics(name: "\(i + 1) \(name)", values: x, bins: bins,
                                               histogramRange: histogramRange))
        }
        return result
    }

    /// A table of statistics, one row per layer, with each histogram as a line of blocks.
    public static func table(_ rows: [ActivationStatistics]) -> String {
        let names = rows.map(\.name), shapes = rows.map { $0.shape.map(String.init).joined(separator: "×") }
        let w0 = max(5, names.map(\.count).max() ?? 0), w1 = max(5, shapes.map(\.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        func number(_ v: Double) -> String {
            let text = String(format: "%.4g", v)
            return String(repeating: " ", count: max(0, 11 - text.count)) + text
        }
        var lines = [pad("layer", w0) + "  " + pad("shape", w1) + "         mean         std         min         max  zeros  histogram"]
        for (i, row) in rows.enumerated() {
            let h = row.histogram
            let range = "[\(Axis.compact(h.lowerBound)), \(Axis.compact(h.upperBound))]"
            let outside = h.outside > 0 ? String(format: " (%.0f%% outside)", 100 * Double(h.outside) / Double(max(1, h.counts.reduce(h.outside, +)))) : ""
            lines.append(pad(names[i], w0) + "  " + pad(shapes[i], w1) + " " + number(row.mean) + " " + number(row.standardDeviation)
                         + " " + number(row.minimum) + " " + number(row.maximum)
                         + String(format: " %5.1f%%", 100 * row.zeroFraction) + "  |" + h.sparkline + "| " + range + outside)
        }
        return lines.joined(separator: "\n")
    }

    /// Two panels like the lectures' figure: the mean and the standard deviation layer by layer
    /// (the standard deviation on a log scale when it spans more than two decades).
    public static func summaryChart(_ rows: [ActivationStatistics], title: String? = nil) -> Figure {
        let layers = rows.indices.map(Double.init)
        let stds = rows.map(\.standardDeviation)
        let positive = stds.filter { $0 > 0 && $0.isFinite }
        let logScale = (positive.max() ?? 1) / (positive.min() ?? 1) > 100
        let meanChart = LineChart(title: "layer mean", xLabel: "layer (0 = input)", yLabel: "mean",
                                  series: [Series("", x: layers, y: rows.map(\.mean), color: Color.palette[0], markers: true)],
                                  integerX: true)
        let stdChart = LineChart(title: "layer std" + (logScale ? " (log scale)" : ""), xLabel: "layer (0 = input)", yLabel: "std",
                                 series: [Series("", x: layers, y: stds, color: Color.palette[3], markers: true)],
                                 logScaleY: logScale, integerX: true)
        return Figure(title: title, panels: [meanChart, stdChart], columns: 2)
    }

    /// The histograms of all layers side by side (the lectures' row of distributions).
    ///
    /// When a layer's exact zeros (ReLU's) fill a bin that towers over the others, that bar is cut
    /// at 1.5 times the next tallest, so that the rest of the distribution stays visible, and the
    /// title gives the share of zeros.
    public static func histogramChart(_ rows: [ActivationStatistics], columns: Int = 4, title: String? = nil) -> Figure {
        let panels: [any Chart] = rows.map { row in
            var name = String(row.name.prefix(34)), yMaximum: Double? = nil
            let counts = row.histogram.counts
            if row.zeroFraction > 0.2, let top = counts.indices.max(by: { counts[$0] < counts[$1] }) {
                let rest = counts.enumerated().filter { $0.offset != top }.map(\.element).max() ?? 0
                if rest > 0 && Double(counts[top]) > 3 * Double(rest) {
                    yMaximum = 1.5 * Double(rest)
                    name += String(format: ", %.0f%% zeros", 100 * row.zeroFraction)
                }
            }
            return BarChart(histogram: row.histogram, title: name, color: row.name.hasPrefix("input") ? Color.palette[7] : Color.palette[0],
                            textScale: 1, yMaximum: yMaximum)
        }
        return Figure(title: title, panels: panels, columns: columns)
    }
}
