/// Modules applied one after another. Parameters are named by position: `0.weight`, `2.bias`.
public final class Sequential: Module {
    /// The modules, in order.
    public private(set) var layers: [any Module]

    public init(_ layers: [any Module]) { self.layers = layers }
    public convenience init(_ layers: any Module...) { self.init(layers) }

    /// Adds a module at the end.
    public func append(_ layer: any Module) { layers.append(layer) }

    /// Runs the layers in order. Two pairs run as one fused op each, with the same values and
    /// gradients in less time: a `ReLU` followed by a 2×2, stride-2, unpadded `MaxPool2D` on images
    /// of even size (`reluMaxPool2x2`), and a `Linear` followed by a `ReLU` (`linear(_:weight:bias:relu:)`).
    public func callAsFunction(_ x: Variable) -> Variable {
        var x = x
        var i = 0
        while i < layers.count {
            if i + 1 < layers.count, Sequential.fusesReLUMaxPool(layers[i], layers[i + 1], x.shape) {
                x = reluMaxPool2x2(x)
                i += 2
            } else if i + 1 < layers.count, let dense = layers[i] as? Linear, layers[i + 1] is ReLU {
                x = dense(x, relu: true)
                i += 2
            } else {
                x = layers[i](x)
                i += 1
            }
        }
        return x
    }

    /// Whether `first` then `second` on an input of `shape` is what `reluMaxPool2x2` computes.
    static func fusesReLUMaxPool(_ first: any Module, _ second: any Module, _ shape: [Int]) -> Bool {
        guard first is ReLU, let pool = second as? MaxPool2D else { return false }
        return pool.kernel == 2 && pool.stride == 2 && pool.padding == 0
            && shape.count == 4 && shape[2] % 2 == 0 && shape[3] % 2 == 0
    }

    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public var description: String {
        "Sequential(\n" + layers.map { "  " + $0.description }.joined(separator: ",\n") + "\n)"
    }
}
