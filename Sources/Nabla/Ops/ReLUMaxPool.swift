/// `maxPool2d(relu(x), kernel: 2)` in one op: ReLU, then max pooling over 2×2 windows with
/// stride 2, for NCHW images of even height and width. `Sequential` uses it for a `ReLU` followed
/// by such a `MaxPool2D`, the usual block after a convolution. It runs `maxPool2d`'s 2×2 kernel
/// (MaxPool2x2.swift) with the ReLU applied on the way.
///
/// The values and gradients are those of the two ops in turn (up to the sign of a zero gradient):
/// forward `max(relu(a), relu(b), relu(c), relu(d))` per window, compared in the same order;
/// backward, each input gets the window's output gradient split among the window's tied maxima
/// (`maxPool2d`'s rule) when it is one of them and positive (ReLU's gradient is 0 at 0 and below).
///
/// Why: the pair, done one after the other, passes over the full-size activation five times
/// (ReLU out, pool in; backward: pool's gradient out, ReLU's in and out) where this passes twice,
/// and keeps only the input (not the ReLU output too) for the backward pass. After the first
/// convolution of a small CNN the activation is the largest tensor of the step.
public func reluMaxPool2x2(_ input: Variable) -> Variable {
    let x = input.value
    precondition(x.rank == 4 && x.shape[2] % 2 == 0 && x.shape[3] % 2 == 0,
                 "reluMaxPool2x2: input must be [N, C, H, W] with even H and W, got shape \(x.shape)")
    let planes = x.shape[0] * x.shape[1], height = x.shape[2], width = x.shape[3]
    let out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], height / 2, width / 2], dtype: x.dtype)
    switch x.dtype {
    case .float32: maxPool2x2Forward(x.pointer(Float.self), out.pointer(Float.self), planes: planes, height: height, width: width, relu: true)
    case .float64: maxPool2x2Forward(x.pointer(Double.self), out.pointer(Double.self), planes: planes, height: height, width: width, relu: true)
    }
    let y = out
    return Variable(op: "reluMaxPool2x2", value: out, inputs: [input]) { gy in
        // Every input element belongs to exactly one window, which writes it.
        let gx = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32:
            maxPool2x2Backward(x.pointer(Float.self), y.pointer(Float.self), gy.pointer(Float.self), gx.pointer(Float.self),
                               planes: planes, height: height, width: width, relu: true)
        case .float64:
            maxPool2x2Backward(x.pointer(Double.self), y.pointer(Double.self), gy.pointer(Double.self), gx.pointer(Double.self),
                               planes: planes, height: height, width: width, relu: true)
        }
        return [gx]
    }
}
