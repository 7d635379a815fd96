/// How a weight tensor is initialized. `fanIn` is the number of inputs feeding each output unit
/// (`in` for a linear layer, `in · kH · kW` for a convolution).
///
/// The lectures' rules: `a · randn` with a fixed `a` (0.01, 0.0001) makes deep networks' activations
/// vanish; Xavier `randn / sqrt(fanIn)` keeps unit variance through tanh layers; He
/// `randn / sqrt(fanIn / 2)` does so through ReLU layers, which zero half of their inputs.
public enum Initializer: Equatable, Sendable, CustomStringConvertible {
    /// `scale · N(0, 1)`.
    case gaussian(scale: Double)
    /// Xavier/Glorot (the lectures' form): `N(0, 1) / sqrt(fanIn)`.
    case xavier
    /// He/Kaiming: `N(0, 1) · sqrt(2 / fanIn)`.
    case he
    /// `U(-scale, scale)`.
    case uniform(scale: Double)
    /// Xavier/Glorot uniform: `U(-a, a)` with `a = sqrt(6 / (fanIn + fanOut))`.
    case xavierUniform
    /// He/Kaiming uniform: `U(-a, a)` with `a = sqrt(6 / fanIn)`.
    case heUniform
    /// All zeros (biases).
    case zeros
    /// A constant.
    case constant(Double)

    /// A tensor of `shape` drawn by this rule.
    public func make(_ shape: [Int], fanIn: Int, fanOut: Int, dtype: DType = .float32,
                     generator: inout RandomGenerator) -> Tensor {
        let fanIn = Double(Swift.max(fanIn, 1)), fanOut = Double(Swift.max(fanOut, 1))
        switch self {
        case .gaussian(let scale):
            return Tensor.randomNormal(shape, standardDeviation: scale, dtype: dtype, generator: &generator)
        case .xavier:
            return Tensor.randomNormal(shape, standardDeviation: 1 / fanIn.squareRoot(), dtype: dtype, generator: &generator)
        case .he:
            return Tensor.randomNormal(shape, standardDeviation: (2 / fanIn).squareRoot(), dtype: dtype, generator: &generator)
        case .uniform(let scale):
            return Tensor.randomUniform(shape, lower: -scale, upper: scale, dtype: dtype, generator: &generator)
        case .xavierUniform:
            let a = (6 / (fanIn + fanOut)).squareRoot()
            return Tensor.randomUniform(shape, lower: -a, upper: a, dtype: dtype, generator: &generator)
        case .heUniform:
            let a = (6 / fanIn).squareRoot()
            return Tensor.randomUniform(shape, lower: -a, upper: a, dtype: dtype, generator: &generator)
        case .zeros:
            return Tensor.zeros(shape, dtype: dtype)
        case .constant(let c):
            return Tensor.full(shape, value: c, dtype: dtype)
        }
    }

    public var description: String {
        switch self {
        case .gaussian(let s): return "gaussian(\(s))"
        case .xavier: return "xavier"
        case .he: return "he"
        case .uniform(let s): return "uniform(\(s))"
        case .xavierUniform: return "xavierUniform"
        case .heUniform: return "heUniform"
        case .zeros: return "zeros"
        case .constant(let c): return "constant(\(c))"
        }
    }
}
