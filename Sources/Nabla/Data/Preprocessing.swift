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
        precondition(features.rank >= 1, "Preprocessor: features need an examples axis, got shape \(features.shape)")
        return fit(method, scale: scale, exampleShape: Array(features.shape.dropFirst()), count: features.shape[0]) {
            features[rows: $0]
        }
    }

    /// Fits `method` on a training set's features, after multiplying them by `scale`, reading
    /// them a chunk at a time so that compact (byte) data is never converted in full.
    public static func fit(_ method: Method, scale: Double = 1, on data: Dataset) -> Preprocessor {
        fit(method, scale: scale, exampleShape: data.exampleShape, count: data.count) { data.features(in: $0) }
    }

    /// The statistics over `count` examples read by `rows`, summed in `Double` chunk by chunk:
    /// the mean in one pass, then the (population) variance around it in a second.
    private static func fit(_ method: Method, scale: Double, exampleShape shape: [Int], count: Int,
                            rows: (Range<Int>) -> Tensor) -> Preprocessor {
        if method == .none {
            return Preprocessor(method: method, scale: scale, exampleShape: shape, mean: [0], standardDeviation: [1])
        }
        precondition(method != .channelMean || shape.count == 3,
                     "channel-mean preprocessing needs images [N, C, H, W], got examples of shape \(shape)")
        // Summed over the examples, and for channel-mean over each channel's pixels too.
        let axes = method == .channelMean ? [0, 2, 3] : [0]
        let perStatistic = method == .channelMean ? shape[1] * shape[2] : 1
        let n = Double(Swift.max(count * perStatistic, 1))
        let chunk = Swift.max(1, (1 << 20) / Swift.max(shape.reduce(1, *), 1))
        func total(_ term: (Tensor) -> Tensor) -> Tensor? {
            var sum: Tensor?
            for start in stride(from: 0, to: count, by: chunk) {
                let x = rows(start..<Swift.min(start + chunk, count)).converted(to: .float64) * scale
                let s = term(x).sum(alongAxes: axes)
                sum = sum.map { $0 + s } ?? s
            }
            return sum
        }
        guard let sum = total({ $0 }) else {
            let size = method == .channelMean ? shape[0] : shape.reduce(1, *)
            return Preprocessor(method: method, scale: scale, exampleShape: shape,
                                mean: [Float](repeating: 0, count: size), standardDeviation: [1])
        }
        let mean = sum / n
        var deviation: [Float] = [1]
        if method == .standardize {
            let squares = total { x in let d = x - mean; return d * d }!
            // A constant feature (a border pixel that is always 0) keeps divisor 1 instead of 0.
            deviation = (squares / n).doubles.map { $0 > 1e-12 ? Float($0.squareRoot()) : 1 }
        }
        return Preprocessor(method: method, scale: scale, exampleShape: shape,
                            mean: mean.doubles.map { Float($0) }, standardDeviation: deviation)
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
