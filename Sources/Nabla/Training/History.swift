/// Everything measured during a run: the loss of every step and the metrics of every epoch. The
/// trainer records into it before callbacks run, so each callback sees it complete (`state.history`).
public final class History: Checkpointable {
    /// The loss of each optimization step.
    public private(set) var stepLosses: [Double] = []
    /// Per epoch: `epoch`, `loss` (mean over its steps), `train_acc`, `val_acc`, `val_loss`, `lr` (of
    /// the epoch's last step), `time`, `elapsed` and, with clipping, `grad_norm` and `grad_norm_max`.
    public private(set) var epochs: [[String: Double]] = []
    /// Per epoch that measured them: `epoch` and, by parameter name, the mean update-to-weight ratio
    /// ‖Δw‖ / ‖w‖ of the steps `UpdateRatioMonitor` sampled.
    public private(set) var updateRatios: [[String: Double]] = []

    public init() {}

    /// Records one step's loss.
    public func recordStep(loss: Double) { stepLosses.append(loss) }

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
                       tensors: ["step_losses": Tensor(stepLosses, shape: [stepLosses.count], dtype: .float64)])
    }

    public func restoreState(_ state: SavedState) throws {
        let saved = try state.decode(Saved.self)
        restore(epochs: saved.epochs, stepLosses: state.tensors["step_losses"]?.doubles ?? [], updateRatios: saved.updateRatios)
    }

    /// The values of one metric, epoch by epoch.
    public func metric(_ name: String) -> [Double] { epochs.compactMap { $0[name] } }

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
    public func restore(epochs: [[String: Double]], stepLosses: [Double], updateRatios: [[String: Double]] = []) {
        self.epochs = epochs
        self.stepLosses = stepLosses
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

    /// The per-step losses as CSV with a header line.
    public var stepCSV: String {
        (["step,loss"] + stepLosses.enumerated().map { "\($0.offset + 1),\($0.element)" }).joined(separator: "\n") + "\n"
    }
}
