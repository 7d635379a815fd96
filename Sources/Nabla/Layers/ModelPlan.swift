/// A model spec resolved against an input shape, before any weight exists: every layer's arguments
/// checked, its output shape per example and its parameter count. `ModelSpec.build` instantiates a
/// plan; `nabla summary` prints one; `memoryEstimate` says whether building it would fit.
public struct ModelPlan: Equatable {
    /// One layer of the plan.
    public struct Layer: Equatable {
        /// What the layer will be, with every argument resolved.
        public enum Kind: Equatable {
            case linear(input: Int, output: Int, bias: Bool)
            case maxout(input: Int, output: Int, pieces: Int, bias: Bool)
            case conv(inputChannels: Int, outputChannels: Int, kernel: Int, stride: Int, padding: Int, bias: Bool)
            case maxPool(kernel: Int, stride: Int, padding: Int)
            case avgPool(kernel: Int, stride: Int, padding: Int)
            case flatten, relu, tanh, sigmoid
            case dropout(Double)
            case batchNorm(features: Int, epsilon: Double, momentum: Double)
            case leakyReLU(Double)
            case elu(Double)
            case prelu(channels: Int)
            case globalAvgPool
            /// A block whose input is added to its body's output: through `projection` (a 1×1
            /// convolution or a linear layer) when the shapes differ, as it is otherwise.
            indirect case residual(body: [Layer], projection: Layer?)
        }

        public var kind: Kind
        public var inputShape: [Int]
        /// The output shape per example.
        public var outputShape: [Int]
        /// Trainable scalars, a block's body and projection included.
        public var parameters: Int
        /// Where the layer of the spec it comes from is: its index in the model, then in each
        /// block around it (`[3, 0]`: the first layer inside the model's fourth). A flatten
        /// inserted before `linear`, and a block's projection, share the path of the layer they serve.
        public var specPath: [Int]
        /// The layer of the spec it comes from, counted within its block.
        public var specIndex: Int { specPath.last ?? 0 }

        /// The built module's description, e.g. `Linear(784 => 100)`.
        public var description: String {
            func bias(_ b: Bool) -> String { b ? "" : ", bias: false" }
            switch kind {
            case let .linear(i, o, b): return "Linear(\(i) => \(o)\(bias(b)))"
            case let .maxout(i, o, p, b): return "Maxout(\(i) => \(o), pieces: \(p)\(bias(b)))"
            case let .conv(c, o, k, s, p, b):
                return "Conv2D(\(c) => \(o), kernel: \(k), stride: \(s), padding: \(p)" + (b ? ")" : ", bias: false)")
            case let .maxPool(k, s, p): return MaxPool2D(kernel: k, stride: s, padding: p).description
            case let .avgPool(k, s, p): return AvgPool2D(kernel: k, stride: s, padding: p).description
            case .flatten: return Flatten().description
            case .relu: return ReLU().description
            case .tanh: return Tanh().description
            case .sigmoid: return Sigmoid().description
            case .dropout(let p): return Dropout(p, seed: 0).description
            case let .batchNorm(f, eps, momentum):
                return "BatchNorm(\(f)" + (eps == 1e-5 ? "" : ", epsilon: \(eps)") + (momentum == 0.1 ? "" : ", momentum: \(momentum)") + ")"
            case .leakyReLU(let slope): return LeakyReLU(slope: slope).description
            case .elu(let alpha): return ELU(alpha: alpha).description
            case .prelu(let channels): return channels == 1 ? "PReLU()" : "PReLU(channels: \(channels))"
            case .globalAvgPool: return GlobalAvgPool2D().description
            case let .residual(body, projection): return Residual.shortDescription(layers: body.count, projected: projection != nil)
            }
        }

        /// Numbers a forward and backward pass keeps per example besides the output and its
        /// gradient: maxout's pieces before the maximum, a convolution's unfolded input (im2col).
        var workspacePerExample: Int {
            switch kind {
            case let .maxout(_, o, p, _): return saturatingProduct([2, o, p])
            case let .conv(c, _, k, _, _, _): return saturatingProduct([c, k, k] + outputShape.dropFirst())
            default: return 0
            }
        }

        /// This layer, then for a block every layer inside it and its projection, depth first.
        var withNested: [Layer] {
            guard case let .residual(body, projection) = kind else { return [self] }
            return [self] + body.flatMap(\.withNested) + (projection.map { [$0] } ?? [])
        }

        /// The parameters that are this layer's own, not those of the layers inside a block.
        var ownParameters: Int {
            if case .residual = kind { return 0 }
            return parameters
        }
    }

    public var inputShape: [Int]
    public var layers: [Layer]
    /// The spec the plan was made from, for error messages.
    public var spec: ModelSpec

    /// The output shape per example of the whole model.
    public var outputShape: [Int] { layers.last?.outputShape ?? inputShape }
    /// The number of trainable parameters (saturating at `Int.max` rather than overflowing).
    public var parameterCount: Int { saturatingSum(layers.map(\.parameters)) }
    /// Every layer at any depth, blocks before their body and projection.
    var allLayers: [Layer] { layers.flatMap(\.withNested) }

    /// The rows of `formatSummary`: a block's row (with its body's and projection's parameters)
    /// is followed by its body's rows and a row for its skip path, one level deeper.
    public var summary: [LayerSummary] { ModelPlan.rows(layers, depth: 0) }

    private static func rows(_ layers: [Layer], depth: Int) -> [LayerSummary] {
        layers.flatMap { layer -> [LayerSummary] in
            let row = LayerSummary(layer: layer.description, outputShape: layer.outputShape, parameters: layer.parameters, depth: depth)
            guard case let .residual(body, projection) = layer.kind else { return [row] }
            let skip = projection.map {
                LayerSummary(layer: "skip: " + $0.description, outputShape: $0.outputShape, parameters: $0.parameters, depth: depth + 1)
            } ?? LayerSummary(layer: "skip: identity", outputShape: layer.inputShape, parameters: 0, depth: depth + 1)
            return [row] + rows(body, depth: depth + 1) + [skip]
        }
    }
}

/// `a * b * …`, or `Int.max` when that overflows: sizes of absurd models must compare as huge, not trap.
func saturatingProduct<S: Sequence>(_ factors: S) -> Int where S.Element == Int {
    var result = 1
    for f in factors {
        let (p, overflow) = result.multipliedReportingOverflow(by: f)
        if overflow { return Int.max }
        result = p
    }
    return result
}

/// `a + b + …`, or `Int.max` when that overflows.
func saturatingSum<S: Sequence>(_ terms: S) -> Int where S.Element == Int {
    var result = 0
    for t in terms {
        let (s, overflow) = result.addingReportingOverflow(t)
        if overflow { return Int.max }
        result = s
    }
    return result
}
