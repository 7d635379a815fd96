/// Dropout with an explicit mask: `y = x ⊙ mask`, and backward `dx = g ⊙ mask`.
///
/// The mask holds 0 for dropped units and the scale of kept ones (`1 / (1 - p)` for inverted
/// dropout, see `dropoutMask`); it broadcasts against `x`. Keeping the mask outside the op makes
/// the op deterministic, so it can be gradient-checked and replayed.
public func dropout(_ x: Variable, mask: Tensor) -> Variable {
    precondition(mask.dtype == x.dtype, "dropout: input is \(x.dtype), mask is \(mask.dtype)")
    let shape = x.shape
    return Variable(op: "dropout", value: x.value * mask, inputs: [x]) { g in [(g * mask).unbroadcast(to: shape)] }
}

/// A mask for inverted dropout: each element independently 0 with probability `probability`,
/// otherwise `1 / (1 - probability)`, so that the expected value of `x ⊙ mask` is `x`.
/// With `probability == 1` every element is 0.
public func dropoutMask(_ shape: [Int], probability: Double, dtype: DType = .float32,
                        generator: inout RandomGenerator) -> Tensor {
    precondition(probability >= 0 && probability <= 1, "dropoutMask: probability must be in [0, 1], got \(probability)")
    let mask = Tensor(uninitializedShape: shape, dtype: dtype)
    let keep = probability < 1 ? 1 / (1 - probability) : 0
    switch dtype {
    case .float32: fillDropoutMask(mask.pointer(Float.self), mask.count, probability, Float(keep), &generator)
    case .float64: fillDropoutMask(mask.pointer(Double.self), mask.count, probability, keep, &generator)
    }
    return mask
}

private func fillDropoutMask<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int, _ probability: Double, _ keep: T,
                                              _ generator: inout RandomGenerator) {
    // Compare 53-bit integers rather than converting each draw to a Double: u < p ⇔ bits < p · 2⁵³.
    let threshold = UInt64(probability * 0x1p53)
    for i in 0..<n { p[i] = (generator.next() >> 11) < threshold ? 0 : keep }
}
