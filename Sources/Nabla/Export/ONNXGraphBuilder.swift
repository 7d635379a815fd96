/// Collects the nodes and constant tensors of an ONNX graph as a model is walked layer by layer.
///
/// Every value is named: weights by their dotted parameter names (`3.weight`, as in the run's
/// safetensors file), intermediate values by the layer that made them (`3_conv`), so the graph
/// reads like the model in a viewer such as Netron.
struct ONNXGraphBuilder {
    private(set) var nodes: [ONNXProto.Node] = []
    private(set) var initializers: [ONNXProto.Initializer] = []
    private var usedNames: Set<String> = []

    /// `name`, or `name_2`, `name_3`, … when it is taken: ONNX needs every value named once.
    mutating func uniqueName(_ name: String) -> String {
        var candidate = name, suffix = 2
        while usedNames.contains(candidate) {
            candidate = "\(name)_\(suffix)"
            suffix += 1
        }
        usedNames.insert(candidate)
        return candidate
    }

    /// Reserves a name given from outside (the graph's input and outputs).
    mutating func reserve(_ name: String) { usedNames.insert(name) }

    /// A float constant of `shape`; returns its name.
    mutating func constant(_ name: String, _ values: [Float], shape: [Int]) -> String {
        let unique = uniqueName(name)
        initializers.append(ONNXProto.Initializer(name: unique, floats: values, dims: shape))
        return unique
    }

    /// A tensor's values as a float constant of `shape` (its own shape unless given), converted to
    /// `Float` when it holds `Double`s: exported graphs compute in 32 bits.
    mutating func constant(_ name: String, _ tensor: Tensor, shape: [Int]? = nil) -> String {
        constant(name, tensor.converted(to: .float32).floats, shape: shape ?? tensor.shape)
    }

    /// An `int64` constant, as `Reshape` takes its target shape.
    mutating func int64Constant(_ name: String, _ values: [Int64]) -> String {
        let unique = uniqueName(name)
        initializers.append(ONNXProto.Initializer(name: unique, int64s: values, dims: [values.count]))
        return unique
    }

    /// Adds `opType(inputs)` with one output named after `name` (or exactly `output` when given);
    /// returns the output's name.
    @discardableResult
    mutating func node(_ opType: String, _ inputs: [String], name: String,
                       attributes: [(name: String, value: ONNXProto.AttributeValue)] = [],
                       output: String? = nil) -> String {
        let out = output ?? uniqueName(name)
        nodes.append(ONNXProto.Node(opType: opType, name: out, inputs: inputs, outputs: [out], attributes: attributes))
        return out
    }
}
