import Foundation

/// Writes a run as a TensorBoard event file (`events.out.tfevents.<time>.<host>` in `directory`),
/// so that `tensorboard --logdir DIR` shows it, live:
///
/// - `loss`, `lr`: the loss and learning rate of every step, at the step's number (counted over the whole run);
/// - `epoch/loss`, `epoch/train_acc`, `epoch/val_acc`, `epoch/val_loss`, `epoch/lr`: each epoch's
///   metrics, at the epoch's number;
/// - `update_ratio/<parameter>`: the epoch's update-to-weight ratios, when a history is given;
/// - `weights/<parameter>`: a histogram of every parameter tensor after each epoch.
///
/// Events are collected in memory and appended to the file after each epoch and when training
/// ends (also when it stops early), each flush written through to the disk, so TensorBoard sees
/// whole epochs as they finish and a crash loses at most the epoch in progress.
///
/// ```swift
/// trainer.callbacks.append(try TensorBoardLogger(directory: "runs/tb", history: trainer.history))
/// ```
public final class TensorBoardLogger: TrainingCallback {
    /// The folder of the event file.
    public let directory: String
    /// The event file.
    public let path: String
    /// Bins of the weight histograms.
    public var histogramBins = 30
    private let history: History?
    private let handle: FileHandle
    private var pending: [UInt8] = []

    /// Creates `directory` (if needed) and a new event file in it, starting with its version record.
    /// - Parameter history: whose update ratios to log (nil: none).
    /// - Throws: `MonitoringError` naming the path when it cannot be written.
    public init(directory: String, history: History? = nil) throws {
        self.directory = directory
        self.history = history
        let now = Date().timeIntervalSince1970
        let base = "\(directory)/events.out.tfevents.\(Int(now)).\(ProcessInfo.processInfo.hostName)"
        var candidate = base, n = 0
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MonitoringError("TensorBoard folder \(directory): cannot create it (\(error.localizedDescription))")
        }
        // Two runs started in the same second write separate files.
        while FileManager.default.fileExists(atPath: candidate) { n += 1; candidate = "\(base).\(n)" }
        guard FileManager.default.createFile(atPath: candidate, contents: nil),
              let handle = FileHandle(forWritingAtPath: candidate) else {
            throw MonitoringError("TensorBoard folder \(directory): cannot create the event file \(candidate)")
        }
        path = candidate
        self.handle = handle
        pending = TFRecord.frame(TensorBoardEvent.fileVersion(wallTime: now))
        try flush()
    }

    deinit { try? handle.close() }

    public func batchDidEnd(_ state: TrainingState, loss: Double) throws {
        // The rate of this step: per-step schedules change it within an epoch.
        append(TensorBoardEvent.scalars([("loss", loss), ("lr", state.optimizer.learningRate)], step: state.step,
                                        wallTime: Date().timeIntervalSince1970))
    }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        let now = Date().timeIntervalSince1970
        var scalars = metrics.keys.sorted().filter { $0 != "cost" }.map { (tag: "epoch/" + $0, value: metrics[$0]!) }
        if let row = history?.updateRatios.last, row["epoch"] == Double(state.epoch) {
            scalars += row.keys.sorted(by: History.naturalOrder).filter { $0 != "epoch" }.map { (tag: "update_ratio/" + $0, value: row[$0]!) }
        }
        append(TensorBoardEvent.scalars(scalars, step: state.epoch, wallTime: now))
        for (name, variable) in state.model.parameters() {
            append(TensorBoardEvent.histogram(tag: "weights/" + name, values: variable.value, step: state.epoch,
                                              wallTime: now, bins: histogramBins))
        }
        try flush()
    }

    public func trainingDidEnd(_ state: TrainingState) throws { try flush() }

    private func append(_ event: [UInt8]) { pending += TFRecord.frame(event) }

    /// Appends the collected events to the file and forces them to the disk.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        do {
            try handle.write(contentsOf: Data(pending))
            try handle.synchronize()
        } catch {
            throw MonitoringError("TensorBoard: cannot write \(path) (\(error.localizedDescription))")
        }
        pending.removeAll(keepingCapacity: true)
    }
}
