/// PReLU: `x` for `x > 0`, else `a · x`, with the slope `a` learned — one shared by all inputs or
/// one per channel (axis 1: features of `[N, F]`, channels of `[N, C, H, W]`).
///
/// Initialization: every slope 0.25, as in PyTorch. Saved as `weight`, `[channels]`.
public final class PReLU: Module {
    /// The learned slopes, `[channels]`.
    public let weight: Variable
    /// 1 for a single shared slope, otherwise the size of axis 1 of the input.
    public let channels: Int

    /// - Parameters:
    ///   - channels: 1 (default) for one shared slope, or the number of channels for one each.
    ///   - initialSlope: the starting slope (0.25 unless given).
    public init(channels: Int = 1, initialSlope: Double = 0.25, dtype: DType = .float32) {
        precondition(channels > 0, "PReLU: channels must be positive, got \(channels)")
        self.channels = channels
        weight = Variable(.full([channels], value: initialSlope, dtype: dtype), requiresGrad: true)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(channels == 1 || (x.shape.count >= 2 && x.shape[1] == channels),
                     "\(self): input of shape \(x.shape) does not have \(channels) channels on axis 1")
        precondition(x.dtype == weight.dtype, "\(self): input is \(x.dtype), slopes are \(weight.dtype)")
        return prelu(x, slope: weight)
    }

    public var ownParameters: [(name: String, variable: Variable)] { [("weight", weight)] }

    public var description: String { channels == 1 ? "PReLU()" : "PReLU(channels: \(channels))" }
}
