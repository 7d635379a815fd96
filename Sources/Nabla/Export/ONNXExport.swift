import Foundation

/// Writes a trained classifier as an ONNX model (opset 17, IR version 8) that onnxruntime,
/// Netron and other ONNX tools read.
///
/// The graph computes what `predictProbabilities` computes on preprocessed inputs, in evaluation
/// mode (dropout is left out, batch norm uses its running statistics), in 32-bit floats:
///
/// - input `input`: raw examples `[N, …inputShape]`, as the data files hold them (pixel values
///   0–255 for image data): the preprocessor's scale, mean and standard deviation are the
///   graph's first nodes (`Mul`, `Sub`, `Div`);
/// - output `probabilities`: `[N, classes]`, the softmax of the scores;
/// - output `logits`: `[N, classes]`, the scores themselves.
///
/// Layers map onto ONNX operators one to one (`Linear` → `Gemm`, `Conv2D` → `Conv`, `BatchNorm` →
/// `BatchNormalization`, `MaxPool2D` → `MaxPool`, …), except `Maxout` (`Gemm`, `Reshape`,
/// `ReduceMax`), `GlobalAvgPool2D` (`GlobalAveragePool`, `Flatten`), `Residual` (its body, its
/// projection, then `Add`) and `Dropout` (no node). The model's metadata holds the class names as a JSON
/// array under `class_names`, a description of the input under `input`, and `metadata`'s entries.
///
/// ```swift
/// try ONNXExport.write(model, inputShape: [1, 28, 28], preprocessor: preprocessor,
///                      classNames: (0..<10).map(String.init), to: "mnist.onnx")
/// ```
public enum ONNXExport {
    /// The layer types that have an ONNX form.
    public static let supportedLayers = ["Linear", "Conv2D", "MaxPool2D", "AvgPool2D", "Flatten", "Dropout", "BatchNorm",
                                         "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "PReLU", "Maxout", "Softmax",
                                         "LogSoftmax", "GlobalAvgPool2D", "Residual", "Sequential"]

    /// The `.onnx` file's bytes for `model`.
    ///
    /// - Parameters:
    ///   - model: a `Sequential` of supported layers (or one supported layer).
    ///   - inputShape: one raw example's shape, e.g. `[1, 28, 28]`.
    ///   - preprocessor: the normalization fitted on the training data, applied first; nil for none.
    ///   - classNames: one per output score; empty to skip the check and the metadata entry.
    ///   - metadata: more `metadata_props` entries (the run folder, the model spec).
    /// - Throws: `ExportError` naming every layer without an ONNX form, or when the shapes do not fit.
    public static func serialize(_ model: any Module, inputShape: [Int], preprocessor: Preprocessor? = nil,
                                 classNames: [String] = [], metadata: [String: String] = [:]) throws -> [UInt8] {
        let unsupported = unsupportedLayers(in: model)
        guard unsupported.isEmpty else {
            throw ExportError("cannot export to ONNX: no ONNX form for \(unsupported.joined(separator: ", ")) "
                              + "(exportable layers: \(supportedLayers.joined(separator: ", ")))")
        }
        if let preprocessor, preprocessor.exampleShape != inputShape {
            throw ExportError("the preprocessor was fitted on examples of shape \(preprocessor.exampleShape), not \(inputShape)")
        }
        var graph = ONNXGraphBuilder()
        for name in ["input", "probabilities", "logits"] { graph.reserve(name) }
        var x = "input"
        if let preprocessor { x = addPreprocessing(preprocessor, input: x, to: &graph) }
        let (scores, outShape) = (model as! any ONNXExportable).exportONNX(x, shape: inputShape, path: "", to: &graph)
        if !classNames.isEmpty && outShape != [classNames.count] {
            throw ExportError("the model's output per example is \(outShape), but there are \(classNames.count) class names")
        }
        guard outShape.count == 1 else {
            throw ExportError("the model's output per example is \(outShape): a classifier's scores must be one vector per example")
        }
        graph.node("Identity", [scores], name: "logits", output: "logits")
        graph.node("Softmax", ["logits"], name: "probabilities", attributes: [("axis", .int(1))], output: "probabilities")

        let batch = ONNXProto.Dimension.named("N")
        let output = [batch, .fixed(outShape[0])]
        var entries: [(key: String, value: String)] = []
        if !classNames.isEmpty {
            let json = try JSONEncoder().encode(classNames)
            entries.append(("class_names", String(decoding: json, as: UTF8.self)))
        }
        entries.append(("input", inputDescription(inputShape, preprocessor)))
        entries += metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let onnx = ONNXProto.Model(
            graphName: "nabla",
            documentation: "A Nabla classifier: raw inputs [N, \(inputShape.map(String.init).joined(separator: ", "))] "
                + "to class probabilities and logits [N, \(outShape[0])]",
            nodes: graph.nodes, initializers: graph.initializers,
            inputs: [ONNXProto.ValueInfo(name: "input", dataType: .float, shape: [batch] + inputShape.map { .fixed($0) })],
            outputs: [ONNXProto.ValueInfo(name: "probabilities", dataType: .float, shape: output),
                      ONNXProto.ValueInfo(name: "logits", dataType: .float, shape: output)],
            metadata: entries, producerVersion: "1")
        return onnx.serialized()
    }

    /// Writes `serialize(…)`'s bytes to `path` atomically.
    public static func write(_ model: any Module, inputShape: [Int], preprocessor: Preprocessor? = nil,
                             classNames: [String] = [], metadata: [String: String] = [:], to path: String) throws {
        let bytes = try serialize(model, inputShape: inputShape, preprocessor: preprocessor,
                                  classNames: classNames, metadata: metadata)
        try AtomicFile.write(bytes, to: path)
    }

    /// The descriptions of the layers (at any depth) that have no ONNX form, each once.
    static func unsupportedLayers(in model: any Module) -> [String] {
        var found: [String] = []
        func visit(_ module: any Module) {
            if module is Sequential || module is Residual {
                module.children.forEach { visit($0.module) }
            } else if !(module is any ONNXExportable) {
                let name = module.description.split(separator: "\n").first.map(String.init) ?? "\(type(of: module))"
                if !found.contains(name) { found.append(name) }
            }
        }
        visit(model)
        return found
    }

    /// `x · scale`, then `- mean` and `/ std` shaped as `Preprocessor.apply` broadcasts them.
    private static func addPreprocessing(_ p: Preprocessor, input: String, to graph: inout ONNXGraphBuilder) -> String {
        var x = input
        if p.scale != 1 {
            x = graph.node("Mul", [x, graph.constant("preprocess.scale", [Float(p.scale)], shape: [1])], name: "preprocess_scaled")
        }
        let statShape: [Int]
        switch p.method {
        case .none: return x
        case .channelMean: statShape = [p.exampleShape[0], 1, 1]
        case .meanImage, .standardize: statShape = p.exampleShape
        }
        x = graph.node("Sub", [x, graph.constant("preprocess.mean", p.mean, shape: statShape)], name: "preprocess_centered")
        if p.method == .standardize {
            x = graph.node("Div", [x, graph.constant("preprocess.std", p.standardDeviation, shape: statShape)],
                           name: "preprocess_standardized")
        }
        return x
    }

    private static func inputDescription(_ shape: [Int], _ p: Preprocessor?) -> String {
        let dims = "[N, " + shape.map(String.init).joined(separator: ", ") + "]"
        guard let p, p.scale != 1 || p.method != .none else { return "\(dims) float32, as the model takes it" }
        let steps = (p.scale != 1 ? ["multiplied by \(p.scale)"] : []) + (p.method != .none ? [p.method.rawValue] : [])
        return "\(dims) float32, raw values as in the training data; the graph's first nodes preprocess them ("
            + steps.joined(separator: ", then ") + ")"
    }
}

/// A model that cannot be exported as asked.
public struct ExportError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
