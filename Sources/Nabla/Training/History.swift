/// Everything measured during a run: the loss of every step and the metrics of every epoch. The
/// trainer records into it before callbacks run, so each callback sees it complete (`state.history`).
///
/// It is also the run's record on disk, in one CSV format written and read here: `history.csv`
/// (`epochCSV`: a row per epoch), `steps.csv` (`stepCSV`: `step,loss`) and `update_ratios.csv`
/// (`updateRatioCSV`: `epoch` and a column per parameter tensor); `parseCSV` reads any of them, and
/// Monitoring's `RunRecord.read(folder)` (the same type) reads a run folder back, old runs' files
/// (without the newer columns) included.
public final class History: Checkpointable, Equatable {
    /// The loss of each optimization step.
    public internal(set) var stepLosses: [Double] = []
    /// The learning rate of each step, aligned with `stepLosses` (NaN where it was not recorded:
    /// runs of older versions), so that per-step schedules can be seen.
    public internal(set) var stepLearningRates: [Double] = []
    /// Per epoch: `epoch`, `loss` (mean over its steps), `train_acc`, `val_acc`, `val_loss`, `lr` (of
    /// the epoch's last step), `time`, `elapsed` and, with clipping, `grad_norm` and `grad_norm_max`.
    public internal(set) var epochs: [[String: Double]] = []
    /// Per epoch that measured them: `epoch` and, by parameter name, the mean update-to-weight ratio
    /// ‖Δw‖ / ‖w‖ of the steps `UpdateRatioMonitor` sampled.
    public internal(set) var updateRatios: [[String: Double]] = []

    public init() {}

    /// A record from its parts (as read from a run folder, or made for a chart).
    public convenience init(stepLosses: [Double], epochs: [[String: Double]], updateRatios: [[String: Double]] = [],
                            stepLearningRates: [Double] = []) {
        self.init()
        restore(epochs: epochs, stepLosses: stepLosses, updateRatios: updateRatios, stepLearningRates: stepLearningRates)
    }

    /// A copy of `history`.
    public convenience init(_ history: History) {
        self.init(stepLosses: history.stepLosses, epochs: history.epochs, updateRatios: history.updateRatios,
                  stepLearningRates: history.stepLearningRates)
    }

    /// Equal records; a rate that was not recorded (NaN) equals another not recorded.
    public static func == (a: History, b: History) -> Bool {
        a.stepLosses == b.stepLosses && a.epochs == b.epochs && a.updateRatios == b.updateRatios
            && a.stepLearningRates.count == b.stepLearningRates.count
            && zip(a.stepLearningRates, b.stepLearningRates).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    /// Records one step's loss and the learning rate it was taken with.
    public func recordStep(loss: Double, learningRate: Double = .nan) {
        stepLosses.append(loss)
        stepLearningRates.append(learningRate)
    }

    /// Records one epoch's metrics.
    public func recordEpoch(_ metrics: [String: Double], epoch: Int) {
        var row = metrics
        row["epoch"] = Double(epoch)
        epochs.append(row)
    }

    struct Saved: Codable {
        var epochs: [[String: Double]]
        var updateRatios: [[String: Double]]
    }

    public var checkpointKey: String { "history" }

    public func saveState() throws -> SavedState {
        // JSON has no NaN: an undefined ratio is left out, and read back as missing.
        try SavedState(Saved(epochs: epochs, updateRatios: updateRatios.map { $0.filter { $0.value.isFinite } }),
                       tensors: ["step_losses": Tensor(stepLosses, shape: [stepLosses.count], dtype: .float64),
                                 "step_learning_rates": Tensor(stepLearningRates, shape: [stepLearningRates.count], dtype: .float64)])
    }

    public func restoreState(_ state: SavedState) throws {
        let saved = try state.decode(Saved.self)
        restore(epochs: saved.epochs, stepLosses: state.tensors["step_losses"]?.doubles ?? [], updateRatios: saved.updateRatios,
                stepLearningRates: state.tensors["step_learning_rates"]?.doubles ?? [])
    }

    /// The values of one metric, epoch by epoch (NaN where an epoch lacks it, so that the values
    /// line up with `epochNumbers`).
    public func metric(_ name: String) -> [Double] { epochs.map { $0[name] ?? .nan } }

    /// The epoch numbers.
    public var epochNumbers: [Double] { epochs.enumerated().map { $0.element["epoch"] ?? Double($0.offset + 1) } }

    /// Records one epoch's update-to-weight ratios by parameter name.
    public func recordUpdateRatios(_ ratios: [String: Double], epoch: Int) {
        var row = ratios
        row["epoch"] = Double(epoch)
        updateRatios.append(row)
    }

    /// The parameter names that have update ratios, in the model's order (`layers.2.weight`
    /// before `layers.10.weight`).
    public var updateRatioNames: [String] {
        Set(updateRatios.flatMap(\.keys)).subtracting(["epoch"]).sorted(by: History.naturalOrder)
    }

    /// Restores a history saved by `epochCSV` and `stepCSV` (when resuming a run).
    /// Rates missing at the start (an older run's steps) read as NaN.
    public func restore(epochs: [[String: Double]], stepLosses: [Double], updateRatios: [[String: Double]] = [],
                        stepLearningRates: [Double] = []) {
        self.epochs = epochs
        self.stepLosses = stepLosses
        self.stepLearningRates = Array(repeating: .nan, count: Swift.max(0, stepLosses.count - stepLearningRates.count))
            + stepLearningRates.suffix(stepLosses.count)
        self.updateRatios = updateRatios
    }

    /// The columns every epoch has, then those some runs have: the epoch's wall-clock seconds
    /// (`time`) and the run's up to its end (`elapsed`), and with gradient clipping the mean and
    /// largest gradient norm before clipping (`grad_norm`, `grad_norm_max`).
    public static let epochColumns = ["epoch", "loss", "train_acc", "val_acc", "val_loss", "lr", "time", "elapsed", "grad_norm", "grad_norm_max"]

    /// The per-epoch metrics as CSV with a header line: the standard columns (the first six always,
    /// the others when an epoch has them), then any other metric in name order.
    public var epochCSV: String {
        let present = Set(epochs.flatMap(\.keys))
        let columns = History.epochColumns.enumerated().filter { $0.offset < 6 || present.contains($0.element) }.map(\.element)
            + present.subtracting(History.epochColumns).sorted()
        let rows = epochs.map { row in columns.map { c in row[c].map { c == "epoch" ? String(Int($0)) : "\($0)" } ?? "" }.joined(separator: ",") }
        return ([columns.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    /// The update ratios as CSV: `epoch` and one column per parameter tensor.
    public var updateRatioCSV: String {
        let columns = ["epoch"] + updateRatioNames
        let rows = updateRatios.map { row in
            columns.map { c in row[c].map { c == "epoch" ? String(Int($0)) : "\($0)" } ?? "" }.joined(separator: ",")
        }
        return ([columns.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    /// Dotted names compared part by part, numbers as numbers: `layers.2.weight` < `layers.10.weight`.
    public static func naturalOrder(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "."), y = b.split(separator: ".")
        for (p, q) in zip(x, y) where p != q {
            if let i = Int(p), let j = Int(q) { return i < j }
            return p < q
        }
        return x.count < y.count
    }

    /// The per-step losses as CSV with a header line, and their learning rates (`step,loss,lr`)
    /// when any was recorded.
    public var stepCSV: String {
        guard stepLearningRates.contains(where: { !$0.isNaN }) else {
            return (["step,loss"] + stepLosses.enumerated().map { "\($0.offset + 1),\($0.element)" }).joined(separator: "\n") + "\n"
        }
        let rows = zip(stepLosses, stepLearningRates).enumerated().map { i, step in
            "\(i + 1),\(step.0)," + (step.1.isNaN ? "" : "\(step.1)")
        }
        return (["step,loss,lr"] + rows).joined(separator: "\n") + "\n"
    }

    /// Rows of a CSV file with a header line, as numbers by column name (empty cells left out;
    /// `nan` and `inf` read as such): the reader of all three files.
    public static func parseCSV(_ text: String) -> [[String: Double]] {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [] }
        return lines.dropFirst().map { line in
            var row: [String: Double] = [:]
            for (name, cell) in zip(header, line.split(separator: ",", omittingEmptySubsequences: false)) {
                if let value = Double(cell.trimmingCharacters(in: .whitespaces)) { row[name] = value }
            }
            return row
        }
    }

    /// A record from the texts of `history.csv`, `steps.csv` and `update_ratios.csv`.
    public convenience init(epochCSV: String, stepCSV: String, updateRatioCSV: String = "") {
        let steps = History.parseCSV(stepCSV)
        self.init(stepLosses: steps.map { $0["loss"] ?? .nan }, epochs: History.parseCSV(epochCSV),
                  updateRatios: History.parseCSV(updateRatioCSV), stepLearningRates: steps.map { $0["lr"] ?? .nan })
    }
}
