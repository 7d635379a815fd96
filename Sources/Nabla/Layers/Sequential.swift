/// Modules applied one after another. Parameters are named by position: `0.weight`, `2.bias`.
public final class Sequential: Module {
    /// The modules, in order.
    public private(set) var layers: [any Module]

    public init(_ layers: [any Module]) { self.layers = layers }
    public convenience init(_ layers: any Module...) { self.init(layers) }

    /// Adds a module at the end.
    public func append(_ layer: any Module) { layers.append(layer) }

    public func callAsFunction(_ x: Variable) -> Variable {
        var x = x
        for layer in layers { x = layer(x) }
        return x
    }

    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public var description: String {
        "Sequential(\n" + layers.map { "  " + $0.description }.joined(separator: ",\n") + "\n)"
    }
}
