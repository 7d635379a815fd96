/// 2-D max pooling of NCHW images (see `maxPool2d` for padding and for how ties share the gradient).
/// No parameters.
public final class MaxPool2D: Module {
    public let kernel: Int
    /// The step between windows; equal to `kernel` unless given.
    public let stride: Int
    public let padding: Int

    /// - Parameters:
    ///   - kernel: the window's height and width.
    ///   - stride: the step between windows (default: `kernel`, non-overlapping).
    ///   - padding: positions added on every side, which never win (at most `kernel / 2`).
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        precondition(kernel >= 1 && self.stride >= 1 && padding >= 0 && padding <= kernel / 2,
                     "\(self): needs kernel ≥ 1, stride ≥ 1, 0 ≤ padding ≤ kernel / 2")
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        checkPoolingInput(x, kernel: kernel, padding: padding, layer: description)
        return maxPool2d(x, kernel: kernel, stride: stride, padding: padding)
    }

    public var description: String { poolingDescription("MaxPool2D", kernel, stride, padding) }
}

/// 2-D average pooling of NCHW images (see `avgPool2d`: the padding's zeros count in the mean,
/// as PyTorch does by default). No parameters.
public final class AvgPool2D: Module {
    public let kernel: Int
    /// The step between windows; equal to `kernel` unless given.
    public let stride: Int
    public let padding: Int

    /// - Parameters:
    ///   - kernel: the window's height and width.
    ///   - stride: the step between windows (default: `kernel`, non-overlapping).
    ///   - padding: zeros added on every side (at most `kernel / 2`).
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        precondition(kernel >= 1 && self.stride >= 1 && padding >= 0 && padding <= kernel / 2,
                     "\(self): needs kernel ≥ 1, stride ≥ 1, 0 ≤ padding ≤ kernel / 2")
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        checkPoolingInput(x, kernel: kernel, padding: padding, layer: description)
        return avgPool2d(x, kernel: kernel, stride: stride, padding: padding)
    }

    public var description: String { poolingDescription("AvgPool2D", kernel, stride, padding) }
}

private func poolingDescription(_ name: String, _ kernel: Int, _ stride: Int, _ padding: Int) -> String {
    "\(name)(kernel: \(kernel), stride: \(stride)\(padding == 0 ? "" : ", padding: \(padding)"))"
}

private func checkPoolingInput(_ x: Variable, kernel: Int, padding: Int, layer: String) {
    precondition(x.shape.count == 4, "\(layer): input of shape \(x.shape) is not [N, C, H, W]")
    precondition(x.shape[2] + 2 * padding >= kernel && x.shape[3] + 2 * padding >= kernel,
                 "\(layer): input of shape \(x.shape) is smaller than the \(kernel)×\(kernel) window")
}

/// Global average pooling: the mean of each channel of each image, `[N, C, H, W]` → `[N, C]` (see
/// `globalAvgPool2d`). Before the last linear layer of a convolutional network it replaces a
/// flatten with one value per channel, whatever the image size. No parameters.
public final class GlobalAvgPool2D: Module {
    public init() {}

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.count == 4, "\(description): input of shape \(x.shape) is not [N, C, H, W]")
        return globalAvgPool2d(x)
    }

    public var description: String { "GlobalAvgPool2D()" }
}
