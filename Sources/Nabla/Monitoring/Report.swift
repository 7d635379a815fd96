import Foundation

/// One self-contained HTML page about a run, as `nabla report` writes it: the configuration, the
/// lectures' diagnosis, the final metrics with the test split's per-class table and confusion
/// matrix, the curves (loss raw and smoothed, accuracies, learning rate, update ratios), the first
/// layer's filters and the per-layer activation statistics.
///
/// Everything is inside the one file — charts as inline SVG, the filter grid as a PNG `data:` URI,
/// the style in a `<style>` element — with no script and no reference to the network, so that it
/// opens anywhere, offline, and can be mailed or archived alone. Parts that are not available
/// (no weights yet, data that cannot be loaded, no test split) are left out with a note saying why.
///
/// ```swift
/// var report = RunReport(title: "runs/mnist", record: try RunRecord.read("runs/mnist"))
/// report.configuration = RunReport.configurationRows(config)
/// try report.write(to: "runs/mnist/report.html")
/// ```
public struct RunReport {
    /// The sections of the page, in order; the raw value is the section's `id` in the HTML.
    public enum Section: String, CaseIterable, Sendable {
        case configuration, diagnosis, metrics, curves, filters, activations

        /// The section's heading.
        public var title: String {
            switch self {
            case .configuration: return "Configuration"
            case .diagnosis: return "Diagnosis"
            case .metrics: return "Final metrics"
            case .curves: return "Curves"
            case .filters: return "First-layer filters"
            case .activations: return "Activation statistics"
            }
        }
    }

    /// The page's heading (the run folder).
    public var title: String
    /// The line under the heading.
    public var subtitle = ""
    /// The run's settings, one row each.
    public var configuration: [(key: String, value: String)] = []
    /// The curves' data.
    public var record: RunRecord
    /// The first layer's weights as `FilterGrid.render` draws them.
    public var filters: RasterImage?
    /// What `filters` shows (layer, shape, weights file).
    public var filterCaption = ""
    /// Per-layer statistics of a batch's activations (`ActivationStatistics.collect`).
    public var activations: [ActivationStatistics] = []
    /// Which batch the activations are of.
    public var activationCaption = ""
    /// The evaluation on the test split.
    public var evaluation: ClassificationReport?
    /// What `evaluation` is of (split, examples, weights file).
    public var evaluationCaption = ""
    /// Why a section lacks its content, shown at its top.
    public var notes: [Section: String] = [:]

    /// A report of `record`; the other parts are added by setting the properties.
    public init(title: String, record: RunRecord) {
        self.title = title
        self.record = record
    }

    /// The rows of a run configuration, by setting name: numbers and strings as they are, lists
    /// and objects as compact JSON (cut after 160 characters: a fitted preprocessor holds a mean per
    /// input value).
    public static func configurationRows(_ config: TrainingRecipe) -> [(key: String, value: String)] {
        guard let data = try? JSONEncoder().encode(config),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        // Nested settings (data, optimizer) become dotted rows: data.source, optimizer.learningRate.
        func rows(_ object: [String: Any], prefix: String) -> [(key: String, value: String)] {
            object.keys.sorted().flatMap { key -> [(key: String, value: String)] in
                let value = object[key]!
                if let nested = value as? [String: Any], key != "preprocessor", !nested.isEmpty {
                    return rows(nested, prefix: prefix + key + ".")
                }
                var text: String
                if let string = value as? String { text = string } else if value is NSNull { text = "none" } else {
                    let json = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
                    text = json.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
                }
                if text.count > 160 { text = String(text.prefix(160)) + "…" }
                return [(prefix + key, text)]
            }
        }
        return rows(object, prefix: "")
    }

    /// The final metrics, one row each: the last epoch's, the best validation accuracy, and the
    /// test split's accuracy and macro F1 when evaluated.
    public var finalMetrics: [(name: String, value: String)] {
        let n = ReportHTML.number
        var rows: [(name: String, value: String)] = [("epochs recorded", String(record.epochs.count)),
                                                     ("iterations", String(record.stepLosses.count))]
        if let loss = record.stepLosses.last { rows.append(("loss of the last iteration", n(loss))) }
        for (name, key) in [("training accuracy", "train_acc"), ("validation accuracy", "val_acc"),
                            ("validation loss", "val_loss"), ("learning rate", "lr")] {
            if let value = record.metric(key).last { rows.append(("final " + name, n(value))) }
        }
        let validation = record.metric("val_acc"), epochs = record.epochNumbers
        if let best = validation.indices.filter({ validation[$0].isFinite }).max(by: { validation[$0] < validation[$1] }) {
            rows.append(("best validation accuracy", "\(n(validation[best])) (epoch \(Int(epochs[best])))"))
        }
        if let evaluation {
            rows.append(("test accuracy", String(format: "%.4f (%d of %d)", evaluation.accuracy, evaluation.correct, evaluation.count)))
            rows.append(("test macro F1", String(format: "%.4f", evaluation.macroAverage.f1)))
        }
        return rows
    }

    /// The complete page.
    public var html: String {
        let e = ReportHTML.escape
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(e("Nabla report: " + title))</title>
        <style>
        \(ReportHTML.style)
        </style>
        </head>
        <body>
        <header><h1>\(e("Nabla report: " + title))</h1><p>\(e(subtitle))</p></header>
        <nav>\(Section.allCases.map { "<a href=\"#\($0.rawValue)\">\($0.title)</a>" }.joined(separator: " "))</nav>
        <main>

        """
        for section in Section.allCases {
            page += "<section id=\"\(section.rawValue)\">\n<h2>\(section.title)</h2>\n"
            if let note = notes[section] { page += "<p class=\"note\">\(e(note))</p>\n" }
            page += content(of: section) + "\n</section>\n"
        }
        return page + "</main>\n</body>\n</html>\n"
    }

    /// Writes the page to `path` atomically (a reader never sees half a page).
    public func write(to path: String) throws {
        try AtomicFile.write(Data(html.utf8), to: path)
    }

    private func content(of section: Section) -> String {
        switch section {
        case .configuration:
            return ReportHTML.table(header: ["setting", "value"], rows: configuration.map { [$0.key, $0.value] }, numericFrom: 2)
        case .diagnosis:
            let items = LearningDiagnosis.diagnose(record).map { finding in
                "<li class=\"\(finding.kind == .healthy ? "healthy" : "problem")\">\(ReportHTML.escape(finding.message))</li>"
            }
            return "<ul class=\"diagnosis\">\n" + items.joined(separator: "\n") + "\n</ul>"
        case .metrics:
            var html = ReportHTML.table(header: ["metric", "value"], rows: finalMetrics.map { [$0.name, $0.value] })
            if let evaluation {
                html += "\n<p>\(ReportHTML.escape(evaluationCaption))</p>\n" + perClassTable(evaluation)
                html += "\n<h3>Confusion matrix</h3>\n<p>Rows: true class; columns: predicted class; shade: share of the row.</p>\n"
                html += confusionTable(evaluation)
            }
            return html
        case .curves:
            let w = 600, h = 380   // two to a row on a wide screen
            let figures: [(any Chart, String)] = [
                (RunPlots.lossChart(record), "The loss of every iteration (light) and its moving average (dark): it should fall quickly, then slowly."),
                (RunPlots.accuracyChart(record), "Training and validation accuracy per epoch: a big gap means overfitting."),
                (RunPlots.learningRateChart(record), "The learning rate of each epoch."),
                (RunPlots.updateRatioChart(record), "‖update‖ / ‖weights‖ per parameter tensor (mean of sampled steps per epoch); about 1e-3 is healthy."),
            ]
            return "<div class=\"charts\">\n" + figures.map { chart, caption in
                "<figure class=\"chart\">\n\(ReportHTML.inlineSVG(chart, width: w, height: h))\n<figcaption>\(ReportHTML.escape(caption))</figcaption>\n</figure>"
            }.joined(separator: "\n") + "\n</div>"
        case .filters:
            guard let filters else { return "" }
            // Small grids are enlarged to about 400 pixels wide; the image stays sharp (pixelated).
            let zoom = max(1, Int((400 / Double(max(filters.width, 1))).rounded(.up)))
            return ReportHTML.inlinePNG(filters.pngData(), width: filters.width * zoom, height: filters.height * zoom, alt: "first-layer filters")
                + "\n<p>\(ReportHTML.escape(filterCaption))</p>"
        case .activations:
            guard !activations.isEmpty else { return "" }
            let columns = activations.count <= 8 ? 4 : 5
            let rows = (activations.count + columns - 1) / columns
            var html = "<p>\(ReportHTML.escape(activationCaption))</p>\n<div class=\"charts\">\n<figure class=\"chart\">\n"
            html += ReportHTML.inlineSVG(ActivationStatistics.summaryChart(activations), width: 1100, height: 380)
            html += "\n<figcaption>Mean and standard deviation of every layer's output: a std collapsing towards 0 or saturating means a poor initialization.</figcaption>\n</figure>\n<figure class=\"chart\">\n"
            html += ReportHTML.inlineSVG(ActivationStatistics.histogramChart(activations, columns: columns),
                                         width: 240 * columns, height: 40 + 190 * rows)
            html += "\n<figcaption>The distribution of every layer's output.</figcaption>\n</figure>\n</div>\n"
            let n = ReportHTML.number
            html += ReportHTML.table(header: ["layer", "shape", "mean", "std", "min", "max", "zeros"], rows: activations.map { a in
                [a.name, a.shape.map(String.init).joined(separator: "×"), n(a.mean), n(a.standardDeviation), n(a.minimum),
                 n(a.maximum), String(format: "%.1f%%", 100 * a.zeroFraction)]
            }, numericFrom: 2)
            return html
        }
    }

    private func perClassTable(_ r: ClassificationReport) -> String {
        let (precision, recall, f1, support) = (r.precision, r.recall, r.f1, r.support)
        return ReportHTML.table(header: ["class", "precision", "recall", "f1-score", "support"], rows: r.classNames.indices.map { c in
            [r.classNames[c], String(format: "%.4f", precision[c]), String(format: "%.4f", recall[c]),
             String(format: "%.4f", f1[c]), String(support[c])]
        })
    }

    private func confusionTable(_ r: ClassificationReport) -> String {
        let e = ReportHTML.escape
        var html = "<table class=\"confusion\">\n<thead><tr><th>true \\ predicted</th>"
        html += r.classNames.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for (t, row) in r.confusion.enumerated() {
            let total = max(1, row.reduce(0, +))
            html += "<tr><th>\(e(r.classNames[t]))</th>"
            for count in row {
                let share = Double(count) / Double(total)
                let text = share > 0.5 ? "color: white; " : ""
                html += "<td style=\"\(text)background: rgba(31, 119, 180, \(String(format: "%.3f", 0.9 * share)))\">\(count)</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>"
    }
}
