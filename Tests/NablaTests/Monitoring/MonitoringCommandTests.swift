import Foundation
import Testing
@testable import Nabla

/// `nabla activations`, `nabla plot` and `nabla filters` run as subprocesses.
@Suite struct MonitoringCommandTests {
    typealias Run = GradCommandTests.Run

    func nabla(_ arguments: String...) throws -> Run { try GradCommandTests.run(arguments) }

    /// A run folder as `nabla train --out` leaves it, for a small conv net on mnist-5k (untrained weights).
    func makeRunFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-monitor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let spec = "conv(8, 5, pad: 2), relu, maxpool(2), linear(10)"
        var config = TrainingRecipe()
        config.model = spec
        config.inputShape = [1, 28, 28]
        config.classNames = (0..<10).map(String.init)
        config.preprocessor = .fit(.none, scale: 1.0 / 255, on: .zeros([1, 1, 28, 28]))
        config.epochs = 2
        config.optimizer = OptimizerRecipe(.sgd, learningRate: 0.1)
        config.schedule = .multiplicative(decay: 0.9)
        try RunFolder.writeConfig(config, to: folder)
        var g = RandomGenerator(seed: 1)
        let (model, _) = try ModelSpec.parse(spec).build(inputShape: [1, 28, 28], classCount: 10, generator: &g)
        try model.save(to: folder + "/best.safetensors")
        let steps = (1...80).map { "\($0),\(2.3 * exp(-Double($0) / 30) + 0.1)" }
        try (["step,loss"] + steps).joined(separator: "\n").write(toFile: folder + "/steps.csv", atomically: true, encoding: .utf8)
        try "epoch,loss,train_acc,val_acc,val_loss,lr\n1,1.2,0.80,0.78,0.9,0.1\n2,0.4,0.99,0.85,0.6,0.09\n"
            .write(toFile: folder + "/history.csv", atomically: true, encoding: .utf8)
        return folder
    }

    @Test func lectureExperimentPrintsTheLecturesLines() throws {
        let run = try nabla("activations", "--lecture-experiment", "tanh", "--init", "0.01")
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let input = try #require(lines.firstIndex { $0.hasPrefix("input layer had mean ") })
        #expect(lines[input + 1].hasPrefix("hidden layer 1 had mean ") && lines[input + 1].contains(" and std 0.2"))
        #expect(lines[input + 10].hasPrefix("hidden layer 10 had mean ") && lines[input + 10].hasSuffix("and std 0.000000"))
        #expect(run.stdout.contains("hidden layer 10") && run.stdout.contains("|"))   // the table with histograms
        let bad = try nabla("activations", "--lecture-experiment", "sigmoid")
        #expect(bad.status != 0 && bad.stderr.contains("tanh or relu"))
    }

    @Test func activationsOfAFreshModel() throws {
        let run = try nabla("activations", "--model", "linear(50), tanh, linear(10)", "--data", "mnist-5k", "--init", "0.01", "--batch", "100")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("a batch of 100 training examples"))
        for row in ["input", "1 Flatten()", "2 Linear(784 => 50)", "3 Tanh()", "4 Linear(50 => 10)"] {
            #expect(run.stdout.contains("\n" + row + " "), "\(row)")
        }
        let conflicting = try nabla("activations", "--model", "linear(10)", "--lecture-experiment", "tanh")
        #expect(conflicting.status != 0 && conflicting.stderr.contains("exactly one of"))
    }

    @Test func plotAndFiltersOfARunFolder() throws {
        let folder = try makeRunFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let plot = try nabla("plot", folder)
        #expect(plot.status == 0, "\(plot.stderr)")
        #expect(plot.stdout.contains("overfitting"))   // train 0.99, val 0.85
        for name in ["loss", "accuracy", "lr"] {
            let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).png")))
            #expect(png.width == 900 && png.height == 560 && png.distinctColors > 10)
            _ = try parseSVG(String(contentsOfFile: "\(folder)/\(name).svg", encoding: .utf8))
        }
        let filters = try nabla("filters", folder, "--out", folder + "/f.png", "--scale", "6")
        #expect(filters.status == 0, "\(filters.stderr)")
        let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: folder + "/f.png")))
        #expect(png.width == 3 * (30 + 3) + 3 && png.height == 3 * (30 + 3) + 3)   // 8 filters of 5×5 at 6×: 3 × 3 grid
        let activations = try nabla("activations", folder, "--batch", "50", "--png", folder + "/act")
        #expect(activations.status == 0, "\(activations.stderr)")
        #expect(activations.stdout.contains("1 Conv2D") && activations.stdout.contains("ReLU"))
        #expect(FileManager.default.fileExists(atPath: folder + "/act/activation-histograms.png"))
        let missing = try nabla("plot", folder + "/nope")
        #expect(missing.status != 0 && missing.stderr.hasPrefix("error: "))
    }
}
