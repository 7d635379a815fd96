/// Weight penalties added to the data loss: `L = (1/N) Σ L_i + λ R(W)`.
///
/// Which tensors are penalized: the weights of rank ≥ 2 (linear layers' matrices, convolution
/// filters). Biases, batch-norm scales and shifts and PReLU slopes (rank 1) are not: penalizing them
/// constrains the model without reducing overfitting, as in the lectures (which regularize W only).
public enum Regularization {
    /// The parameters a penalty applies to.
    public static func penalized(_ parameters: [(name: String, variable: Variable)]) -> [Variable] {
        parameters.filter { $0.variable.value.rank >= 2 }.map(\.variable)
    }
}

/// L2 penalty `λ Σ w²` over the penalized parameters (see `Regularization`).
public func l2Penalty(_ parameters: [(name: String, variable: Variable)], strength: Double) -> Variable? {
    let weights = Regularization.penalized(parameters)
    guard strength != 0, let first = weights.first else { return nil }
    return weights.dropFirst().reduce(square(first).sum()) { $0 + square($1).sum() } * strength
}

/// L1 penalty `λ Σ |w|` over the penalized parameters (see `Regularization`).
public func l1Penalty(_ parameters: [(name: String, variable: Variable)], strength: Double) -> Variable? {
    let weights = Regularization.penalized(parameters)
    guard strength != 0, let first = weights.first else { return nil }
    return weights.dropFirst().reduce(abs(first).sum()) { $0 + abs($1).sum() } * strength
}
