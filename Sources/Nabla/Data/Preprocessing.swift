/// Input normalization, fitted on the training split only and applied to every split and to
/// later prediction inputs (statistics from the test data would leak it into training).
public struct Preprocessor: Codable, Equatable {
    /// What is subtracted and divided.
    public enum Method: String, Codable, CaseIterable, Sendable {
        /// Only the scale.
        case none
        /// Subtract the mean image (AlexNet style): one mean per feature/pixel.
        case meanImage = "mean-image"
        /// Subtract one mean per channel of `[N, C, H, W]` images (VGG style).
        case channelMean = "channel-mean"
        /// Zero mean and unit variance per feature.
        case standardize
    }

    public var method: Method
    /// Multiplies the raw values first (1/255 maps bytes to [0, 1]).
    public var scale: Double
    /// The shape of one example the statistics belong to.
    public var exampleShape: [Int]
    /// The subtracted means, broadcastable to one example (per feature or per channel).
    public var mean: [Float]
    /// The divisors (1 unless standardizing).
    public var standardDeviation: [Float]

    /// Fits `method` on training features `[N, …]`, after multiplying them by `scale`.
    public static func fit(_ method: Method, scale: Double = 1, on features: Tensor) -> Preprocessor {
        let shape = Array(features.shape.dropFirst())
        let x = features * scale
        switch method {
        case .none:
            return Preprocessor(method: method, scale: scale, exampleShape: shape, mean: [0], standardDeviation: [1])
        case .meanImage:
            return Preprocessor(method: method, scale: scale, exampleShape: shape,
                                mean: x.mean(alongAxes: 0).floats, standardDeviation: [1])
        case .channelMean:
            precondition(shape.count == 3, "channel-mean preprocessing needs images [N, C, H, W], got \(features.shape)")
            return Preprocessor(method: method, scale: scale, exampleShape: shape,
                                mean: x.mean(alongAxes: 0, 2, 3).floats, standardDeviation: [1])
        case .standardize:
            // A constant feature (a border pixel that is always 0) keeps divisor 1 instead of 0.
            let std = x.standardDeviation(alongAxes: [0]).floats.map { $0 > 1e-6 ? $0 : 1 }
            return Preprocessor(method: method, scale: scale, exampleShape: shape,
                                mean: x.mean(alongAxes: 0).floats, standardDeviation: std)
        }
    }

    /// Applies the fitted statistics to features `[N, …]` of the fitted example shape.
    public func apply(_ features: Tensor) -> Tensor {
        precondition(Array(features.shape.dropFirst()) == exampleShape,
                     "Preprocessor: fitted on examples of shape \(exampleShape), given \(features.shape)")
        let statShape: [Int]
        switch method {
        case .none: statShape = [1]
        case .channelMean: statShape = [exampleShape[0], 1, 1]
        case .meanImage, .standardize: statShape = exampleShape
        }
        var x = features * scale
        if method != .none {
            x -= Tensor(mean, shape: statShape).converted(to: x.dtype)
        }
        if method == .standardize {
            x /= Tensor(standardDeviation, shape: statShape).converted(to: x.dtype)
        }
        return x
    }
}
