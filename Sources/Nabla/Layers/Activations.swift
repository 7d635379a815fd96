// Activation layers without parameters: each wraps its op so it can sit in a `Sequential`.

/// `max(0, x)` elementwise.
public final class ReLU: Module {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { relu(x) }
    public var description: String { "ReLU()" }
}

/// Leaky ReLU `max(slope · x, x)`: a small slope for negative inputs keeps their gradient alive.
public final class LeakyReLU: Module {
    /// The slope for negative inputs (0.01 unless given, as in the lectures and PyTorch).
    public let slope: Double
    public init(slope: Double = 0.01) { self.slope = slope }
    public func callAsFunction(_ x: Variable) -> Variable { leakyReLU(x, slope: slope) }
    public var description: String { "LeakyReLU(slope: \(slope))" }
}

/// ELU: `x` for `x > 0`, else `α (eˣ - 1)`, which saturates smoothly at `-α`.
public final class ELU: Module {
    /// The negative saturation value (1.0 unless given).
    public let alpha: Double
    public init(alpha: Double = 1) { self.alpha = alpha }
    public func callAsFunction(_ x: Variable) -> Variable { elu(x, alpha: alpha) }
    public var description: String { "ELU(alpha: \(alpha))" }
}

/// The logistic sigmoid `1 / (1 + e^-x)`.
public final class Sigmoid: Module {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { sigmoid(x) }
    public var description: String { "Sigmoid()" }
}

/// The hyperbolic tangent.
public final class Tanh: Module {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable { tanh(x) }
    public var description: String { "Tanh()" }
}

/// Softmax along an axis (stable: the maximum is subtracted first). For training a classifier,
/// feed the raw scores to the cross-entropy loss instead, which fuses the two stably.
public final class Softmax: Module {
    /// The axis whose slices sum to 1 (the last one unless given).
    public let axis: Int
    public init(axis: Int = -1) { self.axis = axis }
    public func callAsFunction(_ x: Variable) -> Variable { softmax(x, axis: axis) }
    public var description: String { "Softmax(axis: \(axis))" }
}

/// The logarithm of softmax along an axis, computed stably.
public final class LogSoftmax: Module {
    /// The axis whose slices are normalized (the last one unless given).
    public let axis: Int
    public init(axis: Int = -1) { self.axis = axis }
    public func callAsFunction(_ x: Variable) -> Variable { logSoftmax(x, axis: axis) }
    public var description: String { "LogSoftmax(axis: \(axis))" }
}
