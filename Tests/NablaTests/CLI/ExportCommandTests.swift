import Foundation
import Testing
@testable import Nabla

/// `nabla export` on a CNN run trained for one epoch: onnxruntime gives the probabilities that
/// `nabla predict` prints, on the same raw digits. Needs python3 with onnx and onnxruntime
/// (scripts/ensure-python-deps.sh, run by make test).
@Suite struct ExportCommandTests {
    static func nabla(_ arguments: String...) throws -> GradCommandTests.Run { try GradCommandTests.run(arguments) }

    @Test func exportedCNNGivesPredictsProbabilities() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-export-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let train = try Self.nabla("train", "--data", "mnist-5k", "--model",
                                   "conv(4, 3, pad: 1), batchnorm, relu, maxpool(2), dropout(0.25), linear(10)",
                                   "--epochs", "1", "--lr", "0.05", "--seed", "3", "--quiet", "--out", folder + "/run")
        try #require(train.status == 0, "\(train.stderr)")

        let export = try Self.nabla("export", folder + "/run", folder + "/model.onnx")
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.hasPrefix("wrote \(folder)/model.onnx ("))
        #expect(export.stdout.hasSuffix(" bytes, ONNX opset 17): input [N, 1, 28, 28] raw values, outputs probabilities and logits [N, 10]\n"))

        let digits = try EvaluatePredictCommandTests.digits(12)
        try NPY.write(digits.features, to: folder + "/digits.npy")
        let predict = try Self.nabla("predict", folder + "/run", folder + "/digits.npy", "--json")
        try #require(predict.status == 0, "\(predict.stderr)")
        struct Document: Decodable {
            struct Prediction: Decodable { var probabilities: [Double] }
            var classes: [String]
            var predictions: [Prediction]
        }
        let document = try JSONDecoder().decode(Document.self, from: Data(predict.stdout.utf8))

        let python = try SafetensorsInteropTests.python("""
            import sys, json, numpy as np, onnxruntime as ort
            session = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])
            (p,) = session.run(['probabilities'], {'input': np.load(sys.argv[2])})
            meta = session.get_modelmeta().custom_metadata_map
            print(json.dumps({'probabilities': p.tolist(), 'classes': json.loads(meta['class_names']), 'model': meta['model']}))
            """, [folder + "/model.onnx", folder + "/digits.npy"], in: folder)
        try #require(python.status == 0, "python3 with onnxruntime failed (scripts/ensure-python-deps.sh installs it): \(python.errors)")
        struct ONNXOutput: Decodable {
            var probabilities: [[Double]]
            var classes: [String]
            var model: String
        }
        let onnx = try JSONDecoder().decode(ONNXOutput.self, from: Data(python.output.utf8))
        #expect(onnx.classes == document.classes)
        #expect(onnx.model == "conv(4, 3, pad: 1), batchnorm, relu, maxpool(2), dropout(0.25), linear(10)")
        #expect(onnx.probabilities.count == 12)
        let difference = zip(onnx.probabilities, document.predictions).flatMap { zip($0, $1.probabilities).map { abs($0 - $1) } }.max()
        #expect(difference.map { $0 <= 1e-5 } == true, "largest difference \(String(describing: difference))")
    }

    @Test func missingRunIsOneLine() throws {
        let run = try Self.nabla("export", "/nonexistent/run", "/tmp/x.onnx")
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: /nonexistent/run is not a run folder"))
        #expect(run.stderr.filter { $0 == "\n" }.count == 1)
    }
}
