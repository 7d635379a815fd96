/// A 2-D convolution layer over NCHW images, with the weight stored `[out, in, kH, kW]` as in PyTorch.
///
/// Default initialization: He (`randn · sqrt(2 / fanIn)` with `fanIn = in · kH · kW`) for the
/// weight, zeros for the bias.
///
/// ```swift
/// let conv = Conv2D(3, 32, kernel: 3, padding: 1)   // Conv2D(3 => 32, kernel: 3, stride: 1, padding: 1)
/// let y = conv(x)                                   // [N, 3, 32, 32] → [N, 32, 32, 32]
/// ```
public final class Conv2D: Module {
    /// `[outputChannels, inputChannels, kernelHeight, kernelWidth]`.
    public let weight: Variable
    /// `[outputChannels]`, or nil without a bias.
    public let bias: Variable?

    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    /// The step between windows, in both directions.
    public let stride: Int
    /// Zeros added on every side of each image.
    public let padding: Int

    /// - Parameters:
    ///   - inputChannels: channels of the input images.
    ///   - outputChannels: channels of the output (the number of filters).
    ///   - kernel: the window's height and width.
    ///   - stride: the step between windows.
    ///   - padding: zeros added on every side.
    ///   - bias: whether to add a learned bias per output channel.
    ///   - initializer: how the weight is drawn (fan-in `in · kH · kW`, fan-out `out · kH · kW`).
    ///   - generator: the random source, for reproducible weights.
    public init(_ inputChannels: Int, _ outputChannels: Int, kernel: (height: Int, width: Int),
                stride: Int = 1, padding: Int = 0, bias: Bool = true, initializer: Initializer = .he,
                dtype: DType = .float32, generator: inout RandomGenerator) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernel.height > 0 && kernel.width > 0,
                     "Conv2D: channels and kernel must be positive, got \(inputChannels) => \(outputChannels), kernel \(kernel.height)×\(kernel.width)")
        precondition(stride >= 1 && padding >= 0, "Conv2D: stride must be ≥ 1 and padding ≥ 0, got \(stride) and \(padding)")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelHeight = kernel.height
        self.kernelWidth = kernel.width
        self.stride = stride
        self.padding = padding
        let area = kernel.height * kernel.width
        weight = Variable(initializer.make([outputChannels, inputChannels, kernel.height, kernel.width],
                                           fanIn: inputChannels * area, fanOut: outputChannels * area,
                                           dtype: dtype, generator: &generator), requiresGrad: true)
        self.bias = bias ? Variable(.zeros([outputChannels], dtype: dtype), requiresGrad: true) : nil
    }

    /// A convolution with a square `kernel × kernel` window.
    public convenience init(_ inputChannels: Int, _ outputChannels: Int, kernel: Int,
                            stride: Int = 1, padding: Int = 0, bias: Bool = true, initializer: Initializer = .he,
                            dtype: DType = .float32, generator: inout RandomGenerator) {
        self.init(inputChannels, outputChannels, kernel: (kernel, kernel), stride: stride, padding: padding,
                  bias: bias, initializer: initializer, dtype: dtype, generator: &generator)
    }

    /// A convolution with weights from a fixed seed (0 unless given).
    public convenience init(_ inputChannels: Int, _ outputChannels: Int, kernel: (height: Int, width: Int),
                            stride: Int = 1, padding: Int = 0, bias: Bool = true, initializer: Initializer = .he,
                            dtype: DType = .float32, seed: UInt64 = 0) {
        var g = RandomGenerator(seed: seed)
        self.init(inputChannels, outputChannels, kernel: kernel, stride: stride, padding: padding,
                  bias: bias, initializer: initializer, dtype: dtype, generator: &g)
    }

    /// A convolution with a square window and weights from a fixed seed (0 unless given).
    public convenience init(_ inputChannels: Int, _ outputChannels: Int, kernel: Int,
                            stride: Int = 1, padding: Int = 0, bias: Bool = true, initializer: Initializer = .he,
                            dtype: DType = .float32, seed: UInt64 = 0) {
        self.init(inputChannels, outputChannels, kernel: (kernel, kernel), stride: stride, padding: padding,
                  bias: bias, initializer: initializer, dtype: dtype, seed: seed)
    }

    /// The output height and width for an input of the given height and width.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - kernelHeight) / stride + 1, (width + 2 * padding - kernelWidth) / stride + 1)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.count == 4, "\(self): input of shape \(x.shape) is not [N, C, H, W]")
        precondition(x.shape[1] == inputChannels,
                     "\(self): input of shape \(x.shape) has \(x.shape[1]) channels, expected \(inputChannels)")
        precondition(x.shape[2] + 2 * padding >= kernelHeight && x.shape[3] + 2 * padding >= kernelWidth,
                     "\(self): input of shape \(x.shape) is smaller than the kernel")
        precondition(x.dtype == weight.dtype, "\(self): input is \(x.dtype), weights are \(weight.dtype)")
        return conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    public var ownParameters: [(name: String, variable: Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var description: String {
        let kernel = kernelHeight == kernelWidth ? "\(kernelHeight)" : "(\(kernelHeight), \(kernelWidth))"
        return "Conv2D(\(inputChannels) => \(outputChannels), kernel: \(kernel), stride: \(stride), padding: \(padding)"
            + (bias == nil ? ", bias: false)" : ")")
    }
}
