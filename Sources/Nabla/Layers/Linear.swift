/// A fully-connected layer `y = x · Wᵀ + b`, with the weight stored `[out, in]` as in PyTorch.
///
/// Default initialization: He (`randn · sqrt(2 / in)`) for the weight, zeros for the bias.
public final class Linear: Module {
    /// `[outputSize, inputSize]`.
    public let weight: Variable
    /// `[outputSize]`, or nil without a bias.
    public let bias: Variable?

    public let inputSize: Int
    public let outputSize: Int

    /// - Parameters:
    ///   - inputSize: features per input row.
    ///   - outputSize: features per output row.
    ///   - bias: whether to add a learned bias.
    ///   - initializer: how the weight is drawn (fan-in is `inputSize`).
    ///   - generator: the random source, for reproducible weights.
    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, initializer: Initializer = .he,
                dtype: DType = .float32, generator: inout RandomGenerator) {
        precondition(inputSize > 0 && outputSize > 0, "Linear: sizes must be positive, got \(inputSize) => \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Variable(initializer.make([outputSize, inputSize], fanIn: inputSize, fanOut: outputSize,
                                           dtype: dtype, generator: &generator), requiresGrad: true)
        self.bias = bias ? Variable(.zeros([outputSize], dtype: dtype), requiresGrad: true) : nil
    }

    /// A linear layer with weights from a fixed seed (0 unless given).
    public convenience init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, initializer: Initializer = .he,
                            dtype: DType = .float32, seed: UInt64 = 0) {
        var g = RandomGenerator(seed: seed)
        self.init(inputSize, outputSize, bias: bias, initializer: initializer, dtype: dtype, generator: &g)
    }

    public func callAsFunction(_ x: Variable) -> Variable { callAsFunction(x, relu: false) }

    /// The layer, followed by a ReLU when `relu` is set, as one op (`linear(_:weight:bias:relu:)`).
    public func callAsFunction(_ x: Variable, relu: Bool) -> Variable {
        precondition(x.shape.last == inputSize,
                     "Linear(\(inputSize) => \(outputSize)): input of shape \(x.shape) does not have \(inputSize) features")
        return linear(x.shape.count == 2 ? x : x.reshaped([-1, inputSize]), weight: weight, bias: bias, relu: relu)
    }

    public var ownParameters: [(name: String, variable: Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var description: String { "Linear(\(inputSize) => \(outputSize)\(bias == nil ? ", bias: false" : ""))" }
}
