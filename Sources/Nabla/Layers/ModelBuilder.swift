/// One row of a model summary: a layer, its output shape per example, its parameter count.
public struct LayerSummary: Equatable {
    public var layer: String
    public var outputShape: [Int]
    public var parameters: Int
}

extension ModelSpec {
    /// Builds the network for examples of `inputShape`, checking every layer's shape.
    ///
    /// - Parameters:
    ///   - inputShape: one example's shape, e.g. `[1, 28, 28]` or `[784]`.
    ///   - classCount: when given, the last layer must output this many scores.
    ///   - initializer: the weight initialization of linear, conv and maxout layers (else each layer's default).
    /// - Throws: `ModelSpecError` naming the layer and the shapes when a layer does not fit its input.
    public func build(inputShape: [Int], classCount: Int? = nil, initializer: Initializer? = nil,
                      dtype: DType = .float32, generator: inout RandomGenerator) throws -> (model: Sequential, summary: [LayerSummary]) {
        var shape = inputShape
        var modules: [any Module] = []
        var summary: [LayerSummary] = []
        func add(_ module: any Module, _ out: [Int]) {
            modules.append(module)
            summary.append(LayerSummary(layer: module.description, outputShape: out, parameters: module.parameterCount))
            shape = out
        }
        for layer in layers {
            func arg(_ name: String, _ fallback: Double? = nil) throws -> Double {
                let index = ModelSpec.catalog.first { $0.name == layer.name }!.parameters.firstIndex(of: name)!
                if let v = layer.named[name] { return v }
                if index < layer.positional.count { return layer.positional[index] }
                if let fallback { return fallback }
                throw fail(layer, "\(layer.name) needs its '\(name)' argument")
            }
            func int(_ name: String, _ fallback: Int? = nil, minimum: Int = 1) throws -> Int {
                let v = try arg(name, fallback.map(Double.init))
                guard v == v.rounded(), v >= Double(minimum), v < 1e9 else {
                    throw fail(layer, "\(layer.name): '\(name)' must be a whole number ≥ \(minimum), got \(Tensor.format(v))")
                }
                return Int(v)
            }
            func requireImages() throws -> (c: Int, h: Int, w: Int) {
                guard shape.count == 3 else {
                    throw fail(layer, "\(layer.name) needs images [C, H, W] per example, but its input is \(shape)")
                }
                return (shape[0], shape[1], shape[2])
            }
            func flattenIfNeeded() {
                if shape.count != 1 { add(Flatten(), [shape.reduce(1, *)]) }
            }
            switch layer.name {
            case "linear":
                flattenIfNeeded()
                add(Linear(shape[0], try int("out"), bias: try arg("bias", 1) != 0, initializer: initializer ?? .he,
                           dtype: dtype, generator: &generator), [try int("out")])
            case "maxout":
                flattenIfNeeded()
                add(Maxout(shape[0], try int("out"), pieces: try int("pieces", 2), initializer: initializer ?? .xavier,
                           dtype: dtype, generator: &generator), [try int("out")])
            case "conv":
                let (c, h, w) = try requireImages()
                let out = try int("out"), kernel = try int("kernel"), stride = try int("stride", 1), pad = try int("pad", 0, minimum: 0)
                let (ho, wo) = ((h + 2 * pad - kernel) / stride + 1, (w + 2 * pad - kernel) / stride + 1)
                guard h + 2 * pad >= kernel && w + 2 * pad >= kernel else {
                    throw fail(layer, "conv: a \(kernel)×\(kernel) kernel does not fit input \(shape) with padding \(pad)")
                }
                add(Conv2D(c, out, kernel: kernel, stride: stride, padding: pad, bias: try arg("bias", 1) != 0,
                           initializer: initializer ?? .he, dtype: dtype, generator: &generator), [out, ho, wo])
            case "maxpool", "avgpool":
                let (c, h, w) = try requireImages()
                let kernel = try int("kernel"), stride = try int("stride", kernel), pad = try int("pad", 0, minimum: 0)
                guard h + 2 * pad >= kernel && w + 2 * pad >= kernel else {
                    throw fail(layer, "\(layer.name): a \(kernel)×\(kernel) window does not fit input \(shape)")
                }
                guard pad * 2 <= kernel else { throw fail(layer, "\(layer.name): padding \(pad) is more than half the window \(kernel)") }
                let out = [c, (h + 2 * pad - kernel) / stride + 1, (w + 2 * pad - kernel) / stride + 1]
                add(layer.name == "maxpool" ? MaxPool2D(kernel: kernel, stride: stride, padding: pad) as any Module
                                            : AvgPool2D(kernel: kernel, stride: stride, padding: pad), out)
            case "flatten":
                add(Flatten(), [shape.reduce(1, *)])
            case "dropout":
                let p = try arg("p", 0.5)
                guard p >= 0 && p < 1 else { throw fail(layer, "dropout: p must be in [0, 1), got \(Tensor.format(p))") }
                add(Dropout(p, generator: &generator), shape)
            case "batchnorm":
                guard shape.count == 1 || shape.count == 3 else {
                    throw fail(layer, "batchnorm needs features [F] or images [C, H, W] per example, but its input is \(shape)")
                }
                let eps = try arg("eps", 1e-5), momentum = try arg("momentum", 0.1)
                guard eps > 0, momentum >= 0 && momentum <= 1 else {
                    throw fail(layer, "batchnorm: needs eps > 0 and momentum in [0, 1]")
                }
                add(BatchNorm(shape[0], epsilon: eps, momentum: momentum, dtype: dtype), shape)
            case "relu": add(ReLU(), shape)
            case "tanh": add(Tanh(), shape)
            case "sigmoid": add(Sigmoid(), shape)
            case "leakyrelu": add(LeakyReLU(slope: try arg("slope", 0.01)), shape)
            case "elu": add(ELU(alpha: try arg("alpha", 1)), shape)
            case "prelu":
                let channels = try int("channels", 1)
                guard channels == 1 || channels == shape.first else {
                    throw fail(layer, "prelu: \(channels) channels, but its input \(shape) has \(shape.first ?? 0)")
                }
                add(PReLU(channels: channels, dtype: dtype), shape)
            default:
                throw fail(layer, "unknown layer '\(layer.name)'")
            }
        }
        if let classCount, shape != [classCount] {
            throw ModelSpecError("the model's output per example is \(shape), but the data has \(classCount) classes: end with linear(\(classCount))",
                                 column: nil, text: source)
        }
        return (Sequential(modules), summary)
    }

    private func fail(_ layer: Layer, _ message: String) -> ModelSpecError {
        ModelSpecError(message, column: layer.column, text: source)
    }
}

/// A printable table of a model: layer, output shape, parameters, and the total.
public func formatSummary(_ rows: [LayerSummary], inputShape: [Int]) -> String {
    let header = ("Layer", "Output shape", "Parameters")
    let lines = [("Input", "\(inputShape)", "")] + rows.map { ($0.layer, "\($0.outputShape)", "\($0.parameters)") }
    let w0 = max(header.0.count, lines.map(\.0.count).max() ?? 0)
    let w1 = max(header.1.count, lines.map(\.1.count).max() ?? 0)
    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    var out = [pad(header.0, w0) + "  " + pad(header.1, w1) + "  " + header.2]
    out.append(String(repeating: "-", count: w0 + w1 + 4 + header.2.count + 2))
    // The input's row has no count: no trailing spaces for it.
    out += lines.map { $0.2.isEmpty ? pad($0.0, w0) + "  " + $0.1 : pad($0.0, w0) + "  " + pad($0.1, w1) + "  " + $0.2 }
    out.append("Total parameters: \(rows.reduce(0) { $0 + $1.parameters })")
    return out.joined(separator: "\n")
}
