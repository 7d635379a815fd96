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
    /// The decoupled weight decay of `adamw`.
    public var weightDecay: Double

    public init(_ kind: Kind = .momentum, learningRate: Double = 0.05, momentum: Double = 0.9, weightDecay: Double = 0.01) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// Checks the settings without parameters (each rule checks its own as it is built, too).
    public func validate() throws {
        _ = try make(for: [("probe", Variable(.zeros([1]), requiresGrad: true))])
    }

    /// The optimizer for `parameters`.
    /// - Throws: `OptimizerError` for a setting the rule refuses (`Invalid learning rate: -1`).
    public func make(for parameters: [(name: String, variable: Variable)]) throws -> any Optimizer {
        switch kind {
        case .sgd: return try SGD(parameters, learningRate: learningRate)
        case .momentum: return try Momentum(parameters, learningRate: learningRate, momentum: momentum)
        case .nesterov: return try Nesterov(parameters, learningRate: learningRate, momentum: momentum)
        case .adagrad: return try Adagrad(parameters, learningRate: learningRate)
        case .rmsprop: return try RMSProp(parameters, learningRate: learningRate)
        case .adam: return try Adam(parameters, learningRate: learningRate)
        case .adamw: return try AdamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
        }
    }
}
