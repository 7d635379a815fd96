/// Everything measured during a run: the loss of every step and the metrics of every epoch.
public final class History: TrainingCallback {
    /// The loss of each optimization step.
    public private(set) var stepLosses: [Double] = []
    /// Per epoch: `epoch`, `loss` (mean over its steps), `train_acc`, `val_acc`, `val_loss`, `lr`.
    public private(set) var epochs: [[String: Double]] = []

    public init() {}

    public func batchDidEnd(_ state: TrainingState, loss: Double) throws { stepLosses.append(loss) }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        var row = metrics
        row["epoch"] = Double(state.epoch)
        epochs.append(row)
    }

    /// The values of one metric, epoch by epoch.
    public func metric(_ name: String) -> [Double] { epochs.compactMap { $0[name] } }

    /// Restores a history saved by `epochCSV` and `stepCSV` (when resuming a run).
    public func restore(epochs: [[String: Double]], stepLosses: [Double]) {
        self.epochs = epochs
        self.stepLosses = stepLosses
    }

    /// The per-epoch metrics as CSV with a header line.
    public var epochCSV: String {
        let columns = ["epoch", "loss", "train_acc", "val_acc", "val_loss", "lr"]
        let rows = epochs.map { row in columns.map { c in row[c].map { c == "epoch" ? String(Int($0)) : "\($0)" } ?? "" }.joined(separator: ",") }
        return ([columns.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    /// The per-step losses as CSV with a header line.
    public var stepCSV: String {
        (["step,loss"] + stepLosses.enumerated().map { "\($0.offset + 1),\($0.element)" }).joined(separator: "\n") + "\n"
    }
}
