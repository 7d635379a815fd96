import Foundation
import Testing
@testable import Nabla

/// `RunRecorder` keeps a run folder's record current: at the start, during epochs, after each
/// epoch and at a stop, so that a run that diverges before its first epoch ends can still be plotted.
@Suite struct RunFolderTests {
    static func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-record-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Reads the run folder's files as a step of training ends, after the recorder has run.
    final class Probe: TrainingCallback {
        let folder: String
        var stepLines: [Int] = []
        var historyLines: [Int] = []
        init(folder: String) { self.folder = folder }
        func batchDidEnd(_ state: TrainingState, loss: Double) throws {
            func lines(_ name: String) -> Int {
                ((try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? "").split(separator: "\n").count
            }
            stepLines.append(lines("steps.csv"))
            historyLines.append(lines("history.csv"))
        }
    }

    @Test func writesTheStepsDuringTheEpoch() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try UpdateRatiosTests.trainer(epochs: 2, batchSize: 10)   // 6 steps per epoch
        let probe = Probe(folder: folder)
        trainer.callbacks = [RunRecorder(folder: folder, stepWriteInterval: 0), probe]
        try trainer.fit(train: UpdateRatiosTests.data(), validation: UpdateRatiosTests.data(seed: 6))
        #expect(probe.stepLines == Array(2...13))   // the header and every step so far, as each step ends
        #expect(probe.historyLines == [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2])   // the header from the start; epoch 1 after it ended
        let record = try RunRecord.read(folder)
        #expect(record.stepLosses == trainer.history.stepLosses)
        #expect(record.epochs.count == 2 && record.updateRatios.count == 2)
        #expect(record.updateRatioNames == trainer.history.updateRatioNames)
    }

    @Test func throttledWritesSkipStepsButTheEpochEndWritesAll() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try UpdateRatiosTests.trainer(epochs: 1, batchSize: 10)
        let probe = Probe(folder: folder)
        trainer.callbacks = [RunRecorder(folder: folder, stepWriteInterval: 3600), probe]
        try trainer.fit(train: UpdateRatiosTests.data(), validation: UpdateRatiosTests.data(seed: 6))
        #expect(probe.stepLines == [1, 1, 1, 1, 1, 1])   // the header when training began, then nothing for an hour
        #expect(try RunRecord.read(folder).stepLosses.count == 6)
    }

    @Test func aRunThatDivergesInItsFirstEpochLeavesARecordThatPlots() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try UpdateRatiosTests.trainer(epochs: 3, batchSize: 5, lr: 1e4)
        trainer.callbacks = [RunRecorder(folder: folder)]   // default: every 2 s, so only the stop writes it
        let result = try trainer.fit(train: UpdateRatiosTests.data(), validation: UpdateRatiosTests.data(seed: 6))
        guard case .diverged = result.stopReason else { Issue.record("expected divergence, got \(String(describing: result.stopReason))"); return }
        let record = try RunRecord.read(folder)
        #expect(record.epochs.isEmpty && record.updateRatios.isEmpty)
        #expect(record.stepLosses.count == trainer.history.stepLosses.count && record.stepLosses.count < 12)
        let last = try #require(record.stepLosses.last)
        #expect(!last.isFinite || last > 3 * record.stepLosses[0])
        #expect(LearningDiagnosis.diagnose(record).first?.kind == .lossExploding)
        let written = try RunPlots.write(record, to: folder)
        #expect(written.count == 8)
        for path in written where path.hasSuffix(".png") {
            let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(png.width == 900 && png.height == 560 && png.distinctColors > 5, "\(path)")
        }
        for path in written where path.hasSuffix(".svg") { _ = try parseSVG(String(contentsOfFile: path, encoding: .utf8)) }
    }
}
