import ArgumentParser
import Foundation
import Nabla

/// `nabla report`: one self-contained HTML page about a run folder.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page about a run: configuration, curves, filters, activations, test metrics, diagnosis.",
        discussion: """
        Example:
          nabla report runs/mnist                 # writes runs/mnist/report.html
          nabla report runs/mnist --out mnist.html
        The page holds the run's configuration; the lectures' diagnosis of its curves; the final \
        metrics, and the test split's accuracy, per-class precision and recall and confusion matrix; \
        the loss (raw and smoothed), accuracy, learning-rate and update-ratio curves; the first layer's \
        filters; and the mean, standard deviation and histogram of every layer's output on a batch of \
        training examples. Charts are inline SVG and the filter grid an inline PNG: the file needs \
        nothing else and no network. The test split and the batch are rebuilt from the data options \
        and seed in the run's config.json.
        """
    )

    @Argument(help: "A run folder written by nabla train --out.")
    var folder: String

    @Option(help: "The HTML file to write (default: RUN/report.html).")
    var out: String?

    @Option(help: "The weights file of the run folder to show and evaluate.")
    var weights: String = "best.safetensors"

    @Option(help: "Training examples in the batch whose activations are measured.")
    var batch: Int = 500

    func run() throws {
        try reportingErrors(report)
    }

    private func report() throws {
        guard batch >= 1 else { throw CommandError("--batch must be at least 1, got \(batch)") }
        let config = try RunFolder.readConfig(folder)
        var record = RunRecord(stepLosses: [], epochs: [])
        var notes: [RunReport.Section: String] = [:]
        do { record = try RunRecord.read(folder) } catch {
            notes[.curves] = "No history: \(error)"
            notes[.diagnosis] = "No history to diagnose."
        }
        var report = RunReport(title: folder, record: record)
        report.configuration = RunReport.configurationRows(config)
        report.subtitle = "\(config.model) on \(config.data.source); \(config.optimizer.kind.rawValue), lr \(config.optimizer.learningRate), \(record.epochs.count) of \(config.epochs) epochs"

        let weightsPath = folder + "/" + weights
        if FileManager.default.fileExists(atPath: weightsPath) {
            let model = try RunFolder.loadModel(folder, weights: weights).model
            do {
                let filters = try FilterGrid.firstLayerFilters(of: model, inputShape: config.inputShape)
                report.filters = FilterGrid.render(filters)
                let s = filters.shape
                let layer = FilterGrid.firstWeightLayer(model).map(\.description) ?? "first layer"
                report.filterCaption = "\(layer): \(s[0]) filters of \(s[1])×\(s[2])×\(s[3]) from \(weights), "
                    + "each scaled to its own range (black: smallest weight, white: largest)."
            } catch {
                notes[.filters] = "\(error)"
            }
            do {
                let splits = try config.reloadData()
                let count = min(batch, splits.train.count)
                report.activations = ActivationStatistics.collect(model, input: splits.train.features(in: 0..<count))   // only these converted, if compact
                report.activationCaption = "The first \(count) training examples of \(config.data.source) through \(weights), in evaluation mode."
                if splits.test.count > 0 {
                    let probabilities = predictProbabilities(model, splits.test.features)
                    report.evaluation = ClassificationReport(probabilities: probabilities, labels: splits.test.labels,
                                                             classNames: config.classNames)
                    report.evaluationCaption = "Test split of \(config.data.source): \(splits.test.count) examples, weights \(weights)."
                } else {
                    notes[.metrics] = "This run has no test split (trained with --test 0): no test metrics or confusion matrix."
                }
            } catch {
                let why = "The data \(config.data.source) could not be loaded: \(error)"
                notes[.activations] = why
                notes[.metrics] = why + " (no test metrics or confusion matrix)."
            }
        } else {
            let why = "\(weightsPath) does not exist (a run writes it when its first epoch ends)"
            notes[.filters] = why + "."
            notes[.activations] = why + "."
            notes[.metrics] = why + ": no test metrics or confusion matrix."
        }
        report.notes = notes
        let path = out ?? folder + "/report.html"
        try report.write(to: path)
        print("wrote \(path)")
        for (section, note) in notes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            print("note (\(section.title.lowercased())): \(note)")
        }
    }
}
