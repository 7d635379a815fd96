/// A residual block: `body(x) + skip(x)`, where the skip path is the input itself, or a projection
/// (a 1×1 convolution, or a linear layer) when the body changes the shape (He et al., 2015). The
/// identity path lets gradients reach early layers undiminished, which is what makes deep
/// networks trainable.
///
/// Parameters are named `body.0.weight`, …, and `skip.weight`, `skip.bias`; dropout and batch norm
/// inside the body follow the model's training flag, as children do.
///
/// ```swift
/// let block = Residual(Sequential(Conv2D(16, 16, kernel: 3, padding: 1), BatchNorm(16), ReLU(),
///                                 Conv2D(16, 16, kernel: 3, padding: 1), BatchNorm(16)))
/// let y = block(x)   // [N, 16, H, W] → [N, 16, H, W]
/// ```
public final class Residual: Module {
    /// The layers the input goes through.
    public let body: Sequential
    /// The projection on the skip path, or nil to add the input as it is.
    public let skip: (any Module)?

    public init(_ body: Sequential, skip: (any Module)? = nil) {
        self.body = body
        self.skip = skip
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let y = body(x)
        let shortcut = skip.map { $0(x) } ?? x
        // Adding would broadcast a [N, 1] onto a [N, C]: a wrong block must stop, not compute something else.
        precondition(y.shape == shortcut.shape,
                     "\(Residual.shortDescription(layers: body.layers.count, projected: skip != nil)): the body's output \(y.shape) "
                        + "and the skip path's \(shortcut.shape) differ; add a projection")
        return y + shortcut
    }

    public var children: [(name: String, module: any Module)] {
        [("body", body)] + (skip.map { [("skip", $0)] } ?? [])
    }

    /// `Residual(5 layers)`, or `Residual(5 layers + projection)`: a block's one-line name, as
    /// summaries and activation tables show it.
    public static func shortDescription(layers: Int, projected: Bool) -> String {
        "Residual(\(layers) layer\(layers == 1 ? "" : "s")\(projected ? " + projection" : ""))"
    }

    /// The block's one-line name (`shortDescription`).
    public var shortDescription: String { Residual.shortDescription(layers: body.layers.count, projected: skip != nil) }

    /// Every layer of the body, then the skip path: `Residual(Conv2D(…), ReLU(); skip: Conv2D(…))`.
    public var description: String {
        "Residual(" + body.layers.map(\.description).joined(separator: ", ") + "; skip: " + (skip?.description ?? "identity") + ")"
    }
}
