import RealModule

/// Softmax cross-entropy, averaged over the batch:
/// `L = (1/N) Σ_i -log(e^{s_{i,y_i}} / Σ_j e^{s_{i,j}})`.
///
/// Computed as `log Σ_j e^{s_j - m} + m - s_y` with `m = max_j s_j`, so it stays finite for any
/// finite scores (the lectures' `-log(0) = ∞` cannot happen: scores of ±1e4 give a loss of 2e4, not
/// infinity). Fused with its backward, `(softmax(s) - onehot(y)) / N`, for stability and speed.
///
/// With label smoothing ε (Szegedy et al.; PyTorch's `label_smoothing`) the target is not the
/// one-hot row but `q = (1 - ε)·onehot(y) + ε/C`, so the model is not pushed towards infinite
/// margins: `L_i = -Σ_j q_j log p_j = log Σ_j e^{s_j} - (1 - ε)·s_y - (ε/C)·Σ_j s_j`, with
/// gradient `(softmax(s) - q) / N`. At ε = 0 it is the plain loss.
///
/// - Parameters:
///   - logits: raw class scores `[N, C]`.
///   - labels: the true class of each row, in `0..<C`.
///   - smoothing: ε in `[0, 1)`.
public func softmaxCrossEntropy(logits: Variable, labels: [Int], smoothing: Double = 0) -> Variable {
    let s = logits.value
    precondition(s.rank == 2, "softmaxCrossEntropy: logits must be [N, C], got shape \(s.shape)")
    let n = s.shape[0], c = s.shape[1]
    precondition(labels.count == n, "softmaxCrossEntropy: \(labels.count) labels for \(n) rows of logits \(s.shape)")
    if let bad = labels.first(where: { $0 < 0 || $0 >= c }) {
        preconditionFailure("softmaxCrossEntropy: label \(bad) out of range 0..<\(c)")
    }
    precondition(smoothing >= 0 && smoothing < 1, "softmaxCrossEntropy: label smoothing must be in [0, 1), got \(smoothing)")
    let probabilities = Tensor(uninitializedShape: s.shape, dtype: s.dtype)
    let loss: Double
    switch s.dtype {
    case .float32: loss = crossEntropyForward(s.pointer(Float.self), probabilities.pointer(Float.self), labels, n, c, smoothing)
    case .float64: loss = crossEntropyForward(s.pointer(Double.self), probabilities.pointer(Double.self), labels, n, c, smoothing)
    }
    let value = Tensor.scalar(loss, dtype: s.dtype)
    return Variable(op: "softmaxCrossEntropy", value: value, inputs: [logits]) { g in
        // softmax(s) - q, with q = (1 - ε)·onehot(y) + ε/C.
        var grad = smoothing > 0 ? probabilities - smoothing / Double(c) : probabilities
        for (i, y) in labels.enumerated() { grad[flat: i * c + y] -= 1 - smoothing }
        return [grad * (g.scalar / Double(n))]
    }
}

/// Writes each row's softmax into `p` and returns the mean loss (accumulated in Double), against
/// targets smoothed by `smoothing`.
private func crossEntropyForward<T: TensorScalar>(
    _ s: UnsafeMutablePointer<T>, _ p: UnsafeMutablePointer<T>, _ labels: [Int], _ n: Int, _ c: Int, _ smoothing: Double
) -> Double {
    var total = 0.0
    for i in 0..<n {
        let row = s + i * c, out = p + i * c
        var m = row[0]
        for j in 1..<c where row[j] > m { m = row[j] }
        var sum: T = 0
        for j in 0..<c {
            let e = T.exp(row[j] - m)
            out[j] = e
            sum += e
        }
        let inverse = 1 / sum
        for j in 0..<c { out[j] *= inverse }
        total += Double(T.log(sum) + m - row[labels[i]])
        if smoothing > 0 {
            // -Σ q_j log p_j = (1 - ε)·(-log p_y) + ε·mean_j(-log p_j), with -log p_j = log Σ + m - s_j.
            var rowSum = 0.0
            for j in 0..<c { rowSum += Double(row[j]) }
            let logSum = Double(T.log(sum) + m)
            total += smoothing * ((logSum - rowSum / Double(c)) - Double(T.log(sum) + m - row[labels[i]]))
        }
    }
    return total / Double(Swift.max(n, 1))
}

/// The softmax of each row of `[N, C]` scores (stable: the row maximum is subtracted first).
public func softmaxProbabilities(_ logits: Tensor) -> Tensor {
    let shifted = logits - logits.max(alongAxes: -1, keepingDims: true)
    let e = exp(shifted)
    return e / e.sum(alongAxes: -1, keepingDims: true)
}

/// The fraction of rows whose highest score is the true label.
public func accuracy(logits: Tensor, labels: [Int]) -> Double {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                 "accuracy: logits \(logits.shape) do not match \(labels.count) labels")
    guard !labels.isEmpty else { return 0 }
    let predicted = logits.argmax(alongAxis: 1)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
