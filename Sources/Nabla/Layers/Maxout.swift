/// Maxout (Goodfellow et al.): `k` linear pieces of the input and, per output unit, the largest:
/// `yⱼ = maxᵢ (Wᵢ x + bᵢ)ⱼ`, for two pieces `max(w1ᵀx + b1, w2ᵀx + b2)`.
///
/// The weight is `[pieces, out, in]` (`weight[i]` is piece `i`'s matrix, laid out as a Linear
/// weight) and the bias `[pieces, out]`. All pieces are computed in one matrix product.
///
/// Default initialization: Xavier (`randn / sqrt(in)`) for the weights, zeros for the biases. Unlike
/// ReLU, maxout passes a whole value rather than zeroing half of them (with two pieces,
/// `E[max(z₁, z₂)²] = E[z²]`), so He's factor 2 does not apply.
public final class Maxout: Module {
    /// `[pieces, outputSize, inputSize]`.
    public let weight: Variable
    /// `[pieces, outputSize]`, or nil without a bias.
    public let bias: Variable?

    public let inputSize: Int
    public let outputSize: Int
    /// The number of linear pieces each output is the maximum of.
    public let pieces: Int

    /// - Parameters:
    ///   - inputSize: features per input row.
    ///   - outputSize: features per output row.
    ///   - pieces: linear pieces per output (2 unless given).
    ///   - bias: whether each piece adds a learned bias.
    ///   - initializer: how the weights are drawn (fan-in `inputSize`).
    ///   - generator: the random source, for reproducible weights.
    public init(_ inputSize: Int, _ outputSize: Int, pieces: Int = 2, bias: Bool = true,
                initializer: Initializer = .xavier, dtype: DType = .float32, generator: inout RandomGenerator) {
        precondition(inputSize > 0 && outputSize > 0 && pieces > 0,
                     "Maxout: sizes and pieces must be positive, got \(inputSize) => \(outputSize), pieces: \(pieces)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.pieces = pieces
        weight = Variable(initializer.make([pieces, outputSize, inputSize], fanIn: inputSize, fanOut: outputSize,
                                           dtype: dtype, generator: &generator), requiresGrad: true)
        self.bias = bias ? Variable(.zeros([pieces, outputSize], dtype: dtype), requiresGrad: true) : nil
    }

    /// A maxout layer with weights from a fixed seed (0 unless given).
    public convenience init(_ inputSize: Int, _ outputSize: Int, pieces: Int = 2, bias: Bool = true,
                            initializer: Initializer = .xavier, dtype: DType = .float32, seed: UInt64 = 0) {
        var g = RandomGenerator(seed: seed)
        self.init(inputSize, outputSize, pieces: pieces, bias: bias, initializer: initializer, dtype: dtype, generator: &g)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.count == 2 && x.shape[1] == inputSize,
                     "\(self): input of shape \(x.shape) is not [N, \(inputSize)]")
        precondition(x.dtype == weight.dtype, "\(self): input is \(x.dtype), weights are \(weight.dtype)")
        // [N, pieces · out], piece-major: columns i·out ..< (i+1)·out belong to piece i.
        var z = matmul(x, weight.reshaped([pieces * outputSize, inputSize]), transposeB: true)
        if let bias { z = z + bias.reshaped([pieces * outputSize]) }
        return maxout(z, pieces: pieces)
    }

    public var ownParameters: [(name: String, variable: Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var description: String {
        "Maxout(\(inputSize) => \(outputSize), pieces: \(pieces)\(bias == nil ? ", bias: false" : ""))"
    }
}
