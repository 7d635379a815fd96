import Testing
@testable import Nabla

@Suite struct ModelSpecTests {
    func build(_ text: String, input: [Int] = [1, 28, 28], classes: Int? = 10) throws -> [LayerSummary] {
        var g = RandomGenerator(seed: 0)
        return try ModelSpec.parse(text).build(inputShape: input, classCount: classes, generator: &g).summary
    }

    func error(_ text: String, input: [Int] = [1, 28, 28]) -> String {
        do { _ = try build(text, input: input); return "no error" } catch { return "\(error)" }
    }

    @Test func parsesPositionalAndNamedArguments() throws {
        let spec = try ModelSpec.parse("conv(32, 3, pad: 1), batchnorm, relu, maxpool(2), flatten, dropout(0.5), linear(10)")
        #expect(spec.layers.map(\.name) == ["conv", "batchnorm", "relu", "maxpool", "flatten", "dropout", "linear"])
        #expect(spec.layers[0].positional == [32, 3])
        #expect(spec.layers[0].named == ["pad": 1])
        #expect(spec.layers[0].column == 1)
        #expect(spec.layers[1].column == 22)
    }

    @Test func shapesFollowFromTheData() throws {
        let rows = try build("conv(8, 3, pad: 1), batchnorm, relu, maxpool(2), conv(16, 3, stride: 2), relu, dropout(0.25), linear(10)")
        #expect(rows.map(\.outputShape) == [[8, 28, 28], [8, 28, 28], [8, 28, 28], [8, 14, 14], [16, 6, 6], [16, 6, 6], [16, 6, 6], [576], [10]])
        #expect(rows[0].parameters == 8 * 9 + 8)
        #expect(rows[1].parameters == 16)
        #expect(rows[7].layer == "Flatten()" || rows[7].layer.hasPrefix("Flatten"))
        #expect(rows.last!.parameters == 576 * 10 + 10)
    }

    @Test func everyLayerKindBuilds() throws {
        let rows = try build("linear(64), leakyrelu(0.1), elu, prelu, tanh, sigmoid, maxout(32, pieces: 3), batchnorm", input: [20], classes: nil)
            .map(\.outputShape)
        #expect(rows == [[64], [64], [64], [64], [64], [64], [32], [32]])
        #expect(try build("conv(4, 3), prelu(channels: 4), avgpool(2), maxpool(2, stride: 1)", input: [3, 8, 9], classes: nil).last?.outputShape == [4, 2, 2])
        let text = error("linear(64), leakyrelu(0.1), elu, prelu, tanh, sigmoid, maxout(32, pieces: 3), avgpool(1)", input: [20])
        #expect(text.contains("avgpool needs images [C, H, W] per example, but its input is [32]"))
    }

    @Test func jsonHoldsTheSameSpec() throws {
        #expect(try ModelSpec.parse(#"["linear(100)", "relu", "linear(10)"]"#).layers.count == 3)
        #expect(try ModelSpec.parse(#"{"model": "linear(10)"}"#).layers.count == 1)
    }

    @Test func badSpecsSayWhatAndWhere() {
        #expect(error("linear(100), rleu, linear(10)").hasPrefix("unknown layer 'rleu'; known layers: linear, conv,"))
        #expect(error("linear(100), rleu, linear(10)").contains("at column 14"))
        #expect(error("linear(100, 5, 6)").hasPrefix("linear takes at most 2 arguments (out, bias), got 3"))
        #expect(error("conv(8, kernal: 3)").hasPrefix("conv has no parameter 'kernal'; its parameters: out, kernel, stride, pad, bias"))
        #expect(error("linear(100").hasPrefix("missing ')'"))
        #expect(error("linear(abc)").hasPrefix("expected a number"))
        #expect(error("linear(100)") == "the model's output per example is [100], but the data has 10 classes: end with linear(10) (model \"linear(100)\")")
        #expect(error("conv(8, 3), linear(10)", input: [784]).hasPrefix("conv needs images [C, H, W] per example, but its input is [784]"))
        #expect(error("conv(8, 31), linear(10)").hasPrefix("conv: a 31×31 kernel does not fit input [1, 28, 28] with padding 0"))
        #expect(error("dropout(1.5), linear(10)").hasPrefix("dropout: p must be in [0, 1), got 1.5"))
        #expect(error("conv(8)").hasPrefix("conv needs its 'kernel' argument"))
    }

    @Test func filterWeightsAreFoundByShape() throws {
        var g = RandomGenerator(seed: 0)
        let residual = try ModelSpec.parse("residual(conv(4, 3, pad: 1), batchnorm, relu), linear(10)")
            .build(inputShape: [4, 8, 8], classCount: 10, generator: &g).model
        let dense = try ModelSpec.parse("linear(16), batchnorm, relu, linear(10)").build(inputShape: [20], classCount: 10, generator: &g).model
        #expect(residual.hasConvolution)
        #expect(!dense.hasConvolution)
        // Batch norm's per-channel `weight` is not a filter bank; the first dense layer's is.
        #expect(dense.modules().compactMap { $0.module.filterWeight?.shape } == [[16, 20], [10, 16]])
        #expect(FilterGrid.firstWeightLayer(residual)?.filterWeight?.shape == [4, 4, 3, 3])
    }
}
