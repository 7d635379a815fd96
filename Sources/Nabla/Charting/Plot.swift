import Foundation

/// One line of a `LineChart`: its name in the legend and its points.
public struct Series {
    /// The name in the legend (an empty name stays out of it).
    public var name: String
    /// The x values.
    public var x: [Double]
    /// The y values.
    public var y: [Double]
    /// The line's color; nil takes the next color of `Color.palette`.
    public var color: Color?
    /// The line's width in pixels.
    public var lineWidth: Double
    /// Whether each point gets a dot.
    public var markers: Bool
    /// Whether consecutive points are joined by a line (false: a scatter of dots, e.g. one per trial).
    public var connected = true

    /// A series of points (`x[i]`, `y[i]`). Non-finite values leave a gap in the line.
    public init(_ name: String, x: [Double], y: [Double], color: Color? = nil, lineWidth: Double = 2, markers: Bool = false) {
        precondition(x.count == y.count, "Series \(name): \(x.count) x values but \(y.count) y values")
        self.name = name; self.x = x; self.y = y; self.color = color; self.lineWidth = lineWidth; self.markers = markers
    }

    /// A series with `x` = 1, 2, 3, … (steps, epochs, layers).
    public init(_ name: String, y: [Double], color: Color? = nil, lineWidth: Double = 2, markers: Bool = false) {
        self.init(name, x: y.indices.map { Double($0 + 1) }, y: y, color: color, lineWidth: lineWidth, markers: markers)
    }
}

/// A line chart with axes, ticks, grid, labels, a title and a legend, optionally with a
/// logarithmic y axis; drawn to SVG or PNG through `Chart`.
///
/// ```swift
/// let chart = LineChart(title: "loss", xLabel: "iteration", yLabel: "loss",
///                       series: [Series("loss", y: history.stepLosses)])
/// try chart.write(to: "runs/mnist/loss")      // loss.svg and loss.png
/// ```
public struct LineChart: Chart {
    /// The line above the plot.
    public var title: String
    /// The label under the x axis.
    public var xLabel: String
    /// The label beside the y axis.
    public var yLabel: String
    /// The lines, drawn in order.
    public var series: [Series]
    /// Whether the y axis is logarithmic (non-positive values leave gaps).
    public var logScaleY: Bool
    /// Ticks on whole numbers only along x (epochs, layers).
    public var integerX: Bool
    /// Text size (1 for small panels, 2 for full-size charts).
    public var textScale: Int
    /// Whether the y axis starts at zero.
    public var includeZeroY: Bool
    /// Whether the x axis is logarithmic (learning rates, regularization strengths); non-positive x leave gaps.
    public var logScaleX: Bool

    /// A line chart; the axes cover all finite values of all series.
    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [Series], logScaleY: Bool = false,
                integerX: Bool = false, textScale: Int = 2, includeZeroY: Bool = false, logScaleX: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series; self.logScaleY = logScaleY
        self.integerX = integerX; self.textScale = textScale; self.includeZeroY = includeZeroY; self.logScaleX = logScaleX
    }

    public func draw(on canvas: any Canvas, in frame: Rect) {
        let xAxis = Axis(covering: series.flatMap(\.x), logarithmic: logScaleX, integerTicks: integerX)
        let yAxis = Axis(covering: series.flatMap(\.y), logarithmic: logScaleY, includeZero: includeZeroY)
        let plot = PlotFrame(frame: frame, xAxis: xAxis, yAxis: yAxis, title: title, xLabel: xLabel, yLabel: yLabel, textScale: textScale)
        plot.drawBackground(on: canvas)
        var all: [Point] = []
        for (index, s) in series.enumerated() {
            let color = s.color ?? Color.palette[index % Color.palette.count]
            var run: [Point] = []
            for (x, y) in zip(s.x, s.y) {
                if let p = plot.point(x, y), s.connected { run.append(p) } else {
                    canvas.stroke(run, color: color, lineWidth: s.lineWidth); run = []
                }
                if s.markers, let p = plot.point(x, y) { canvas.stroke([p], color: color, lineWidth: s.lineWidth + 5) }
            }
            canvas.stroke(run, color: color, lineWidth: s.lineWidth)
            all += zip(s.x, s.y).compactMap { plot.point($0, $1) }
        }
        plot.drawAxes(on: canvas)
        let named = series.enumerated().filter { !$0.element.name.isEmpty }
        plot.drawLegend(named.map { ($0.element.name, $0.element.color ?? Color.palette[$0.offset % Color.palette.count]) },
                        avoiding: all, on: canvas)
    }
}

/// A bar chart of a histogram: bins between `edges`, bar heights `counts`.
public struct BarChart: Chart {
    /// The line above the plot.
    public var title: String
    /// The label under the x axis.
    public var xLabel: String
    /// The label beside the y axis.
    public var yLabel: String
    /// `counts.count + 1` bin edges, increasing.
    public var edges: [Double]
    /// The bar heights.
    public var counts: [Double]
    /// The bars' color.
    public var color: Color
    /// Text size (1 for small panels, 2 for full-size charts).
    public var textScale: Int
    /// The top of the y axis; taller bars are cut there (drawn to the top with a notch).
    /// Nil fits the tallest bar.
    public var yMaximum: Double?

    /// A bar chart of bins between `edges` with heights `counts`.
    public init(title: String = "", xLabel: String = "", yLabel: String = "count", edges: [Double], counts: [Double],
                color: Color = Color.palette[0], textScale: Int = 2, yMaximum: Double? = nil) {
        precondition(edges.count == counts.count + 1, "BarChart: \(counts.count) bins need \(counts.count + 1) edges, got \(edges.count)")
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.edges = edges; self.counts = counts
        self.color = color; self.textScale = textScale; self.yMaximum = yMaximum
    }

    /// A bar chart of a histogram.
    public init(histogram: Histogram, title: String = "", xLabel: String = "", color: Color = Color.palette[0], textScale: Int = 2,
                yMaximum: Double? = nil) {
        self.init(title: title, xLabel: xLabel, edges: histogram.edges, counts: histogram.counts.map(Double.init),
                  color: color, textScale: textScale, yMaximum: yMaximum)
    }

    public func draw(on canvas: any Canvas, in frame: Rect) {
        let xAxis = Axis(lower: edges.first ?? 0, upper: edges.last ?? 1)
        let yAxis = yMaximum.map { Axis(lower: 0, upper: $0) } ?? Axis(covering: counts, includeZero: true, padding: 0.08)
        let plot = PlotFrame(frame: frame, xAxis: xAxis, yAxis: yAxis, title: title, xLabel: xLabel, yLabel: yLabel, textScale: textScale)
        plot.drawBackground(on: canvas)
        for (i, count) in counts.enumerated() where count > 0 {
            let cut = yMaximum.map { count > $0 } ?? false
            guard let top = plot.point(edges[i], cut ? yAxis.upper : count), let bottom = plot.point(edges[i + 1], 0) else { continue }
            let gap = bottom.x - top.x >= 5 ? 1.0 : 0
            let bar = Rect(x: top.x.rounded() + gap, y: top.y.rounded(), width: max(1, bottom.x.rounded() - top.x.rounded() - gap),
                           height: max(1, bottom.y.rounded() - top.y.rounded()))
            canvas.fill(bar, color: color)
            if cut {   // a white notch across a cut bar
                canvas.fill(Rect(x: bar.x, y: bar.y + 6, width: bar.width, height: 3), color: .white)
            }
        }
        plot.drawAxes(on: canvas)
    }
}

/// The layout shared by the charts: margins for the labels, the plot area, data-to-pixel mapping,
/// grid, axes, ticks, labels, title and legend.
struct PlotFrame {
    let frame: Rect
    let area: Rect
    let xAxis: Axis
    let yAxis: Axis
    let title: String
    let xLabel: String
    let yLabel: String
    let scale: Int
    let xTicks: [Double]
    let yTicks: [Double]

    init(frame: Rect, xAxis: Axis, yAxis: Axis, title: String, xLabel: String, yLabel: String, textScale: Int) {
        self.frame = frame; self.xAxis = xAxis; self.yAxis = yAxis
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; scale = max(1, textScale)
        let cap = Double(7 * scale)
        let targetX = max(2, min(8, Int(frame.width / Double(45 * scale)))), targetY = max(2, min(8, Int(frame.height / Double(45 * scale))))
        let xs = xAxis.ticks(target: targetX), ys = yAxis.ticks(target: targetY), s = scale
        xTicks = xs
        yTicks = ys
        let yLabelWidth = ys.map { textWidth(yAxis.label($0), scale: s) }.max() ?? 0
        let lastX = xs.last.map { textWidth(xAxis.label($0), scale: s) } ?? 0
        let left = 8 + (yLabel.isEmpty ? 0 : cap + 10) + yLabelWidth + 10
        let top = 10 + (title.isEmpty ? 0 : cap + 12)
        let bottom = 10 + cap + 10 + (xLabel.isEmpty ? 0 : cap + 10)
        let right = max(16, lastX / 2 + 6)
        let inner = frame.inset(left: left, top: top, right: right, bottom: bottom)
        area = Rect(x: inner.x.rounded(), y: inner.y.rounded(), width: inner.width.rounded(), height: inner.height.rounded())
    }

    /// The pixel of a data point, or nil if an axis cannot show it.
    func point(_ x: Double, _ y: Double) -> Point? {
        guard let fx = xAxis.fraction(x), let fy = yAxis.fraction(y) else { return nil }
        return Point(area.x + fx * area.width, area.maxY - fy * area.height)
    }

    /// White background, grid lines at the ticks.
    func drawBackground(on canvas: any Canvas) {
        canvas.fill(frame, color: .white)
        for t in xTicks {
            guard let f = xAxis.fraction(t) else { continue }
            let x = (area.x + f * area.width).rounded(.down) + 0.5
            canvas.stroke([Point(x, area.y), Point(x, area.maxY)], color: .grid, lineWidth: 1)
        }
        for t in yTicks {
            guard let f = yAxis.fraction(t) else { continue }
            let y = (area.maxY - f * area.height).rounded(.down) + 0.5
            canvas.stroke([Point(area.x, y), Point(area.maxX, y)], color: .grid, lineWidth: 1)
        }
    }

    /// The box, tick marks and labels, axis labels and title.
    func drawAxes(on canvas: any Canvas) {
        let cap = Double(7 * scale)
        canvas.strokeRectangle(area, color: .ink, lineWidth: 1)
        for t in xTicks {
            guard let f = xAxis.fraction(t) else { continue }
            let x = (area.x + f * area.width).rounded(.down) + 0.5
            canvas.stroke([Point(x, area.maxY), Point(x, area.maxY + 5)], color: .ink, lineWidth: 1)
            canvas.text(xAxis.label(t), at: Point(x, area.maxY + 10 + cap / 2), scale: scale, color: .ink, anchor: .middle, rotated: false)
        }
        for t in yTicks {
            guard let f = yAxis.fraction(t) else { continue }
            let y = (area.maxY - f * area.height).rounded(.down) + 0.5
            canvas.stroke([Point(area.x - 5, y), Point(area.x, y)], color: .ink, lineWidth: 1)
            canvas.text(yAxis.label(t), at: Point(area.x - 9, y), scale: scale, color: .ink, anchor: .end, rotated: false)
        }
        if !xLabel.isEmpty {
            canvas.text(xLabel, at: Point(area.x + area.width / 2, area.maxY + 20 + cap * 1.5), scale: scale, color: .ink,
                        anchor: .middle, rotated: false)
        }
        if !yLabel.isEmpty {
            canvas.text(yLabel, at: Point(frame.x + 8 + cap / 2, area.y + area.height / 2), scale: scale, color: .ink,
                        anchor: .middle, rotated: true)
        }
        if !title.isEmpty {
            canvas.text(title, at: Point(area.x + area.width / 2, frame.y + 10 + cap / 2), scale: scale, color: .black,
                        anchor: .middle, rotated: false)
        }
    }

    /// A legend box in the corner of the plot area that covers the fewest of `points`.
    func drawLegend(_ entries: [(name: String, color: Color)], avoiding points: [Point], on canvas: any Canvas) {
        guard !entries.isEmpty else { return }
        let cap = Double(7 * scale), line = cap + 8, swatch = Double(10 * scale)
        let width = (entries.map { textWidth($0.name, scale: scale) }.max() ?? 0) + swatch + 24
        let height = Double(entries.count) * line + 8
        let margin = 8.0
        let corners = [Rect(x: area.maxX - width - margin, y: area.y + margin, width: width, height: height),
                       Rect(x: area.maxX - width - margin, y: area.maxY - height - margin, width: width, height: height),
                       Rect(x: area.x + margin, y: area.y + margin, width: width, height: height),
                       Rect(x: area.x + margin, y: area.maxY - height - margin, width: width, height: height)]
        let box = corners.min { a, b in points.filter(a.contains).count < points.filter(b.contains).count }!
        let snapped = Rect(x: box.x.rounded(), y: box.y.rounded(), width: box.width.rounded(), height: box.height.rounded())
        canvas.fill(snapped, color: .white)
        canvas.strokeRectangle(snapped, color: Color(180, 180, 180), lineWidth: 1)
        for (i, entry) in entries.enumerated() {
            let y = snapped.y + 4 + line * (Double(i) + 0.5)
            canvas.stroke([Point(snapped.x + 8, y), Point(snapped.x + 8 + swatch, y)], color: entry.color, lineWidth: 3)
            canvas.text(entry.name, at: Point(snapped.x + 16 + swatch, y), scale: scale, color: .ink, anchor: .start, rotated: false)
        }
    }
}
