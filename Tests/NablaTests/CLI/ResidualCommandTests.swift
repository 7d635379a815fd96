import Foundation
import Testing
@testable import Nabla

/// Residual networks from the command line: `summary`, `gradcheck`, and a trained run through
/// `filters`, `activations`, `report` and `export`.
@Suite struct ResidualCommandTests {
    static func nabla(_ arguments: String...) throws -> GradCommandTests.Run { try GradCommandTests.run(arguments) }

    static let resnet = "conv(4, 3, pad: 1), batchnorm, relu, maxpool(2), residual(conv(4, 3, pad: 1), batchnorm, relu, conv(4, 3, pad: 1)), relu, "
        + "residual(conv(8, 3, stride: 2, pad: 1), batchnorm, relu, dropout(0.1)), globalavgpool, linear(10)"

    @Test func summaryShowsEachBlockWithItsBodyAndSkipPath() throws {
        let run = try Self.nabla("summary", "--model", Self.resnet)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("Residual(4 layers) ") && $0.contains(" [4, 14, 14] ") && $0.hasSuffix(" \(2 * (4 * 4 * 9 + 4) + 8)") })
        #expect(lines.contains { $0.hasPrefix("  Conv2D(4 => 4, kernel: 3, stride: 1, padding: 1)") })
        #expect(lines.contains { $0.hasPrefix("  skip: identity") })
        #expect(lines.contains { $0.hasPrefix("Residual(4 layers + projection)") && $0.contains("[8, 7, 7]") })
        #expect(lines.contains { $0.hasPrefix("  skip: Conv2D(4 => 8, kernel: 1, stride: 2, padding: 0)") && $0.hasSuffix("  40") })
        var g = RandomGenerator(seed: 0)
        let model = try ModelSpec.parse(Self.resnet).build(inputShape: [1, 28, 28], classCount: 10, generator: &g).model
        #expect(lines.last == "Total parameters: \(model.parameterCount)")
    }

    @Test func badBlocksAreOneLineErrors() throws {
        for (model, message) in [("residual(), linear(10)", "residual() is empty"),
                                 ("residual(conv(4, 3), flatten), linear(10)", "cannot be added to its input even with a projection"),
                                 ("residual(conv(4, 3, pad: 1), wobble), linear(10)", "unknown layer 'wobble'")] {
            let run = try Self.nabla("summary", "--model", model)
            #expect(run.status == 1)
            #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains(message), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func aResidualNetworkPassesTheGradientCheck() throws {
        let run = try Self.nabla("gradcheck", "--model", "conv(3, 3, pad: 1), batchnorm, tanh, residual(conv(3, 3, pad: 1), tanh, conv(5, 3, stride: 2, pad: 1)), "
                                 + "globalavgpool, residual(linear(6), tanh, linear(10))", "--batch", "3", "--samples", "20")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        for name in ["3.body.0.weight", "3.body.2.weight", "3.skip.weight", "5.body.0.weight", "5.skip.weight", "5.skip.bias"] {
            #expect(lines.contains { $0.hasPrefix(name + " ") && $0.hasSuffix("ok") }, "\(name) in \(run.stdout)")
        }
        #expect(lines.last!.hasPrefix("verdict: OK: "))
    }

    @Test func aTrainedResidualRunWorksWithEveryCommand() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-resnet-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = folder + "/run"
        let train = try Self.nabla("train", "--data", "mnist-5k", "--model", Self.resnet, "--augment", "erase:0.5", "--optimizer", "adam",
                                   "--lr", "0.01", "--epochs", "1", "--seed", "3", "--quiet", "--out", run)
        try #require(train.status == 0, "\(train.stderr)")
        let (tensors, _) = try Safetensors.read(run + "/best.safetensors")
        #expect(tensors["6.skip.weight"]?.shape == [8, 4, 1, 1] && tensors["4.body.3.weight"]?.shape == [4, 4, 3, 3])
        #expect(try RunFolder.readConfig(run).augmentation == Augmentation(erasing: 0.5))

        let filters = try Self.nabla("filters", run)
        #expect(filters.status == 0, "\(filters.stderr)")
        #expect(filters.stdout.hasPrefix("Conv2D(1 => 4, kernel: 3, stride: 1, padding: 1): 4 filters of 1×3×3"))
        let activations = try Self.nabla("activations", run, "--batch", "20")
        #expect(activations.status == 0, "\(activations.stderr)")
        #expect(activations.stdout.contains("5 Residual(4 layers) "))
        #expect(activations.stdout.contains("7 Residual(4 layers + projection) "))
        let report = try Self.nabla("report", run)
        #expect(report.status == 0, "\(report.stderr)")
        let export = try Self.nabla("export", run, folder + "/model.onnx")
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.hasPrefix("wrote \(folder)/model.onnx ("))
    }
}
