import Foundation

/// Prints the lectures' epoch lines and, on a terminal, an in-place progress bar during each
/// epoch (batches done, images per second, running loss, time left). When the output is a file or
/// a pipe it prints only the plain lines.
public final class ProgressReporter: TrainingCallback {
    private let isTerminal: Bool
    private let write: (String) -> Void
    /// When this epoch's first step here began, and the steps done before it (a resumed epoch).
    private var epochStart: (time: Date, steps: Int)?
    private var lastDraw = Date.distantPast
    private var runningLoss: Double?

    /// - Parameters:
    ///   - isTerminal: draw the in-place progress bar (by default when standard output is a terminal).
    ///   - write: where text goes (standard output by default); lines end in "\n".
    public init(isTerminal: Bool = isatty(STDOUT_FILENO) == 1, write: @escaping (String) -> Void = ProgressReporter.standardOutput) {
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Writes to standard output and flushes, so lines appear as they happen even through a pipe.
    public static func standardOutput(_ text: String) {
        print(text, terminator: "")
        fflush(stdout)
    }

    public func batchWillBegin(_ state: TrainingState) throws {
        if epochStart == nil { epochStart = (Date(), state.stepInEpoch); runningLoss = nil }
    }

    public func batchDidEnd(_ state: TrainingState, loss: Double) throws {
        runningLoss = runningLoss.map { 0.9 * $0 + 0.1 * loss } ?? loss
        guard isTerminal else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || state.stepInEpoch == state.stepsPerEpoch else { return }
        lastDraw = now
        let start = epochStart ?? (now, 0)
        let elapsed = now.timeIntervalSince(start.time)
        let done = state.stepInEpoch, total = Swift.max(state.stepsPerEpoch, 1), doneHere = Swift.max(done - start.steps, 1)
        let width = 24, filled = width * done / total
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: Swift.max(0, width - filled - 1))
        // Timed from the start of the first step, so the first step's rate is a real one.
        let rate = Double(doneHere * state.batchSize) / Swift.max(elapsed, 1e-9)
        let left = elapsed / Double(doneHere) * Double(total - done)
        let line = String(format: "epoch %d / %d [%@] %d/%d  %.0f img/s  loss %.4f  %@ left",
                          state.epoch, state.epochs, bar, done, total, rate, runningLoss ?? .nan, ProgressReporter.duration(left))
        write("\r\u{1B}[K" + line)
    }

    public func epochDidEnd(_ state: TrainingState, metrics: [String: Double]) throws {
        epochStart = nil
        if isTerminal { write("\r\u{1B}[K") }
        let value = { (name: String) in metrics[name] ?? .nan }
        // The lectures' line, then the epoch's wall-clock time (steps and evaluation).
        write(String(format: "Finished epoch %d / %d: cost %f, train: %f, val %f, lr %e, time %.1fs\n",
                     state.epoch, state.epochs, value("cost"), value("train_acc"), value("val_acc"), value("lr"), value("time")))
    }

    public func trainingDidEnd(_ state: TrainingState) throws {
        epochStart = nil
        if isTerminal { write("\r\u{1B}[K") }
        switch state.stopReason {
        case .diverged(let message): write("stopped: \(message)\n")
        case .earlyStopping(let message): write(message + "\n")
        case .interrupted: write("interrupted at epoch \(state.epoch), step \(state.step)\n")
        case .requested(let message): write("stopped: \(message)\n")
        case nil: break
        }
        // The best of the whole run, epochs before a resume included: the history has them all.
        let best = state.history.metric("val_acc").reduce(nil as Double?) { MetricMode.max.isImprovement($1, over: $0) ? $1 : $0 }
        if let best { write(String(format: "finished optimization. best validation accuracy: %f\n", best)) }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 60 ? String(format: "%d:%02d", s / 60, s % 60) : "\(s)s"
    }
}
