import Foundation

/// The picture of a learning-rate range test (drawn here, not in Training: the finder returns data only).
extension LearningRateFinderResult {
    /// Loss against learning rate on a log axis, raw and smoothed, with the suggestion marked.
    public func chart() -> LineChart {
        // Keep the exploded tail from squashing the interesting part: cap the y axis at a few times the first loss.
        let cap = (smoothed.first ?? 1) * 3
        let finite = losses.filter(\.isFinite)
        var series = [Series("loss", x: learningRates, y: losses.map { $0.isFinite ? $0 : .nan }, color: Color.palette[0].lightened, lineWidth: 1),
                      Series("smoothed", x: learningRates, y: smoothed, color: Color.palette[0])]
        if let s = suggestion, let lo = finite.min(), let hi = smoothed.filter(\.isFinite).max() {
            series.append(Series("suggested lr", x: [s.learningRate, s.learningRate], y: [lo, Swift.min(hi, cap)], color: Color.palette[1]))
        }
        series = series.map { s in var s = s; s.y = s.y.map { $0 > cap ? .nan : $0 }; return s }
        return LineChart(title: "learning-rate range test", xLabel: "learning rate (log scale)", yLabel: "loss",
                         series: series, logScaleX: true)
    }
}
