/// The multiclass SVM (hinge) loss, averaged over the batch:
/// `L = (1/N) Σ_i Σ_{j≠y_i} max(0, s_{i,j} - s_{i,y_i} + margin)`.
///
/// The gradient of each active term is +1 on `s_j` and -1 on `s_y`; at exactly zero margin a term
/// counts as inactive (the subgradient 0).
public func multiclassHingeLoss(scores: Variable, labels: [Int], margin: Double = 1) -> Variable {
    let s = scores.value
    precondition(s.rank == 2, "multiclassHingeLoss: scores must be [N, C], got shape \(s.shape)")
    let n = s.shape[0], c = s.shape[1]
    precondition(labels.count == n, "multiclassHingeLoss: \(labels.count) labels for \(n) rows of scores \(s.shape)")
    if let bad = labels.first(where: { $0 < 0 || $0 >= c }) {
        preconditionFailure("multiclassHingeLoss: label \(bad) out of range 0..<\(c)")
    }
    let values = s.doubles
    var total = 0.0
    // d L / d s before the 1/N average: +1 for every active wrong class, minus their count on the true one.
    var slope = [Double](repeating: 0, count: n * c)
    for i in 0..<n {
        let y = labels[i], correct = values[i * c + y]
        for j in 0..<c where j != y {
            let term = values[i * c + j] - correct + margin
            if term > 0 {
                total += term
                slope[i * c + j] += 1
                slope[i * c + y] -= 1
            }
        }
    }
    let gradient = Tensor(slope, shape: s.shape, dtype: s.dtype)
    return Variable(op: "multiclassHinge", value: .scalar(total / Double(Swift.max(n, 1)), dtype: s.dtype),
                    inputs: [scores]) { g in
        [gradient * (g.scalar / Double(Swift.max(n, 1)))]
    }
}
