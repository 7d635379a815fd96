/// Mean squared error over every element: `L = (1/M) Σ (prediction - target)²`, as PyTorch's
/// `MSELoss` with its default mean reduction. For regression.
public func meanSquaredError(predictions: Variable, targets: Tensor) -> Variable {
    precondition(predictions.shape == targets.shape,
                 "meanSquaredError: predictions \(predictions.shape) and targets \(targets.shape) differ")
    return square(predictions - Variable(targets)).mean()
}
