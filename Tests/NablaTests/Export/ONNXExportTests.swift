import Foundation
import Testing
@testable import Nabla

/// Models exported to ONNX give the probabilities Nabla gives, when run by Python's `onnxruntime`
/// (after `onnx.checker` accepts the file).
///
/// Needs `python3` with `onnx`, `onnxruntime` and `numpy`: `scripts/ensure-python-deps.sh`
/// installs them (and `make test` runs it). Without them these tests fail and say so.
@Suite struct ONNXExportTests {
    /// Runs `model.onnx` on `input.npy` in onnxruntime; writes `probabilities.npy` and `logits.npy`
    /// and prints the metadata as JSON.
    static let runner = """
        import sys, json, numpy as np, onnx, onnxruntime as ort
        folder = sys.argv[1]
        onnx.checker.check_model(onnx.load(folder + '/model.onnx'), full_check=True)
        session = ort.InferenceSession(folder + '/model.onnx', providers=['CPUExecutionProvider'])
        probabilities, logits = session.run(['probabilities', 'logits'], {'input': np.load(folder + '/input.npy')})
        np.save(folder + '/probabilities.npy', probabilities)
        np.save(folder + '/logits.npy', logits)
        print(json.dumps(session.get_modelmeta().custom_metadata_map))
        """

    struct Outputs {
        var probabilities: Tensor
        var logits: Tensor
        var metadata: [String: String]
    }

    /// Exports `model` with `preprocessor`, runs it on `raw` in onnxruntime, returns its outputs.
    static func runInONNXRuntime(_ model: any Module, raw: Tensor, preprocessor: Preprocessor?,
                                 classNames: [String]) throws -> Outputs {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-onnx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ONNXExport.write(model, inputShape: Array(raw.shape.dropFirst()), preprocessor: preprocessor,
                             classNames: classNames, metadata: ["model": "test"], to: folder + "/model.onnx")
        try NPY.write(raw, to: folder + "/input.npy")
        let result = try SafetensorsInteropTests.python(runner, [folder], in: folder)
        guard result.status == 0 else {
            throw ExportError("""
                python3 with onnx and onnxruntime failed (scripts/ensure-python-deps.sh installs them; \
                make test runs it): \(result.errors.split(separator: "\n").suffix(3).joined(separator: " | "))
                """)
        }
        let metadata = try JSONDecoder().decode([String: String].self, from: Data(result.output.utf8))
        return Outputs(probabilities: try NPY.read(folder + "/probabilities.npy").tensor(),
                       logits: try NPY.read(folder + "/logits.npy").tensor(), metadata: metadata)
    }

    /// A model built from `spec` for examples of `inputShape`, with every parameter moved off its
    /// initial value (biases and batch-norm shifts are zero at first) and batch-norm running
    /// statistics from two training-mode passes, so that every exported tensor matters.
    static func model(_ spec: String, inputShape: [Int], classes: Int, seed: UInt64 = 1) throws -> Sequential {
        var g = RandomGenerator(seed: seed)
        let (model, _) = try ModelSpec.parse(spec).build(inputShape: inputShape, classCount: classes, generator: &g)
        for (_, p) in model.parameters() {
            p.value = p.value + Tensor.randomNormal(p.value.shape, standardDeviation: 0.2, generator: &g)
        }
        model.train()
        for _ in 0..<2 { _ = model(Tensor.randomNormal([8] + inputShape, mean: 1, standardDeviation: 2, generator: &g)) }
        model.eval()
        return model
    }

    /// `count` raw examples with values 0–255, like image bytes.
    static func rawInputs(_ count: Int, _ shape: [Int], seed: UInt64 = 7) -> Tensor {
        var g = RandomGenerator(seed: seed)
        let values = Tensor.randomUniform([count] + shape, upper: 256, generator: &g).floats.map { $0.rounded(.down) }
        return Tensor(values, shape: [count] + shape)
    }

    /// Exports `spec` and compares onnxruntime's outputs with Nabla's on raw inputs.
    static func expectSameProbabilities(_ spec: String, inputShape: [Int], preprocess: Preprocessor.Method,
                                        classes: Int = 5) throws {
        let model = try model(spec, inputShape: inputShape, classes: classes)
        let raw = rawInputs(16, inputShape)
        let preprocessor = Preprocessor.fit(preprocess, scale: 1.0 / 255, on: raw)
        let names = (0..<classes).map { "class \($0)" }
        let onnx = try runInONNXRuntime(model, raw: raw, preprocessor: preprocessor, classNames: names)
        let expected = predictProbabilities(model, preprocessor.apply(raw))
        #expect(onnx.probabilities.shape == [16, classes])
        let difference = zip(onnx.probabilities.floats, expected.floats).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference <= 1e-5, "\(spec): probabilities differ by up to \(difference)")
        let logits = model(preprocessor.apply(raw))
        let logitDifference = zip(onnx.logits.floats, logits.floats).map { abs($0 - $1) }.max() ?? .infinity
        #expect(logitDifference <= 1e-4, "\(spec): logits differ by up to \(logitDifference)")
        #expect(onnx.metadata["class_names"] == "[" + names.map { "\"\($0)\"" }.joined(separator: ",") + "]")
        #expect(onnx.metadata["model"] == "test")
    }

    @Test func multilayerPerceptronWithStandardizedInputs() throws {
        try Self.expectSameProbabilities("linear(32), relu, linear(16), relu, linear(5)", inputShape: [20], preprocess: .standardize)
    }

    @Test func convolutionalNetworkWithBatchNormDropoutAndPooling() throws {
        try Self.expectSameProbabilities(
            "conv(4, 3, pad: 1), batchnorm, relu, maxpool(2), conv(6, 3, stride: 2, pad: 1), batchnorm, relu, "
                + "avgpool(3, stride: 1, pad: 1), maxpool(3, stride: 1, pad: 1), dropout(0.4), linear(12), batchnorm, relu, "
                + "dropout(0.2), linear(5)",
            inputShape: [3, 12, 12], preprocess: .channelMean)
    }

    /// Residual blocks (identity, strided 1×1 convolution and linear projections: `Add` nodes) and
    /// global average pooling (`GlobalAveragePool`, `Flatten`), on odd-sized images.
    @Test func residualNetworkWithGlobalAveragePooling() throws {
        try Self.expectSameProbabilities(
            "conv(4, 3, pad: 1), batchnorm, relu, residual(conv(4, 3, pad: 1), batchnorm, relu, conv(4, 3, pad: 1), batchnorm), relu, "
                + "residual(conv(6, 3, stride: 2, pad: 1), batchnorm, relu, dropout(0.3)), globalavgpool, residual(linear(8), relu, linear(5))",
            inputShape: [3, 9, 9], preprocess: .standardize)
    }

    /// Each activation between two dense layers, and the per-channel ones after a convolution.
    @Test(arguments: ["relu", "tanh", "sigmoid", "leakyrelu", "leakyrelu(0.2)", "elu", "elu(0.5)", "prelu",
                      "prelu(channels: 16)", "maxout(12)", "maxout(7, pieces: 3)"])
    func everyActivation(_ activation: String) throws {
        try Self.expectSameProbabilities("linear(16), \(activation), linear(5)", inputShape: [10], preprocess: .meanImage)
    }

    @Test(arguments: ["relu", "prelu(channels: 3)", "elu", "sigmoid", "tanh", "leakyrelu"])
    func activationsOnImages(_ activation: String) throws {
        try Self.expectSameProbabilities("conv(3, 3), \(activation), linear(5)", inputShape: [2, 6, 6], preprocess: .none)
    }

    @Test func layersWithoutAnONNXFormAreNamedInOneLine() throws {
        final class Doubler: Module {
            func callAsFunction(_ x: Variable) -> Variable { x * 2 }
            var description: String { "Doubler()" }
        }
        let model = Sequential(Linear(4, 3, seed: 1), Doubler(), Sequential(Doubler(), Linear(3, 2, seed: 2)))
        let message = (try? ONNXExport.serialize(model, inputShape: [4])).map { _ in "no error" }
            ?? { do { _ = try ONNXExport.serialize(model, inputShape: [4]); return "" } catch { return "\(error)" } }()
        #expect(message == "cannot export to ONNX: no ONNX form for Doubler() (exportable layers: "
                + ONNXExport.supportedLayers.joined(separator: ", ") + ")")
        #expect(!message.contains("\n"))
    }

    @Test func classNamesMustMatchTheOutputs() throws {
        let model = Sequential(Linear(4, 3, seed: 1))
        #expect(throws: ExportError("the model's output per example is [3], but there are 2 class names")) {
            try ONNXExport.serialize(model, inputShape: [4], classNames: ["a", "b"])
        }
        let preprocessor = Preprocessor.fit(.standardize, on: Tensor.zeros([2, 5]))
        #expect(throws: ExportError("the preprocessor was fitted on examples of shape [5], not [4]")) {
            try ONNXExport.serialize(model, inputShape: [4], preprocessor: preprocessor)
        }
    }
}
