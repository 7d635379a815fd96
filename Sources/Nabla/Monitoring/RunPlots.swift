import Foundation

/// A run's record as `nabla train` leaves it in its folder: the trainer's `History`, read back
/// from `history.csv`, `steps.csv` and `update_ratios.csv` (one type and one CSV format for both).
public typealias RunRecord = History

extension History {
    /// Reads `history.csv` and `steps.csv` from a run folder, and `update_ratios.csv` when it is there
    /// (runs of older versions lack it).
    /// - Throws: `MonitoringError` naming the missing file.
    public static func read(_ folder: String) throws -> History {
        func load(_ name: String) throws -> String {
            let path = folder + "/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw MonitoringError("\(path) is missing: is \(folder) a run folder? (the history is written after each epoch)")
            }
            return text
        }
        let ratios = (try? String(contentsOfFile: folder + "/update_ratios.csv", encoding: .utf8)) ?? ""
        return History(epochCSV: try load("history.csv"), stepCSV: try load("steps.csv"), updateRatioCSV: ratios)
    }
}

/// The pictures of a run: the loss per iteration (raw and smoothed), the training and validation
/// accuracy per epoch, and the learning rate per epoch.
public enum RunPlots {
    /// A trailing moving average over `window` values, skipping non-finite ones; NaN where the value
    /// itself is not finite (so that a diverged run's curve ends where its loss does).
    public static func smoothed(_ values: [Double], window: Int) -> [Double] {
        let window = max(1, window)
        var result: [Double] = [], sum = 0.0, count = 0
        for (i, v) in values.enumerated() {
            if v.isFinite { sum += v; count += 1 }
            if i >= window, values[i - window].isFinite { sum -= values[i - window]; count -= 1 }
            result.append(count > 0 && v.isFinite ? sum / Double(count) : .nan)
        }
        return result
    }

    /// The smoothing window for `count` steps: a twentieth of them, between 1 and 100.
    public static func smoothingWindow(_ count: Int) -> Int { max(1, min(100, count / 20)) }

    /// The loss of every iteration, light, and its moving average, dark; the validation loss at the
    /// end of each epoch when the run has it. A log scale when the loss spans more than two decades.
    public static func lossChart(_ record: RunRecord) -> LineChart {
        let losses = record.stepLosses, window = smoothingWindow(losses.count)
        var series = [Series("loss per iteration", y: losses, color: Color.palette[0].lightened, lineWidth: 1),
                      Series("moving average (\(window))", y: smoothed(losses, window: window), color: Color.palette[0], lineWidth: 2.5)]
        let validation = record.metric("val_loss")
        if !record.epochs.isEmpty, validation.contains(where: \.isFinite) {
            let perEpoch = Double(losses.count) / Double(record.epochs.count)
            series.append(Series("validation loss", x: record.epochNumbers.map { $0 * perEpoch }, y: validation,
                                 color: Color.palette[1], lineWidth: 2, markers: true))
        }
        let positive = losses.filter { $0.isFinite && $0 > 0 }
        let logScale = (positive.max() ?? 1) / max(positive.min() ?? 1, 1e-300) > 100
        return LineChart(title: "loss" + (logScale ? " (log scale)" : ""), xLabel: "iteration", yLabel: "loss",
                         series: series, logScaleY: logScale)
    }

    /// Training and validation accuracy per epoch; the title gives the last epoch's gap.
    public static func accuracyChart(_ record: RunRecord) -> LineChart {
        let train = record.metric("train_acc"), validation = record.metric("val_acc")
        var title = "accuracy"
        if let t = train.last, let v = validation.last, t.isFinite, v.isFinite {
            title += String(format: " (train - val gap %.3f)", t - v)
        }
        return LineChart(title: title, xLabel: "epoch", yLabel: "accuracy",
                         series: [Series("train", x: record.epochNumbers, y: train, color: Color.palette[0], markers: true),
                                  Series("validation", x: record.epochNumbers, y: validation, color: Color.palette[1], markers: true)],
                         integerX: true)
    }

    /// The learning rate of every iteration (per epoch for runs that did not record it), on a log
    /// scale when it changes more than tenfold.
    public static func learningRateChart(_ record: RunRecord) -> LineChart {
        if record.stepLearningRates.contains(where: { $0.isFinite }) {
            let lr = record.stepLearningRates
            let positive = lr.filter { $0.isFinite && $0 > 0 }
            let logScale = (positive.max() ?? 1) / max(positive.min() ?? 1, 1e-300) > 10
            return LineChart(title: "learning rate" + (logScale ? " (log scale)" : ""), xLabel: "iteration", yLabel: "learning rate",
                             series: [Series("", y: lr, color: Color.palette[2], lineWidth: 2)], logScaleY: logScale, includeZeroY: !logScale)
        }
        let lr = record.metric("lr")
        let positive = lr.filter { $0.isFinite && $0 > 0 }
        let logScale = (positive.max() ?? 1) / max(positive.min() ?? 1, 1e-300) > 10
        return LineChart(title: "learning rate" + (logScale ? " (log scale)" : ""), xLabel: "epoch", yLabel: "learning rate",
                         series: [Series("", x: record.epochNumbers, y: lr, color: Color.palette[2], markers: true)],
                         logScaleY: logScale, integerX: true, includeZeroY: !logScale)
    }

    /// The update-to-weight ratio ‖Δw‖/‖w‖ of every parameter tensor per epoch, on a log scale, with
    /// a gray line at the rule of thumb's 1e-3 (far below: learning rate too low; far above: too high).
    public static func updateRatioChart(_ record: RunRecord) -> LineChart {
        let epochs = record.updateRatios.enumerated().map { $0.element["epoch"] ?? Double($0.offset + 1) }
        let names = record.updateRatioNames
        var series = names.enumerated().map { i, name in
            Series(name, x: epochs, y: record.updateRatios.map { $0[name] ?? .nan },
                   color: Color.palette[i % Color.palette.count], markers: true)
        }
        let reference = healthyUpdateRatio
        let span = epochs.isEmpty ? [1.0, 2.0] : [epochs.min()!, epochs.max()!]
        series.append(Series("1e-3 (rule of thumb)", x: span, y: [reference, reference], color: Color(150, 150, 150), lineWidth: 2))
        return LineChart(title: "update / weight ratio" + (names.isEmpty ? " (not recorded)" : " (log scale)"),
                         xLabel: "epoch", yLabel: "|update| / |weights|", series: series, logScaleY: true, integerX: true)
    }

    /// The lectures' healthy update-to-weight ratio.
    public static let healthyUpdateRatio = 1e-3

    /// Writes `loss`, `accuracy`, `lr` and `update-ratios` as SVG and PNG into `folder`; returns the
    /// paths written.
    @discardableResult
    public static func write(_ record: RunRecord, to folder: String, width: Int = 900, height: Int = 560) throws -> [String] {
        try lossChart(record).write(to: folder + "/loss", width: width, height: height)
            + accuracyChart(record).write(to: folder + "/accuracy", width: width, height: height)
            + learningRateChart(record).write(to: folder + "/lr", width: width, height: height)
            + updateRatioChart(record).write(to: folder + "/update-ratios", width: width, height: height)
    }
}
