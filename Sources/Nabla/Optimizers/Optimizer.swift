/// Updates parameters from their gradients: a per-parameter update rule plus the state it keeps.
///
/// An optimizer is made from a model's named parameters, is told its learning rate (a schedule
/// may change it every epoch or step), and after each `backward()` applies its rule to every
/// parameter that has a gradient:
///
/// ```swift
/// let optimizer = try Adam(model.parameters(), learningRate: 1e-3)
/// for (x, y) in batches {
///     let loss = softmaxCrossEntropy(logits: model(x), labels: y)
///     loss.backward()
///     optimizer.step()          // w ← rule(w, g, state), in place
///     optimizer.zeroGrad()
/// }
/// ```
///
/// A rule is written as one type: an initializer that validates its settings and declares its
/// per-parameter state (an `OptimizerSlots` with named slots such as `"exp_avg"`), and
/// `update(_:)`, one loop over raw pointers that reads like the lecture's formula. `step()`,
/// `zeroGrad()`, `state()` and `load(state:)` come from the extension below and are the same for
/// every rule. The numerical conventions are PyTorch's (`torch.optim`), so that a run can be
/// reproduced in either framework; each rule documents where the lectures' form differs.
///
/// `step()` reaches `update(_:)` through the protocol, where the compiler cannot specialize the
/// rule for the scalar type: its loop would run on generic arithmetic through witness tables
/// (~25 ns per element: the update was over half of an MLP training step). Each rule therefore
/// carries `@_specialize(where T == Float)` and `@_specialize(where T == Double)`, which make the
/// generic entry point jump to loops compiled for `Float` and `Double`; a new rule should too.
public protocol Optimizer: AnyObject {
    /// The step size of the next `step()`. Schedules set it every epoch (or step); `load(state:)`
    /// restores it.
    var learningRate: Double { get set }

    /// The parameters and the per-parameter state (momentum buffers, moment estimates, step counts).
    var slots: OptimizerSlots { get }

    /// Applies the rule to one parameter in place: reads `parameter.gradient`, updates
    /// `parameter.value` and the rule's slots. Called by `step()` once per parameter that has a
    /// gradient, with its step count already advanced.
    func update<T: TensorScalar>(_ parameter: ParameterUpdate<T>)

    /// Applies the update rule to every parameter that has a gradient; parameters whose `grad`
    /// is `nil` are left alone, and so is their state.
    func step()

    /// Clears every parameter's gradient, ready for the next `backward()`.
    func zeroGrad()

    /// Everything the optimizer has learned while training, for a checkpoint: for every parameter
    /// `"<name>.<slot>"` (same shape and dtype as the parameter) and `"<name>.step"` (updates that
    /// parameter received, a `Double` scalar), plus `"learningRate"` (a `Double` scalar).
    func state() -> [String: Tensor]

    /// Restores what `state()` returned, so that training continues exactly as if it had not stopped.
    /// Validates every entry first and changes nothing when one is missing, unexpected or of the
    /// wrong shape.
    func load(state: [String: Tensor]) throws
}

/// The raw memory one update works on: a parameter's value, its gradient and its slots.
///
/// The pointers are valid only during `update(_:)`. The value and the slots are not shared with any
/// other tensor (the optimizer copies them first if they were), so writing through them is safe.
public struct ParameterUpdate<T: TensorScalar> {
    /// The parameter's elements, updated in place.
    public let value: UnsafeMutablePointer<T>
    /// The gradient's elements, same count.
    public let gradient: UnsafePointer<T>
    /// The rule's state for this parameter, in the order of `OptimizerSlots.names`.
    public let slots: [UnsafeMutablePointer<T>]
    /// The number of elements.
    public let count: Int
    /// How many updates this parameter has had, this one included (`t`, from 1).
    public let step: Int
}

/// The parameters an optimizer updates and its per-parameter state ("slots", as TensorFlow calls
/// them): one tensor per slot name per parameter, shaped and typed like the parameter and starting
/// at zero, plus each parameter's step count.
///
/// Slots are allocated when the optimizer is made, so the set of entries in `state()` is fixed
/// and a checkpoint can be checked entry by entry. Starting a buffer at zero is the same as
/// PyTorch's starting it at the first gradient: `μ·0 + g = g`.
public final class OptimizerSlots {
    /// The parameters, with dotted names (`layers.0.weight`), in update order.
    public let parameters: [(name: String, variable: Variable)]
    /// The slot names, which become state keys: `"<parameter>.<slot>"`.
    public let names: [String]
    /// `tensors[i][k]`: slot `names[k]` of `parameters[i]`.
    var tensors: [[Tensor]]
    /// How many updates each parameter has had (PyTorch's per-parameter `state["step"]`): a parameter
    /// without a gradient at some step is not counted, which matters for Adam's bias correction.
    public internal(set) var steps: [Int]

    /// Slots `names` for each of `parameters`.
    ///
    /// - Throws: `OptimizerError` if the list is empty, names a parameter twice, or lists one
    ///   variable under two names (it would be updated twice per step).
    public init(_ parameters: [(name: String, variable: Variable)], names: [String]) throws {
        guard !parameters.isEmpty else { throw OptimizerError.emptyParameterList }
        var seenNames: [String: String] = [:]
        var seenVariables: [ObjectIdentifier: String] = [:]
        for (name, variable) in parameters {
            guard seenNames.updateValue(name, forKey: name) == nil else {
                throw OptimizerError.duplicateParameter(name)
            }
            if let first = seenVariables.updateValue(name, forKey: ObjectIdentifier(variable)) {
                throw OptimizerError.sharedVariable(first, name)
            }
        }
        precondition(Set(names).count == names.count && !names.contains("step"),
                     "OptimizerSlots: slot names must be distinct and not \"step\": \(names)")
        self.parameters = parameters
        self.names = names
        self.tensors = parameters.map { p in names.map { _ in Tensor.zeros(like: p.variable.value) } }
        self.steps = Array(repeating: 0, count: parameters.count)
    }

    /// The current value of slot `slot` of the parameter named `parameter`, for inspection.
    public func value(of slot: String, for parameter: String) -> Tensor? {
        guard let k = names.firstIndex(of: slot),
              let i = parameters.firstIndex(where: { $0.name == parameter }) else { return nil }
        return tensors[i][k]
    }

    /// Pointers to parameter `i`'s slots, each made unique first so that writing through it
    /// cannot change a tensor someone else holds (such as an exported `state()`).
    func uniquePointers<T: TensorScalar>(_ i: Int, _: T.Type) -> [UnsafeMutablePointer<T>] {
        names.indices.map { k in
            tensors[i][k].makeUnique()
            return tensors[i][k].pointer(T.self)
        }
    }
}

/// The key of the learning rate in `Optimizer.state()`.
let learningRateStateKey = "learningRate"

extension Optimizer {
    /// The parameters this optimizer updates, with their names.
    public var parameters: [(name: String, variable: Variable)] { slots.parameters }

    public func step() {
        for (index, (name, variable)) in slots.parameters.enumerated() {
            guard let gradient = variable.grad else { continue }
            // Only shape and dtype: holding a copy of the value would make the in-place update
            // copy the whole parameter first.
            let (shape, dtype) = (variable.value.shape, variable.value.dtype)
            precondition(gradient.shape == shape && gradient.dtype == dtype,
                         "Optimizer: gradient of '\(name)' is \(gradient.dtype) \(gradient.shape), parameter is \(dtype) \(shape)")
            // The slots were shaped when the optimizer was made; a parameter changed since then
            // (converted to Double, replaced by a tensor of another shape) needs a new optimizer.
            precondition(slots.tensors[index].allSatisfy { $0.shape == shape && $0.dtype == dtype },
                         "Optimizer: parameter '\(name)' changed to \(dtype) \(shape) after the optimizer was made")
            slots.steps[index] += 1
            switch dtype {
            case .float32: apply(Float.self, index: index, variable: variable, gradient: gradient)
            case .float64: apply(Double.self, index: index, variable: variable, gradient: gradient)
            }
        }
    }

    /// Hands the rule raw pointers for one parameter. Generic over the scalar and called with a
    /// concrete one, so each rule's loop is compiled for `Float` and for `Double`.
    private func apply<T: TensorScalar>(_: T.Type, index: Int, variable: Variable, gradient: Tensor) {
        variable.value.makeUnique()
        let slotPointers = slots.uniquePointers(index, T.self)
        withExtendedLifetime(gradient) {
            update(ParameterUpdate(
                value: variable.value.pointer(T.self), gradient: UnsafePointer(gradient.pointer(T.self)),
                slots: slotPointers, count: variable.value.count, step: slots.steps[index]))
        }
    }

    public func zeroGrad() {
        for p in slots.parameters { p.variable.zeroGrad() }
    }

    public func state() -> [String: Tensor] {
        var result = [learningRateStateKey: Tensor.scalar(learningRate, dtype: .float64)]
        for (i, p) in slots.parameters.enumerated() {
            for (k, slot) in slots.names.enumerated() { result["\(p.name).\(slot)"] = slots.tensors[i][k] }
            // Step counts are whole numbers far below 2^53, so a Double holds them exactly.
            result["\(p.name).step"] = Tensor.scalar(Double(slots.steps[i]), dtype: .float64)
        }
        return result
    }

    /// Restores what `state()` returned.
    ///
    /// Slot tensors are converted to the parameter's dtype (as `torch.optim` does), so a state saved
    /// from a `Float` model loads into a `Double` one. Hyperparameters other than the learning rate
    /// (momentum, betas, ε, weight decay) are not part of the state: make the new optimizer with the
    /// same settings, as recorded in the run's configuration.
    public func load(state: [String: Tensor]) throws {
        var expected: Set<String> = [learningRateStateKey]
        let rate = try storedNumber(state, learningRateStateKey, integral: false)
        try OptimizerError.check("learning rate", rate, .nonNegative)

        var tensors = slots.tensors, steps = slots.steps
        for (i, (name, variable)) in slots.parameters.enumerated() {
            for (k, slot) in slots.names.enumerated() {
                let key = "\(name).\(slot)"
                expected.insert(key)
                guard let tensor = state[key] else { throw OptimizerError.missingStateEntry(key) }
                guard tensor.shape == variable.value.shape else {
                    throw OptimizerError.stateShapeMismatch(key: key, expected: variable.value.shape, found: tensor.shape)
                }
                tensors[i][k] = tensor.converted(to: variable.value.dtype)
            }
            let key = "\(name).step"
            expected.insert(key)
            steps[i] = Int(try storedNumber(state, key, integral: true))
        }
        let unexpected = state.keys.filter { !expected.contains($0) }.sorted()
        guard unexpected.isEmpty else { throw OptimizerError.unexpectedStateEntries(unexpected) }

        // Everything checked: only now change the optimizer, so a failed load leaves it as it was.
        slots.tensors = tensors
        slots.steps = steps
        learningRate = rate
    }

    /// The one number stored under `key`; with `integral`, a whole number in `0...2^53`.
    private func storedNumber(_ state: [String: Tensor], _ key: String, integral: Bool) throws -> Double {
        guard let tensor = state[key] else { throw OptimizerError.missingStateEntry(key) }
        guard tensor.count == 1 else {
            throw OptimizerError.invalidStateEntry(key: key, reason: "expected a single number, found shape \(tensor.shape)")
        }
        let value = tensor[flat: 0]
        if integral && !(value >= 0 && value <= 9_007_199_254_740_992 && value == value.rounded()) {
            throw OptimizerError.invalidStateEntry(
                key: key, reason: "expected a whole number >= 0, found \(OptimizerError.format(value))")
        }
        return value
    }
}
