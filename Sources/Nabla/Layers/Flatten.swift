/// Flattens each example: `[N, d1, d2, …]` becomes `[N, d1 · d2 · …]` (between convolutional and
/// dense layers). Shares the input's storage. No parameters.
public final class Flatten: Module {
    public init() {}

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.count >= 1, "Flatten(): input must have a batch axis, got shape \(x.shape)")
        return x.reshaped([x.shape[0], x.shape.dropFirst().reduce(1, *)])
    }

    public var description: String { "Flatten()" }
}
