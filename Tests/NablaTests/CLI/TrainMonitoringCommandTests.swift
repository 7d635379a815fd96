import Foundation
import Testing
@testable import Nabla

/// What `nabla train` leaves for monitoring: update ratios and TensorBoard files in a normal run, a
/// record that `nabla plot` and `nabla report` can use in a run that diverges in its first epoch.
@Suite struct TrainMonitoringCommandTests {
    func nabla(_ arguments: String...) throws -> GradCommandTests.Run { try GradCommandTests.run(arguments) }

    static func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("nabla-train-\(UUID().uuidString)").path
    }

    @Test func aRunRecordsUpdateRatiosAndTensorBoardEvents() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try nabla("train", "--data", "mnist-5k", "--model", "linear(20), relu, linear(10)", "--epochs", "2",
                            "--lr", "0.05", "--out", folder, "--tensorboard", folder + "/tb", "--quiet")
        #expect(run.status == 0, "\(run.stderr)")
        let record = try RunRecord.read(folder)
        #expect(record.updateRatios.map { $0["epoch"] } == [1, 2])
        #expect(record.updateRatioNames == ["1.bias", "1.weight", "3.bias", "3.weight"])   // 0 is the flatten
        for row in record.updateRatios {
            for name in ["1.weight", "3.weight"] { #expect(row[name]! > 1e-5 && row[name]! < 1, "\(name) \(row[name]!)") }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/tb")
        #expect(files.count == 1 && files[0].hasPrefix("events.out.tfevents."))
        let events = try TFRecord.records([UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/tb/" + files[0]))))
        let perStep = record.stepLosses.count, perEpoch = 2 * (1 + 4)   // one scalars event and four histograms an epoch
        #expect(events.count == 1 + perStep + perEpoch)

        let plot = try nabla("plot", folder)
        #expect(plot.status == 0, "\(plot.stderr)")
        let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: folder + "/update-ratios.png")))
        #expect(png.width == 900 && png.count([150, 150, 150]) > 300)   // with the 1e-3 line
    }

    /// The event records of the one TensorBoard file in `folder`.
    static func eventRecords(in folder: String) throws -> [[UInt8]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(files.count == 1 && files.allSatisfy { $0.hasPrefix("events.out.tfevents.") }, "\(folder): \(files)")
        return try TFRecord.records([UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + files[0]))))
    }

    @Test func crossValidationAndSearchWriteOneTensorBoardFolderPerModel() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let crossval = try nabla("crossval", "--data", "mnist-5k", "--model", "linear(10)", "--folds", "2", "--epochs", "1",
                                 "--quiet", "--tensorboard", folder + "/cv")
        #expect(crossval.status == 0, "\(crossval.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/cv").sorted() == ["fold-1", "fold-2"])
        for fold in ["fold-1", "fold-2"] {
            // file version, one loss per step (4,500 examples in halves of 2,250: 23 steps), an epoch's scalars, 2 histograms
            #expect(try Self.eventRecords(in: folder + "/cv/" + fold).count == 1 + 23 + 1 + 2)
        }

        let search = try nabla("search", "--space", "lr=log(1e-2,1e-1)", "--trials", "2", "--epochs", "1", "--model", "linear(10)",
                               "--out", folder + "/search", "--tensorboard", folder + "/tb")
        #expect(search.status == 0, "\(search.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/tb").sorted() == ["trial-0000", "trial-0001"])
        for trial in ["trial-0000", "trial-0001"] {
            #expect(try Self.eventRecords(in: folder + "/tb/" + trial).count == 1 + 40 + 1 + 2)   // 4,000 examples, batches of 100
        }
    }

    @Test func aRunThatDivergesInItsFirstEpochCanBePlottedAndReported() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try nabla("train", "--data", "mnist-5k", "--lr", "1000", "--epochs", "3", "--out", folder)
        #expect(run.status == 2)
        #expect(run.stdout.contains("learning rate") || run.stderr.contains("learning rate"))
        let steps = try String(contentsOfFile: folder + "/steps.csv", encoding: .utf8).split(separator: "\n")
        #expect(steps.count >= 3 && steps[0] == "step,loss,lr")
        let plot = try nabla("plot", folder)
        #expect(plot.status == 0, "\(plot.stderr)")
        #expect(plot.stdout.contains("0 epochs") && plot.stdout.contains("loss exploding"))
        for name in ["loss", "accuracy", "lr", "update-ratios"] {
            let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).png")))
            #expect(png.width == 900 && png.count([40, 40, 40]) > 100, "\(name)")
        }
        let report = try nabla("report", folder)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("best.safetensors does not exist"))
        let page = try ReportTests.Structure.parse(String(contentsOfFile: folder + "/report.html", encoding: .utf8))
        #expect(page.svgCount == 4 && page.text.contains("loss exploding"))
    }
}
