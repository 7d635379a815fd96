import ArgumentParser
import Foundation
import Nabla

/// `nabla export`: a trained run as an ONNX model that takes raw inputs.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained run's model as an ONNX file.",
        discussion: """
        The ONNX graph (opset 17) computes what nabla predict computes: its input `input` takes \
        raw examples [N, …] as the data files hold them (pixel values 0–255 for image runs), the \
        run's preprocessing (scale, mean, standard deviation) being the graph's first nodes; its \
        outputs are `probabilities` and `logits`, [N, classes]. The model is in evaluation mode \
        (no dropout; batch norm with its running statistics). The class names are in the model's \
        metadata (`class_names`, a JSON array).

        Example:
          nabla export runs/mnist mnist.onnx
          python3 -c "import onnxruntime as ort; s = ort.InferenceSession('mnist.onnx'); print(s.get_modelmeta().custom_metadata_map)"
        """
    )

    @Argument(help: ArgumentHelp("The run folder (made by nabla train --out DIR).", valueName: "run"))
    var folder: String

    @Argument(help: ArgumentHelp("The ONNX file to write.", valueName: "model.onnx"))
    var output: String

    @Option(help: "The weights file in the run folder.")
    var weights: String = "best.safetensors"

    func run() throws {
        try reportingErrors(export)
    }

    private func export() throws {
        let trained = try TrainedRun.load(folder, weights: weights)
        let config = trained.config
        try ONNXExport.write(trained.model, inputShape: config.inputShape, preprocessor: config.preprocessor,
                             classNames: config.classNames,
                             metadata: ["model": config.model, "run": folder, "weights": weights], to: output)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        let dims = config.inputShape.map(String.init).joined(separator: ", ")
        print("wrote \(output) (\(size) bytes, ONNX opset 17): input [N, \(dims)] raw values, "
              + "outputs probabilities and logits [N, \(config.classNames.count)]")
    }
}
