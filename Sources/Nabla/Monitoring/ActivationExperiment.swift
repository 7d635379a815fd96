import Foundation

/// The lectures' activation-statistics experiment (CS231n): 1,000 unit-Gaussian 500-dimensional
/// inputs through 10 layers of 500 units without biases, weights `randn(500, 500) · scale`, all tanh
/// or all ReLU, and the mean and standard deviation of every layer's output.
///
/// What it shows:
/// - scale 0.01: activations collapse towards zero layer by layer (tanh: std ×≈0.22 per layer);
/// - scale 1.0: tanh saturates at ±1 (std ≈ 0.98), and its gradients vanish;
/// - Xavier (`1 / sqrt(fanIn)`): tanh stays healthy (std decays slowly), ReLU decays (std ×≈0.71 per layer);
/// - He (`sqrt(2 / fanIn)`): ReLU keeps a constant std (≈ 0.8).
///
/// ```swift
/// let result = ActivationExperiment(nonlinearity: .tanh, weightScale: .xavier).run()
/// print(ActivationExperiment.report(result))   // input layer had mean 0.000927 and std 0.998388 …
/// ```
public struct ActivationExperiment {
    /// The nonlinearity of every layer.
    public enum Nonlinearity: String, CaseIterable, Sendable {
        case tanh, relu
    }

    /// How the weights are scaled.
    public enum WeightScale: Equatable, Sendable, CustomStringConvertible {
        /// `randn · scale` (the lectures' 0.01 and 1.0).
        case fixed(Double)
        /// `randn / sqrt(fanIn)`.
        case xavier
        /// `randn · sqrt(2 / fanIn)`.
        case he

        /// The four settings of the lectures, in their order.
        public static let lectureCases: [WeightScale] = [.fixed(0.01), .fixed(1.0), .xavier, .he]

        /// Parses `0.01`, `1.0` (any positive number), `xavier` or `he`.
        public init?(_ text: String) {
            switch text.lowercased() {
            case "xavier", "glorot": self = .xavier
            case "he", "kaiming": self = .he
            default:
                guard let scale = Double(text), scale > 0, scale.isFinite else { return nil }
                self = .fixed(scale)
            }
        }

        /// The matching weight initializer.
        public var initializer: Initializer {
            switch self {
            case .fixed(let scale): return .gaussian(scale: scale)
            case .xavier: return .xavier
            case .he: return .he
            }
        }

        public var description: String {
            switch self {
            case .fixed(let scale): return scale == 1 ? "1.0" : Axis.compact(scale)
            case .xavier: return "xavier"
            case .he: return "he"
            }
        }
    }

    /// What one run measured.
    public struct Result {
        /// The statistics of the input data.
        public var input: ActivationStatistics
        /// The statistics of each hidden layer's output (after its nonlinearity).
        public var hidden: [ActivationStatistics]
    }

    /// The nonlinearity of every layer.
    public var nonlinearity: Nonlinearity
    /// How the weights are drawn.
    public var weightScale: WeightScale
    /// Hidden layers (10 in the lectures).
    public var layerCount: Int
    /// Units per layer, and input dimensions (500).
    public var units: Int
    /// Rows of the input batch (1,000).
    public var examples: Int
    /// Seeds the input data and then the weights.
    public var seed: UInt64

    /// The experiment with the lectures' sizes unless others are given.
    public init(nonlinearity: Nonlinearity, weightScale: WeightScale, layerCount: Int = 10, units: Int = 500,
                examples: Int = 1000, seed: UInt64 = 1) {
        precondition(layerCount >= 1 && units >= 1 && examples >= 1, "ActivationExperiment: sizes must be positive")
        self.nonlinearity = nonlinearity; self.weightScale = weightScale; self.layerCount = layerCount
        self.units = units; self.examples = examples; self.seed = seed
    }

    /// The histogram range shared by all layers: `-1…1` for tanh (as in the lectures), `0…3` for ReLU.
    public var histogramRange: ClosedRange<Double> { nonlinearity == .tanh ? -1...1 : 0...3 }

    /// The network: `layerCount` times a bias-free `Linear(units => units)` and the nonlinearity.
    public func network(generator: inout RandomGenerator) -> Sequential {
        let model = Sequential([])
        for _ in 0..<layerCount {
            model.append(Linear(units, units, bias: false, initializer: weightScale.initializer, generator: &generator))
            model.append(nonlinearity == .tanh ? Tanh() as any Module : ReLU())
        }
        return model
    }

    /// Draws the input `randn(examples, units)` and the weights, runs the batch, and measures every
    /// hidden layer after its nonlinearity.
    public func run(bins: Int = 30) -> Result {
        var generator = RandomGenerator(seed: seed)
        let input = Tensor.randomNormal([examples, units], generator: &generator)
        let model = network(generator: &generator)
        // The layers alternate Linear and nonlinearity; a hidden layer's output is its nonlinearity's.
        var hidden: [ActivationStatistics] = [], x = input
        for (i, layer) in model.layers.enumerated() {
            x = layer(x)
            if i % 2 == 1 {
                hidden.append(ActivationStatistics(name: "hidden layer \(i / 2 + 1)", values: x, bins: bins, histogramRange: histogramRange))
            }
        }
        // The input (unit Gaussian) gets a histogram of its own range.
        return Result(input: ActivationStatistics(name: "input layer", values: input, bins: bins), hidden: hidden)
    }

    /// The lectures' printout: `input layer had mean %f and std %f`, then one line per hidden layer.
    public static func report(_ result: Result) -> String {
        var lines = [String(format: "input layer had mean %f and std %f", result.input.mean, result.input.standardDeviation)]
        for (i, h) in result.hidden.enumerated() {
            lines.append(String(format: "hidden layer %d had mean %f and std %f", i + 1, h.mean, h.standardDeviation))
        }
        return lines.joined(separator: "\n")
    }
}
