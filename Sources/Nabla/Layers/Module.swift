/// A piece of a network: a function of one input with trainable parameters and, possibly,
/// sub-modules. Parameters are found by an explicit visit, with dotted names as in PyTorch
/// (`layers.0.weight`), so that a checkpoint maps one to one onto safetensors keys.
///
/// Modules are classes: a parameter is one `Variable` that the optimizer updates in place, and a
/// module is shared between the code that builds the graph and the code that trains it.
///
/// A user-defined module lists its parts:
/// ```swift
/// final class TwoLayerNet: Module {
///     let fc1 = Linear(784, 100), fc2 = Linear(100, 10)
///     var children: [(name: String, module: any Module)] { [("fc1", fc1), ("fc2", fc2)] }
///     func callAsFunction(_ x: Variable) -> Variable { fc2(relu(fc1(x))) }
/// }
/// ```
public protocol Module: AnyObject, CustomStringConvertible {
    /// The forward pass.
    func callAsFunction(_ input: Variable) -> Variable

    /// This module's own trainable tensors by local name (`weight`, `bias`), not its children's.
    var ownParameters: [(name: String, variable: Variable)] { get }

    /// This module's own non-trainable state that belongs to the model (batch norm's running
    /// statistics): saved and loaded with the weights, never touched by an optimizer.
    var ownBuffers: [(name: String, variable: Variable)] { get }

    /// The modules this one is built from, by local name.
    var children: [(name: String, module: any Module)] { get }

    /// Switches between training (`true`) and evaluation (`false`) behaviour, for this module and
    /// all of its children. Only modules that behave differently (dropout, batch norm) keep a flag.
    func setTraining(_ training: Bool)

    /// Whether this module (or any child) behaves as in training. Modules whose behaviour does not
    /// depend on the mode keep no flag and answer for their children.
    var isTraining: Bool { get }

    /// The random generator this module draws from while training (dropout's masks), or nil for
    /// modules that draw nothing; part of a checkpoint, so that a resumed run draws the same.
    var randomState: RandomGenerator? { get set }

    /// How this module sums its batch statistics over the replicas of data-parallel training
    /// (batch norm), or nil to use this process's rows alone; modules without batch statistics
    /// keep none and ignore a new value. Set by a trainer through `modules()`, not by hand.
    var replicaReduction: (any ReplicaReduction)? { get set }

    /// A one-line name for tables and summaries: `description` unless that lists a whole block
    /// (`Residual(2 layers)`).
    var shortDescription: String { get }
}

extension Module {
    public var ownParameters: [(name: String, variable: Variable)] { [] }
    public var ownBuffers: [(name: String, variable: Variable)] { [] }
    public var children: [(name: String, module: any Module)] { [] }

    public func setTraining(_ training: Bool) {
        for child in children { child.module.setTraining(training) }
    }

    public var isTraining: Bool { children.contains { $0.module.isTraining } }

    public var shortDescription: String { description }

    public var randomState: RandomGenerator? {
        get { nil }
        set {}
    }

    public var replicaReduction: (any ReplicaReduction)? {
        get { nil }
        set {}
    }

    /// This module and all its descendants with their dotted paths (`""` for this one), depth first.
    public func modules() -> [(path: String, module: any Module)] {
        var result: [(String, any Module)] = [("", self)]
        for (name, child) in children {
            result += child.modules().map { ($0.path.isEmpty ? name : "\(name).\($0.path)", $0.module) }
        }
        return result
    }

    /// The random generators of this module and its descendants, by dotted path.
    public func randomStates() -> [String: RandomGenerator] {
        var states: [String: RandomGenerator] = [:]
        for (path, module) in modules() { if let state = module.randomState { states[path] = state } }
        return states
    }

    /// Sets the random generators saved by `randomStates()`; paths this model lacks are ignored.
    public func loadRandomStates(_ states: [String: RandomGenerator]) {
        for (path, module) in modules() where module.randomState != nil {
            if let state = states[path] { module.randomState = state }
        }
    }

    public var description: String { String(describing: type(of: self)) }

    /// Every trainable parameter of this module and its descendants, with dotted names, in a fixed order.
    public func parameters() -> [(name: String, variable: Variable)] {
        var result = ownParameters
        for (name, child) in children {
            result += child.parameters().map { ("\(name).\($0.name)", $0.variable) }
        }
        return result
    }

    /// Every buffer of this module and its descendants, with dotted names.
    public func buffers() -> [(name: String, variable: Variable)] {
        var result = ownBuffers
        for (name, child) in children {
            result += child.buffers().map { ("\(name).\($0.name)", $0.variable) }
        }
        return result
    }

    /// Parameters and buffers together: everything a saved model holds.
    public func stateDict() -> [(name: String, variable: Variable)] { parameters() + buffers() }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.variable.value.count } }

    /// This module's own filter bank: its parameter `weight` when that is a convolution's
    /// `[out, in, kH, kW]` or a dense layer's `[out, in]` (batch norm's `weight` is one value per
    /// channel, so it is not one). Found by shape, so that callers need no concrete layer type.
    public var filterWeight: Tensor? {
        guard let weight = ownParameters.first(where: { $0.name == "weight" })?.variable.value,
              weight.shape.count == 2 || weight.shape.count == 4 else { return nil }
        return weight
    }

    /// Whether this module or one of its descendants convolves (has a rank-4 `filterWeight`).
    public var hasConvolution: Bool { modules().contains { $0.module.filterWeight?.shape.count == 4 } }

    /// Training mode: dropout drops, batch norm uses batch statistics and updates its running ones.
    public func train() { setTraining(true) }

    /// Evaluation mode: dropout is the identity, batch norm uses its running statistics.
    public func eval() { setTraining(false) }

    /// Clears the gradients of every parameter.
    public func zeroGrad() { for p in parameters() { p.variable.zeroGrad() } }

    /// Applies the module to a tensor without recording a graph (inference).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withoutGradients { self(Variable(input)).value }
    }
}
