/// An update rule and its settings as a value: what a `TrainingRecipe` saves, and what builds the
/// optimizer for a model's parameters (so a saved run can rebuild its optimizer, not only its model).
///
/// ```swift
/// let recipe = OptimizerRecipe(.momentum, learningRate: 0.05)
/// let optimizer = try recipe.make(for: model.parameters())
/// ```
public struct OptimizerRecipe: Codable, Equatable, Sendable {
    /// The update rules by name.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw

        /// Reads a rule's name.
        /// - Throws: `SettingError` for `optimizer.kind`, listing the names.
        public init(parsing name: String) throws {
            guard let kind = Kind(rawValue: name) else {
                throw SettingError(field: "optimizer.kind", "unknown update rule '\(name)'; choose one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self = kind
        }
    }

    public var kind: Kind
    /// The base learning rate (the schedule scales it).
    public var learningRate: Double
    /// μ of `momentum` and `nesterov`.
    public var momentum: Double
    /// Decoupled weight decay λ (`w -= lr·λ·w` before each step, as AdamW), for every rule; nil for
    /// the rule's default (`defaultWeightDecay`).
    public var weightDecay: Double?

    /// The decay a rule gets when none is given: PyTorch's 0.01 for `adamw`, none for the others.
    public var defaultWeightDecay: Double { kind == .adamw ? 0.01 : 0 }
    /// The decay used: the one given, or the rule's default.
    public var effectiveWeightDecay: Double { weightDecay ?? defaultWeightDecay }

    public init(_ kind: Kind = .momentum, learningRate: Double = 0.05, momentum: Double = 0.9, weightDecay: Double? = nil) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    private enum CodingKeys: String, CodingKey { case kind, learningRate, momentum, weightDecay }

    /// Reads a saved recipe; a setting it leaves out keeps its default (a hand-written recipe file
    /// names only what it changes).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = OptimizerRecipe()
        self.init(try c.decodeIfPresent(Kind.self, forKey: .kind) ?? defaults.kind,
                  learningRate: try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate,
                  momentum: try c.decodeIfPresent(Double.self, forKey: .momentum) ?? defaults.momentum,
                  weightDecay: try c.decodeIfPresent(Double.self, forKey: .weightDecay))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(momentum, forKey: .momentum)
        try c.encodeIfPresent(weightDecay, forKey: .weightDecay)
    }

    /// Checks the settings without parameters (each rule checks its own as it is built, too).
    /// - Throws: `SettingError` for a negative weight decay, `OptimizerError` for the rest.
    public func validate() throws {
        if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) {
            throw SettingError(field: "optimizer.weightDecay", "must be a number ≥ 0, got \(weightDecay)")
        }
        _ = try make(for: [("probe", Variable(.zeros([1]), requiresGrad: true))])
    }

    /// The optimizer for `parameters`: the rule, with decoupled weight decay when it has some
    /// (`adamw` decays itself; the others are wrapped in `DecoupledWeightDecay`).
    /// - Throws: `OptimizerError` for a setting the rule refuses (`Invalid learning rate: -1`).
    public func make(for parameters: [(name: String, variable: Variable)]) throws -> any Optimizer {
        let decay = effectiveWeightDecay
        if kind == .adamw { return try AdamW(parameters, learningRate: learningRate, weightDecay: decay) }
        let rule = try makeRule(for: parameters)
        return decay > 0 ? try DecoupledWeightDecay(rule, weightDecay: decay) : rule
    }

    private func makeRule(for parameters: [(name: String, variable: Variable)]) throws -> any Optimizer {
        switch kind {
        case .sgd: return try SGD(parameters, learningRate: learningRate)
        case .momentum: return try Momentum(parameters, learningRate: learningRate, momentum: momentum)
        case .nesterov: return try Nesterov(parameters, learningRate: learningRate, momentum: momentum)
        case .adagrad: return try Adagrad(parameters, learningRate: learningRate)
        case .rmsprop: return try RMSProp(parameters, learningRate: learningRate)
        case .adam: return try Adam(parameters, learningRate: learningRate)
        case .adamw: return try AdamW(parameters, learningRate: learningRate, weightDecay: effectiveWeightDecay)
        }
    }
}
