/// Saving and loading a module's weights as safetensors, under the dotted names of `stateDict()`
/// (`0.weight`, `0.bias`, `2.running_mean`): the names PyTorch gives the same layers, so a file
/// maps one to one onto a PyTorch `state_dict`.
///
/// ```swift
/// let model = Sequential(Linear(784, 100), ReLU(), Linear(100, 10))
/// try model.save(to: "runs/mnist/model.safetensors", metadata: ["epoch": "10"])
/// try model.load(from: "runs/mnist/model.safetensors")
/// ```
extension Module {
    /// Every parameter and buffer's value by dotted name.
    ///
    /// - Throws: `SerializationError.duplicateName` if two of them share a name.
    public func stateTensors() throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (name, variable) in stateDict() {
            guard tensors.updateValue(variable.value, forKey: name) == nil else {
                throw SerializationError.duplicateName(name)
            }
        }
        return tensors
    }

    /// Writes every parameter and buffer to a safetensors file at `path`, atomically (a crash
    /// leaves the previous file, never half of a new one), creating its directory if needed.
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try Safetensors.write(stateTensors(), metadata: metadata, to: path)
    }

    /// Replaces every parameter and buffer with the tensor of the same name in the safetensors
    /// file at `path`. See `loadStateDict(_:)` for what must match.
    public func load(from path: String) throws {
        try loadStateDict(Safetensors.read(path).tensors, source: path)
    }

    /// Replaces every parameter and buffer with the tensor of the same name in `tensors`.
    ///
    /// Every name of `stateDict()` must be present with the module's shape, and no other name may
    /// be; otherwise nothing changes and the error lists all the missing, unexpected and misshapen
    /// names. A tensor of the other float type is converted to the module's dtype. The values are
    /// assigned into the module's existing variables, so an optimizer made for the module goes on
    /// updating them.
    public func loadStateDict(_ tensors: [String: Tensor]) throws {
        try loadStateDict(tensors, source: "The state dict")
    }

    func loadStateDict(_ tensors: [String: Tensor], source: String) throws {
        let state = stateDict()
        var expected = Set<String>()
        var missing: [String] = []
        var wrongShape: [SerializationError.ShapeMismatch] = []
        for (name, variable) in state {
            guard expected.insert(name).inserted else { throw SerializationError.duplicateName(name) }
            guard let tensor = tensors[name] else {
                missing.append(name)
                continue
            }
            if tensor.shape != variable.value.shape {
                wrongShape.append(.init(name: name, expected: variable.value.shape, found: tensor.shape))
            }
        }
        let unexpected = tensors.keys.filter { !expected.contains($0) }.sorted()
        guard missing.isEmpty, unexpected.isEmpty, wrongShape.isEmpty else {
            throw SerializationError.stateDictMismatch(
                source: source, missing: missing, unexpected: unexpected, wrongShape: wrongShape)
        }
        for (name, variable) in state {
            variable.value = tensors[name]!.converted(to: variable.value.dtype)
        }
    }
}
