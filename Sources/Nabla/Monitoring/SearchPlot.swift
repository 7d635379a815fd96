import Foundation

/// The picture of a search: validation accuracy against each searched parameter, one panel per
/// parameter (log axis for log ranges), one dot per trial, colored by stage, so the "good region"
/// shows as in the lectures' plots.
public enum SearchPlot {
    /// One panel per parameter of `space`; trials without a validation accuracy are left out.
    public static func chart(_ records: [TrialRecord], space: SearchSpace) -> Figure {
        let scored = records.filter { $0.validationAccuracy?.isFinite == true }
        let best = scored.max { $0.validationAccuracy! < $1.validationAccuracy! }
        let stages = Array(Set(scored.map(\.stage))).sorted()
        let panels: [any Chart] = space.parameters.map { name, range in
            // An unnamed series without y values makes the x axis span the searched range, so
            // one sees where in the range the good trials lie.
            let bounds: [Double]
            switch range {
            case let .logUniform(a, b), let .uniform(a, b): bounds = [a, b]
            case let .integer(a, b): bounds = [Double(a), Double(b)]
            case let .choice(values): bounds = [values.min() ?? 0, values.max() ?? 0]
            }
            var series = [Series("", x: bounds, y: [.nan, .nan])]
            series += stages.map { stage -> Series in
                let trials = scored.filter { $0.stage == stage && $0.settings[name] != nil }
                var s = Series(stages.count > 1 ? "stage \(stage + 1)" : "trials", x: trials.map { $0.settings[name]! },
                               y: trials.map { $0.validationAccuracy! }, color: Color.palette[stage % Color.palette.count],
                               lineWidth: 1, markers: true)
                s.connected = false
                return s
            }
            if let best, let x = best.settings[name] {
                var s = Series("best", x: [x], y: [best.validationAccuracy!], color: .ink, lineWidth: 3, markers: true)
                s.connected = false
                series.append(s)
            }
            let isLog: Bool
            if case .logUniform = range { isLog = true } else { isLog = false }
            return LineChart(title: name + (isLog ? " (log scale)" : ""), xLabel: name, yLabel: "val_acc", series: series,
                             textScale: 1, logScaleX: isLog)
        }
        return Figure(title: "validation accuracy of \(scored.count) trials", panels: panels, columns: Swift.min(3, Swift.max(1, panels.count)))
    }

    /// Writes `search.svg` and `search.png` into `folder`, sized for the number of panels; returns the paths.
    @discardableResult
    public static func write(_ records: [TrialRecord], space: SearchSpace, to folder: String) throws -> [String] {
        let figure = chart(records, space: space)
        let rows = (figure.panels.count + figure.columns - 1) / figure.columns
        return try figure.write(to: folder + "/search", width: 420 * figure.columns, height: 60 + 340 * rows)
    }
}
