/// One row of a model summary: a layer, its output shape per example, its parameter count.
public struct LayerSummary: Equatable {
    public var layer: String
    public var outputShape: [Int]
    /// The layer's parameters; a block's row counts those of the layers inside it.
    public var parameters: Int
    /// 0 for the model's own layers, 1 inside a block, 2 inside a block in a block, …
    public var depth: Int = 0
}

extension ModelSpec {
    /// Builds the network for examples of `inputShape`, checking every layer's shape and that the
    /// model fits in memory before any weight is allocated.
    ///
    /// - Parameters:
    ///   - inputShape: one example's shape, e.g. `[1, 28, 28]` or `[784]`.
    ///   - classCount: when given, the last layer must output this many scores.
    ///   - initializer: the weight initialization of linear, conv and maxout layers (else each layer's default).
    ///   - batchSize: the batch size the model will train on, for the memory check's activations.
    ///   - availableMemory: bytes the model may use; `nil` reads the system's (`SystemMemory.available()`).
    /// - Throws: `ModelSpecError` naming the layer when a layer does not fit its input, or when the
    ///   model does not fit in memory.
    public func build(inputShape: [Int], classCount: Int? = nil, initializer: Initializer? = nil,
                      dtype: DType = .float32, batchSize: Int = 1, availableMemory: Int? = nil,
                      generator: inout RandomGenerator) throws -> (model: Sequential, summary: [LayerSummary]) {
        let plan = try plan(inputShape: inputShape, classCount: classCount)
        try plan.checkMemory(batchSize: batchSize, dtype: dtype, available: availableMemory ?? SystemMemory.available())
        let modules = plan.layers.map { ModelSpec.module($0, initializer: initializer, dtype: dtype, generator: &generator) }
        return (Sequential(modules), plan.summary)
    }

    /// The module a planned layer describes, its weights drawn from `generator`.
    private static func module(_ layer: ModelPlan.Layer, initializer: Initializer?, dtype: DType,
                               generator: inout RandomGenerator) -> any Module {
        switch layer.kind {
        case let .linear(i, o, b):
            return Linear(i, o, bias: b, initializer: initializer ?? .he, dtype: dtype, generator: &generator)
        case let .maxout(i, o, p, b):
            return Maxout(i, o, pieces: p, bias: b, initializer: initializer ?? .xavier, dtype: dtype, generator: &generator)
        case let .conv(c, o, k, s, p, b):
            return Conv2D(c, o, kernel: k, stride: s, padding: p, bias: b, initializer: initializer ?? .he, dtype: dtype, generator: &generator)
        case let .maxPool(k, s, p): return MaxPool2D(kernel: k, stride: s, padding: p)
        case let .avgPool(k, s, p): return AvgPool2D(kernel: k, stride: s, padding: p)
        case .flatten: return Flatten()
        case .dropout(let p): return Dropout(p, generator: &generator)
        case let .batchNorm(f, eps, momentum): return BatchNorm(f, epsilon: eps, momentum: momentum, dtype: dtype)
        case .relu: return ReLU()
        case .tanh: return Tanh()
        case .sigmoid: return Sigmoid()
        case .leakyReLU(let slope): return LeakyReLU(slope: slope)
        case .elu(let alpha): return ELU(alpha: alpha)
        case .prelu(let channels): return PReLU(channels: channels, dtype: dtype)
        case .globalAvgPool: return GlobalAvgPool2D()
        case let .residual(body, projection):
            let layers = body.map { module($0, initializer: initializer, dtype: dtype, generator: &generator) }
            let skip = projection.map { module($0, initializer: initializer, dtype: dtype, generator: &generator) }
            return Residual(Sequential(layers), skip: skip)
        }
    }

    /// Resolves every layer against `inputShape`: arguments checked, output shapes and parameter
    /// counts computed, nothing allocated. `nabla summary` prints this; `build` instantiates it.
    ///
    /// - Throws: `ModelSpecError` naming the layer when an argument is out of range or a layer does
    ///   not fit its input, or when the output does not match `classCount`.
    public func plan(inputShape: [Int], classCount: Int? = nil) throws -> ModelPlan {
        let (planned, shape) = try plan(layers, at: [], inputShape: inputShape)
        if let classCount, shape != [classCount] {
            throw ModelSpecError("the model's output per example is \(shape), but the data has \(classCount) classes: end with linear(\(classCount))",
                                 column: nil, text: source)
        }
        return ModelPlan(inputShape: inputShape, layers: planned, spec: self)
    }

    /// Plans `layers` (the model's, or a block's body at `path`) on examples of `inputShape`.
    func plan(_ layers: [Layer], at path: [Int], inputShape: [Int]) throws -> (layers: [ModelPlan.Layer], outputShape: [Int]) {
        var shape = inputShape
        var planned: [ModelPlan.Layer] = []
        for (index, layer) in layers.enumerated() {
            func add(_ kind: ModelPlan.Layer.Kind, _ out: [Int], parameters: Int = 0) {
                planned.append(ModelPlan.Layer(kind: kind, inputShape: shape, outputShape: out, parameters: parameters, specPath: path + [index]))
                shape = out
            }
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
            // `linear(10, 5)` reads as "10 inputs, 5 outputs" to a PyTorch user: a bias that is not
            // 0 or 1 is a mistake to point out, not a truthy value.
            func flag(_ name: String) throws -> Bool {
                let v = try arg(name, 1)
                guard v == 0 || v == 1 else {
                    throw fail(layer, "\(layer.name): '\(name)' must be true or false (1 or 0), got \(Tensor.format(v)); "
                                + "the input size is not written, it follows from the data")
                }
                return v == 1
            }
            func requireImages() throws -> (c: Int, h: Int, w: Int) {
                guard shape.count == 3 else {
                    throw fail(layer, "\(layer.name) needs images [C, H, W] per example, but its input is \(shape)")
                }
                return (shape[0], shape[1], shape[2])
            }
            func flattenIfNeeded() {
                if shape.count != 1 { add(.flatten, [saturatingProduct(shape)]) }
            }
            switch layer.name {
            case "linear":
                flattenIfNeeded()
                let out = try int("out"), bias = try flag("bias")
                add(.linear(input: shape[0], output: out, bias: bias), [out],
                    parameters: saturatingSum([saturatingProduct([shape[0], out]), bias ? out : 0]))
            case "maxout":
                flattenIfNeeded()
                let out = try int("out"), pieces = try int("pieces", 2)
                add(.maxout(input: shape[0], output: out, pieces: pieces, bias: true), [out],
                    parameters: saturatingSum([saturatingProduct([shape[0], out, pieces]), saturatingProduct([out, pieces])]))
            case "conv":
                let (c, h, w) = try requireImages()
                let out = try int("out"), kernel = try int("kernel"), stride = try int("stride", 1), pad = try int("pad", 0, minimum: 0)
                let bias = try flag("bias")
                guard h + 2 * pad >= kernel && w + 2 * pad >= kernel else {
                    throw fail(layer, "conv: a \(kernel)×\(kernel) kernel does not fit input \(shape) with padding \(pad)")
                }
                let (ho, wo) = ((h + 2 * pad - kernel) / stride + 1, (w + 2 * pad - kernel) / stride + 1)
                add(.conv(inputChannels: c, outputChannels: out, kernel: kernel, stride: stride, padding: pad, bias: bias), [out, ho, wo],
                    parameters: saturatingSum([saturatingProduct([out, c, kernel, kernel]), bias ? out : 0]))
            case "maxpool", "avgpool":
                let (c, h, w) = try requireImages()
                let kernel = try int("kernel"), stride = try int("stride", kernel), pad = try int("pad", 0, minimum: 0)
                guard h + 2 * pad >= kernel && w + 2 * pad >= kernel else {
                    throw fail(layer, "\(layer.name): a \(kernel)×\(kernel) window does not fit input \(shape)")
                }
                guard pad * 2 <= kernel else { throw fail(layer, "\(layer.name): padding \(pad) is more than half the window \(kernel)") }
                let out = [c, (h + 2 * pad - kernel) / stride + 1, (w + 2 * pad - kernel) / stride + 1]
                add(layer.name == "maxpool" ? .maxPool(kernel: kernel, stride: stride, padding: pad)
                                            : .avgPool(kernel: kernel, stride: stride, padding: pad), out)
            case "flatten":
                add(.flatten, [saturatingProduct(shape)])
            case "dropout":
                let p = try arg("p", 0.5)
                guard p >= 0 && p < 1 else { throw fail(layer, "dropout: p must be in [0, 1), got \(Tensor.format(p))") }
                add(.dropout(p), shape)
            case "batchnorm":
                guard shape.count == 1 || shape.count == 3 else {
                    throw fail(layer, "batchnorm needs features [F] or images [C, H, W] per example, but its input is \(shape)")
                }
                let eps = try arg("eps", 1e-5), momentum = try arg("momentum", 0.1)
                guard eps > 0, momentum >= 0 && momentum <= 1 else {
                    throw fail(layer, "batchnorm: needs eps > 0 and momentum in [0, 1]")
                }
                add(.batchNorm(features: shape[0], epsilon: eps, momentum: momentum), shape, parameters: 2 * shape[0])
            case "relu": add(.relu, shape)
            case "tanh": add(.tanh, shape)
            case "sigmoid": add(.sigmoid, shape)
            case "leakyrelu":
                let slope = try arg("slope", 0.01)
                guard slope >= 0 && slope < 1 else { throw fail(layer, "leakyrelu: slope must be in [0, 1), got \(Tensor.format(slope))") }
                add(.leakyReLU(slope), shape)
            case "elu":
                let alpha = try arg("alpha", 1)
                guard alpha > 0 else { throw fail(layer, "elu: alpha must be > 0, got \(Tensor.format(alpha))") }
                add(.elu(alpha), shape)
            case "prelu":
                let channels = try int("channels", 1)
                guard channels == 1 || channels == shape.first else {
                    throw fail(layer, "prelu: \(channels) channels, but its input \(shape) has \(shape.first ?? 0)")
                }
                add(.prelu(channels: channels), shape, parameters: channels)
            case "globalavgpool":
                let (c, _, _) = try requireImages()
                add(.globalAvgPool, [c])
            case "residual":
                let (body, out) = try plan(layer.body, at: path + [index], inputShape: shape)
                let projection = try residualProjection(layer, at: path + [index], from: shape, to: out)
                add(.residual(body: body, projection: projection), out,
                    parameters: saturatingSum(body.map(\.parameters) + [projection?.parameters ?? 0]))
            default:
                throw fail(layer, "unknown layer '\(layer.name)'")
            }
        }
        return (planned, shape)
    }

    func fail(_ layer: Layer, _ message: String) -> ModelSpecError {
        ModelSpecError(message, column: layer.column, text: source)
    }
}

/// A printable table of a model: layer, output shape, parameters, and the total.
public func formatSummary(_ rows: [LayerSummary], inputShape: [Int]) -> String {
    let header = ("Layer", "Output shape", "Parameters")
    let lines = [("Input", "\(inputShape)", "")]
        + rows.map { (String(repeating: "  ", count: $0.depth) + $0.layer, "\($0.outputShape)", "\($0.parameters)") }
    let w0 = max(header.0.count, lines.map(\.0.count).max() ?? 0)
    let w1 = max(header.1.count, lines.map(\.1.count).max() ?? 0)
    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    var out = [pad(header.0, w0) + "  " + pad(header.1, w1) + "  " + header.2]
    out.append(String(repeating: "-", count: w0 + w1 + 4 + header.2.count + 2))
    // The input's row has no count: no trailing spaces for it.
    out += lines.map { $0.2.isEmpty ? pad($0.0, w0) + "  " + $0.1 : pad($0.0, w0) + "  " + pad($0.1, w1) + "  " + $0.2 }
    // A block's row already counts the rows inside it.
    out.append("Total parameters: \(rows.filter { $0.depth == 0 }.reduce(0) { $0 + $1.parameters })")
    return out.joined(separator: "\n")
}
