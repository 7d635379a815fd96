import Testing
@testable import Nabla

/// `residual(…)` and `globalavgpool` in the model spec: parsing, shapes, projections, errors.
@Suite struct ResidualSpecTests {
    /// The README's small ResNet for 28×28 digits.
    static let resnet = "conv(16, 3, pad: 1), batchnorm, relu, "
        + "residual(conv(16, 3, pad: 1), batchnorm, relu, conv(16, 3, pad: 1), batchnorm), relu, "
        + "residual(conv(32, 3, stride: 2, pad: 1), batchnorm, relu, conv(32, 3, pad: 1), batchnorm), relu, globalavgpool, linear(10)"

    func plan(_ text: String, input: [Int] = [1, 28, 28], classes: Int? = 10) throws -> ModelPlan {
        try ModelSpec.parse(text).plan(inputShape: input, classCount: classes)
    }

    func error(_ text: String, input: [Int] = [1, 28, 28], classes: Int? = 10) -> String {
        do { _ = try plan(text, input: input, classes: classes); return "no error" } catch { return "\(error)" }
    }

    @Test func aBlockHoldsItsLayers() throws {
        let spec = try ModelSpec.parse("linear(8), residual(linear(8), relu, residual(linear(8))), linear(2)")
        #expect(spec.layers.map(\.name) == ["linear", "residual", "linear"])
        #expect(spec.layers[1].body.map(\.name) == ["linear", "relu", "residual"])
        #expect(spec.layers[1].body[0].column == 21)
        #expect(spec.layers[1].body[2].body.map(\.positional) == [[8]])
        #expect(spec.layer(at: [1, 2, 0]).column == 47)
        // The description reads back as the same spec.
        #expect(try ModelSpec.parse(spec.description).description == spec.description)
        #expect(spec.description == "linear(8), residual(linear(8), relu, residual(linear(8))), linear(2)")
    }

    @Test func theResNetExamplePlansWithItsProjection() throws {
        let plan = try plan(Self.resnet)
        let rows = plan.summary
        #expect(rows.map(\.layer) == [
            "Conv2D(1 => 16, kernel: 3, stride: 1, padding: 1)", "BatchNorm(16)", "ReLU()",
            "Residual(5 layers)", "Conv2D(16 => 16, kernel: 3, stride: 1, padding: 1)", "BatchNorm(16)", "ReLU()",
            "Conv2D(16 => 16, kernel: 3, stride: 1, padding: 1)", "BatchNorm(16)", "skip: identity", "ReLU()",
            "Residual(5 layers + projection)", "Conv2D(16 => 32, kernel: 3, stride: 2, padding: 1)", "BatchNorm(32)", "ReLU()",
            "Conv2D(32 => 32, kernel: 3, stride: 1, padding: 1)", "BatchNorm(32)",
            "skip: Conv2D(16 => 32, kernel: 1, stride: 2, padding: 0)", "ReLU()", "GlobalAvgPool2D()", "Linear(32 => 10)"])
        #expect(rows.map(\.depth) == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0])
        #expect(rows[11].outputShape == [32, 14, 14] && rows[19].outputShape == [32])
        #expect(rows[17].parameters == 16 * 32 + 32)
        let block = 16 * 32 * 9 + 32 + 64 + 32 * 32 * 9 + 32 + 64 + 16 * 32 + 32
        #expect(rows[11].parameters == block)
        var g = RandomGenerator(seed: 0)
        let model = try ModelSpec.parse(Self.resnet).build(inputShape: [1, 28, 28], classCount: 10, generator: &g).model
        #expect(plan.parameterCount == model.parameterCount)
        #expect(formatSummary(rows, inputShape: [1, 28, 28]).hasSuffix("Total parameters: \(model.parameterCount)"))
        #expect(formatSummary(rows, inputShape: [1, 28, 28]).contains("\n  skip: Conv2D(16 => 32, kernel: 1, stride: 2, padding: 0)"))
    }

    @Test func projectionsFollowTheShapeChange() throws {
        // Vectors whose width changes: a linear projection.
        let dense = try plan("residual(linear(12), relu, linear(6)), linear(3)", input: [4], classes: 3)
        guard case let .residual(_, projection?) = dense.layers[0].kind else { Issue.record("no projection"); return }
        #expect(projection.kind == .linear(input: 4, output: 6, bias: true))
        // A maxpool inside halves the size: stride 2; odd sizes round as the body does (7 → 4).
        let pooled = try plan("residual(conv(3, 3, pad: 1), maxpool(2, pad: 1))", input: [2, 7, 7], classes: nil)
        guard case let .residual(_, conv?) = pooled.layers[0].kind else { Issue.record("no projection"); return }
        #expect(conv.kind == .conv(inputChannels: 2, outputChannels: 3, kernel: 1, stride: 2, padding: 0, bias: true))
        #expect(pooled.outputShape == [3, 4, 4])
        // Same shape: the input itself.
        let same = try plan("residual(batchnorm, relu)", input: [5], classes: nil)
        #expect(same.layers[0].kind == .residual(body: same.layers[0].nestedBody, projection: nil))
    }

    @Test func globalAveragePoolingKeepsOneValuePerChannel() throws {
        let plan = try plan("conv(6, 5), globalavgpool, linear(10)")
        #expect(plan.layers.map(\.outputShape) == [[6, 24, 24], [6], [10]])
        #expect(error("linear(20), globalavgpool, linear(10)").hasPrefix("globalavgpool needs images [C, H, W] per example, but its input is [20]"))
    }

    @Test func badBlocksAreOneLineErrorsNamingTheProblem() {
        #expect(error("conv(8, 3), residual(), linear(10)")
                == "residual() is empty: put at least one layer inside, e.g. residual(conv(16, 3, pad: 1), relu) at column 13 in model \"conv(8, 3), residual(), linear(10)\"")
        #expect(error("residual, linear(10)").hasPrefix("residual needs its layers in parentheses"))
        #expect(error("residual(conv(8, 3, pad: 1), rleu), linear(10)").hasPrefix("unknown layer 'rleu'; known layers:"))
        #expect(error("residual(conv(8, 3, pad: 1), rleu), linear(10)").contains("at column 30"))
        #expect(error("residual(conv(8, 3, pad: 1), relu").hasPrefix("missing ')' of residual(…)"))
        #expect(error("residual(conv(8, 3, pad: 1) relu)").hasPrefix("expected ')' or ',' in residual(…), found 'r'"))
        #expect(error("residual(conv(8, 3), flatten, linear(10))")
                == "residual: its body turns [1, 28, 28] into [10], which cannot be added to its input even with a projection: a block must keep "
                    + "images as images [C, H, W] (no flatten, linear or globalavgpool inside) and vectors as vectors at column 1 in model "
                    + "\"residual(conv(8, 3), flatten, linear(10))\"")
        #expect(error("conv(4, 3), residual(conv(8, 3)), linear(10)").hasPrefix(
            "residual: its body turns [4, 26, 26] into [8, 24, 24]; no 1×1 projection of any stride makes 24×24 of 26×26"))
        #expect(error("residual(conv(8, 3)), linear(10)").contains("at column 1"))
        for text in ["residual()", "residual(conv(8, 3), flatten, linear(10))", "residual(linear(3"] {
            #expect(!error(text).contains("\n"))
        }
    }

    @Test func parametersAreNamedByBlockBodyAndSkip() throws {
        var g = RandomGenerator(seed: 1)
        let (model, _) = try ModelSpec.parse(Self.resnet).build(inputShape: [1, 28, 28], classCount: 10, generator: &g)
        let names = model.stateDict().map(\.name)
        for name in ["3.body.0.weight", "3.body.0.bias", "3.body.1.weight", "3.body.4.running_mean",
                     "5.body.3.weight", "5.skip.weight", "5.skip.bias", "8.weight"] {
            #expect(names.contains(name), "\(name) missing from \(names)")
        }
        #expect(!names.contains { $0.hasPrefix("3.skip") })
    }

    @Test func memoryCountsTheLayersInsideBlocks() throws {
        let resnet = try plan(Self.resnet)
        let estimate = resnet.memoryEstimate(batchSize: 8)
        #expect(estimate.perLayer.count == resnet.allLayers.count)
        #expect(resnet.allLayers.count == 9 + 5 + 6)   // the model's layers, then each body, and one projection
        #expect(estimate.parameters == resnet.parameterCount * 4 * 4)
        // The largest layer inside a block is named with the spec text that made it.
        let wide = try plan("conv(4, 3, pad: 1), residual(conv(4000, 3, pad: 1), conv(4, 3, pad: 1)), globalavgpool, linear(10)")
        do {
            try wide.checkMemory(batchSize: 64, available: 100_000_000)
            Issue.record("a 4000-channel block fits in 100 MB")
        } catch {
            // The second convolution unfolds 4000 channels (im2col): the biggest share.
            #expect("\(error)".contains("its largest layer, Conv2D(4000 => 4, kernel: 3, stride: 1, padding: 1) (conv(4, 3, pad: 1))"))
            #expect("\(error)".contains("at column 53"))
        }
    }
}

extension ModelPlan.Layer {
    /// A block's body (empty for other layers), for comparisons in tests.
    var nestedBody: [ModelPlan.Layer] {
        if case let .residual(body, _) = kind { return body }
        return []
    }
}
