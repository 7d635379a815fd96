import Foundation
import Testing
@testable import Nabla

@Suite struct RunPlotsTests {
    static func record(losses: [Double], train: [Double], val: [Double]) -> RunRecord {
        let epochs = train.indices.map { i -> [String: Double] in
            ["epoch": Double(i + 1), "loss": 1, "train_acc": train[i], "val_acc": val[i], "val_loss": 0.5, "lr": 0.05 * pow(0.9, Double(i))]
        }
        return RunRecord(stepLosses: losses, epochs: epochs)
    }

    static let decreasing = (0..<200).map { 2.3 * exp(-Double($0) / 40) + 0.05 + 0.03 * sin(Double($0)) }

    @Test func readsTheRunFolderCSVFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-plot-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "epoch,loss,train_acc,val_acc,val_loss,lr\n1,2.1,0.5,0.45,,0.05\n2,1.5,0.7,0.6,1.6,0.045\n"
            .write(toFile: folder + "/history.csv", atomically: true, encoding: .utf8)
        try "step,loss\n1,2.3\n2,nan\n3,1.9\n".write(toFile: folder + "/steps.csv", atomically: true, encoding: .utf8)
        let record = try RunRecord.read(folder)
        #expect(record.stepLosses.count == 3 && record.stepLosses[0] == 2.3 && record.stepLosses[1].isNaN)
        #expect(record.metric("val_acc") == [0.45, 0.6])
        #expect(record.metric("val_loss")[0].isNaN && record.epochNumbers == [1, 2])

        let written = try RunPlots.write(record, to: folder)
        #expect(written.map { ($0 as NSString).lastPathComponent }
                == ["loss.svg", "loss.png", "accuracy.svg", "accuracy.png", "lr.svg", "lr.png", "update-ratios.svg", "update-ratios.png"])
        for path in written where path.hasSuffix(".png") {
            let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(png.width == 900 && png.height == 560 && png.distinctColors > 10, "\(path)")
        }
        for path in written where path.hasSuffix(".svg") {
            _ = try parseSVG(String(contentsOfFile: path, encoding: .utf8))
        }
        #expect(throws: MonitoringError.self) { try RunRecord.read(folder + "/nothing") }
    }

    @Test func smoothingIsATrailingMeanThatSkipsGaps() {
        #expect(RunPlots.smoothed([1, 2, 3, 4], window: 2) == [1, 1.5, 2.5, 3.5])
        let gap = RunPlots.smoothed([1, .nan, 3, 5], window: 2)
        #expect(gap[0] == 1 && gap[1].isNaN && gap[2] == 3 && gap[3] == 4)
        #expect(RunPlots.smoothingWindow(2000) == 100 && RunPlots.smoothingWindow(10) == 1)
    }

    @Test func chartsShowTheRun() throws {
        let record = Self.record(losses: Self.decreasing, train: [0.6, 0.8, 0.95, 0.99], val: [0.58, 0.75, 0.8, 0.82])
        let loss = RunPlots.lossChart(record)
        #expect(loss.series.count == 3 && !loss.logScaleY)
        #expect(loss.series[2].x == [50, 100, 150, 200])   // validation loss at each epoch's last step
        let accuracy = RunPlots.accuracyChart(record)
        #expect(accuracy.title == "accuracy (train - val gap 0.170)")
        let lr = RunPlots.learningRateChart(record)
        #expect(!lr.logScaleY && lr.includeZeroY)
        let png = try DecodedPNG(accuracy.png())
        #expect(png.count([31, 119, 180]) > 200 && png.count([255, 127, 14]) > 200)
        let exploding = RunPlots.lossChart(Self.record(losses: (0..<100).map { 2.3 * exp(Double($0) / 10) }, train: [0.1], val: [0.1]))
        #expect(exploding.logScaleY)
    }

    @Test func diagnosisFollowsTheLectures() {
        func kinds(_ losses: [Double], _ train: Double, _ val: Double) -> [LearningDiagnosis.Kind] {
            LearningDiagnosis.diagnose(Self.record(losses: losses, train: [train], val: [val])).map(\.kind)
        }
        #expect(kinds(Self.decreasing, 0.99, 0.97) == [.healthy])
        #expect(kinds(Self.decreasing, 1.0, 0.85) == [.overfitting])
        #expect(kinds(Self.decreasing, 0.6, 0.59) == [.underfitting])
        #expect(kinds((0..<100).map { 2.30 - 0.0001 * Double($0) }, 0.12, 0.11) == [.lossFlat])   // the learning rate first
        #expect(kinds([2.3, 2.2, 50, .nan, .nan], 0.1, 0.1).first == .lossExploding)
        #expect(kinds((0..<100).map { 2.3 * exp(Double($0) / 30) }, 0.1, 0.1).first == .lossExploding)
        let overfit = LearningDiagnosis.diagnose(Self.record(losses: Self.decreasing, train: [1.0], val: [0.85]))
        #expect(overfit[0].message.contains("overfitting") && overfit[0].message.contains("regularization"))
        let flat = LearningDiagnosis.diagnose(Self.record(losses: Array(repeating: 2.3, count: 50), train: [0.1], val: [0.1]))
        #expect(flat[0].message.contains("learning rate is too low"))
    }

    @Test func emptyOneEpochAndNaNHistoriesDrawPictures() throws {
        let ratios: [[String: Double]] = [["epoch": 1, "0.weight": 2e-3, "0.bias": .nan]]
        let records = [
            RunRecord(stepLosses: [], epochs: []),
            Self.record(losses: [2.3, 2.1, 1.9], train: [0.4], val: [0.35]),
            RunRecord(stepLosses: [.nan, .nan, .infinity], epochs: [["epoch": 1, "loss": .nan, "train_acc": .nan, "val_acc": 0.1, "lr": 0.1]],
                      updateRatios: ratios),
        ]
        for record in records {
            let charts = [RunPlots.lossChart(record), RunPlots.accuracyChart(record), RunPlots.learningRateChart(record),
                          RunPlots.updateRatioChart(record)]
            for chart in charts {
                let png = try DecodedPNG(chart.png(width: 400, height: 300))
                // Axes, ticks and the title at least: ink on white, not a blank or black picture.
                #expect(png.width == 400 && png.height == 300 && png.count([40, 40, 40]) > 100, "\(chart.title)")
                #expect(png.count([255, 255, 255]) > 400 * 300 / 2, "\(chart.title)")
                let names = try parseSVG(chart.svg(width: 400, height: 300))
                #expect(names.first == "svg" && names.contains("text"), "\(chart.title)")
            }
        }
    }

    @Test func updateRatiosAreALogChartWithTheRuleOfThumb() throws {
        let record = RunRecord(stepLosses: Self.decreasing, epochs: [],
                               updateRatios: [["epoch": 1, "2.weight": 3e-3, "0.weight": 1e-2, "10.weight": 4e-4],
                                              ["epoch": 2, "2.weight": 2e-3, "0.weight": 5e-3, "10.weight": 5e-4]])
        let chart = RunPlots.updateRatioChart(record)
        #expect(chart.logScaleY && chart.title == "update / weight ratio (log scale)")
        #expect(chart.series.map(\.name) == ["0.weight", "2.weight", "10.weight", "1e-3 (rule of thumb)"])
        #expect(chart.series[0].x == [1, 2] && chart.series[0].y == [1e-2, 5e-3])
        #expect(chart.series[3].x == [1, 2] && chart.series[3].y == [1e-3, 1e-3])
        let png = try DecodedPNG(chart.png())
        #expect(png.count([150, 150, 150]) > 300)   // the reference line is drawn
        #expect(RunPlots.updateRatioChart(RunRecord(stepLosses: [], epochs: [])).title == "update / weight ratio (not recorded)")
    }

    @Test func readsUpdateRatiosWhenTheRunHasThem() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-ratios-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "epoch,loss\n".write(toFile: folder + "/history.csv", atomically: true, encoding: .utf8)
        try "step,loss\n".write(toFile: folder + "/steps.csv", atomically: true, encoding: .utf8)
        #expect(try RunRecord.read(folder) == RunRecord(stepLosses: [], epochs: []))   // an older run: no update_ratios.csv
        try "epoch,0.bias,0.weight\n1,nan,0.002\n2,0.01,0.001\n".write(toFile: folder + "/update_ratios.csv", atomically: true, encoding: .utf8)
        let record = try RunRecord.read(folder)
        #expect(record.updateRatioNames == ["0.bias", "0.weight"] && record.updateRatios.count == 2)
        #expect(record.updateRatios[0]["0.bias"]!.isNaN && record.updateRatios[1] == ["epoch": 2, "0.bias": 0.01, "0.weight": 0.001])
    }
}
