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
        }

        public var kind: Kind
        public var inputShape: [Int]
        /// The output shape per example.
        public var outputShape: [Int]
        public var parameters: Int
        /// The layer of the spec it comes from (a flatten inserted before `linear` shares its index).
        public var specIndex: Int

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
    }

    public var inputShape: [Int]
    public var layers: [Layer]
    /// The spec the plan was made from, for error messages.
    public var spec: ModelSpec

    /// The output shape per example of the whole model.
    public var outputShape: [Int] { layers.last?.outputShape ?? inputShape }
    /// The number of trainable parameters (saturating at `Int.max` rather than overflowing).
    public var parameterCount: Int { saturatingSum(layers.map(\.parameters)) }
    /// The rows of `formatSummary`.
    public var summary: [LayerSummary] {
        layers.map { LayerSummary(layer: $0.description, outputShape: $0.outputShape, parameters: $0.parameters) }
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
