/// `e^x`; its derivative is itself.
public func exp(_ x: Variable) -> Variable {
    let y = exp(x.value)
    return Variable(op: "exp", value: y, inputs: [x]) { g in [g * y] }
}

/// Natural logarithm; `d/dx = 1/x`.
public func log(_ x: Variable) -> Variable {
    let v = x.value
    return Variable(op: "log", value: log(v), inputs: [x]) { g in [g / v] }
}

/// Square root; `d/dx = 1 / (2 √x)`.
public func sqrt(_ x: Variable) -> Variable {
    let y = sqrt(x.value)
    return Variable(op: "sqrt", value: y, inputs: [x]) { g in [g / (y * 2)] }
}

/// Hyperbolic tangent; `d/dx = 1 - tanh²`.
public func tanh(_ x: Variable) -> Variable {
    let y = tanh(x.value)
    return Variable(op: "tanh", value: y, inputs: [x]) { g in [g * (1 - square(y))] }
}

/// Logistic sigmoid; `d/dx = σ (1 - σ)`.
public func sigmoid(_ x: Variable) -> Variable {
    let y = sigmoid(x.value)
    return Variable(op: "sigmoid", value: y, inputs: [x]) { g in [g * y * (1 - y)] }
}

/// `max(0, x)`. At exactly 0 the gradient is 0, as in PyTorch.
/// Backward: `g · (x > 0)` in one pass (see `reluGradient`).
public func relu(_ x: Variable) -> Variable {
    let v = x.value
    return Variable(op: "relu", value: relu(v), inputs: [x]) { g in [reluGradient(g, v)] }
}

/// Absolute value; the gradient at 0 is 0.
public func abs(_ x: Variable) -> Variable {
    let v = x.value
    return Variable(op: "abs", value: abs(v), inputs: [x]) { g in [g * sign(v)] }
}

/// Elementwise square; `d/dx = 2x`.
public func square(_ x: Variable) -> Variable {
    let v = x.value
    return Variable(op: "square", value: square(v), inputs: [x]) { g in [g * v * 2] }
}
