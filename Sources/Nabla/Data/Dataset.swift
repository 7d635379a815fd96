/// Examples with integer class labels: features `[N, …]` (images `[N, C, H, W]`) and one label each.
///
/// Features are held in one of two ways:
/// - as a tensor (CSV, float `.npy`, anything built in code);
/// - **compactly, as bytes**, for formats whose pixels are bytes (MNIST IDX, CIFAR-10, uint8 `.npy`):
///   one byte per value instead of four, so CIFAR-10's 60,000 images take 184 MB instead of 737 MB.
///   They become `Float` only when read — a batch at a time in training — with the data set's
///   `preprocessor` (scale, mean, deviation) applied on the way.
///
/// Either way `features`, `features(at:)` and `features(in:)` give the same `Float` values, and
/// `subset`, slicing and splitting keep the storage as it is.
public struct Dataset {
    enum Storage {
        case tensor(Tensor)
        /// Row-major values, `exampleShape.reduce(1, *)` bytes per example.
        case bytes([UInt8], exampleShape: [Int])
    }

    var storage: Storage
    /// The normalization applied whenever compact features are read (see `preprocessed(by:)`);
    /// nil for tensor storage, which is normalized once, up front.
    public private(set) var preprocessor: Preprocessor?
    /// The class of each example, in `0..<classCount`.
    public var labels: [Int]
    /// Class names, where the format has them (else "0", "1", …).
    public var classNames: [String]

    /// A data set over a features tensor `[N, …]`.
    /// - Precondition: one label per example, each in range.
    public init(features: Tensor, labels: [Int], classNames: [String]? = nil) {
        precondition(features.rank >= 1 && features.shape[0] == labels.count,
                     "Dataset: \(labels.count) labels for features of shape \(features.shape)")
        self.init(storage: .tensor(features), labels: labels, classNames: classNames)
    }

    /// A compact data set over byte values: `labels.count` examples of `exampleShape`, row-major.
    /// - Precondition: `bytes` holds exactly that many values; one label per example, each in range.
    public init(bytes: [UInt8], exampleShape: [Int], labels: [Int], classNames: [String]? = nil) {
        precondition(bytes.count == labels.count * exampleShape.reduce(1, *),
                     "Dataset: \(bytes.count) bytes for \(labels.count) examples of shape \(exampleShape)")
        self.init(storage: .bytes(bytes, exampleShape: exampleShape), labels: labels, classNames: classNames)
    }

    private init(storage: Storage, labels: [Int], classNames: [String]?) {
        let classes = classNames ?? (0..<((labels.max() ?? -1) + 1)).map(String.init)
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classes.count },
                     "Dataset: labels must lie in 0..<\(classes.count)")
        self.storage = storage
        self.labels = labels
        self.classNames = classes
    }

    /// The number of examples.
    public var count: Int { labels.count }
    /// The number of classes.
    public var classCount: Int { classNames.count }
    /// The shape of one example.
    public var exampleShape: [Int] {
        switch storage {
        case .tensor(let t): return Array(t.shape.dropFirst())
        case .bytes(_, let shape): return shape
        }
    }
    /// Whether the features are stored as bytes and converted when read.
    public var isCompact: Bool {
        if case .bytes = storage { return true }
        return false
    }
    /// The memory the features take.
    public var storageByteCount: Int {
        switch storage {
        case .tensor(let t): return t.count * t.dtype.byteSize
        case .bytes(let b, _): return b.count
        }
    }

    /// All features `[N, …]`, preprocessed. Compact data is converted in full: train in batches
    /// (`batch(_:)`, `features(in:)`) to keep it compact. Setting it stores the tensor as given.
    public var features: Tensor {
        get { features(in: 0..<count) }
        set {
            precondition(newValue.rank >= 1 && newValue.shape[0] == count,
                         "Dataset: features of shape \(newValue.shape) for \(count) examples")
            storage = .tensor(newValue)
            preprocessor = nil
        }
    }

    /// The features of the examples at `indices`, in that order, preprocessed.
    public func features(at indices: [Int]) -> Tensor {
        switch storage {
        case .tensor(let t): return t.gathering(rows: indices)
        case .bytes(let bytes, let shape):
            return convert(bytes, shape, rows: indices.count) { indices[$0] }
        }
    }

    /// The features of the examples in `range`, preprocessed.
    public func features(in range: Range<Int>) -> Tensor {
        switch storage {
        case .tensor(let t): return range == 0..<count ? t : t[rows: range]
        case .bytes(let bytes, let shape):
            return convert(bytes, shape, rows: range.count) { range.lowerBound + $0 }
        }
    }

    /// Rows of byte values as `Float` `[rows, …]`, then the preprocessor. The conversion loop is
    /// one contiguous row at a time, which the compiler vectorizes.
    private func convert(_ bytes: [UInt8], _ shape: [Int], rows: Int, row: (Int) -> Int) -> Tensor {
        let width = shape.reduce(1, *)
        let out = Tensor(uninitializedShape: [rows] + shape, dtype: .float32)
        let destination = out.pointer(Float.self)
        bytes.withUnsafeBufferPointer { source in
            for r in 0..<rows {
                let from = source.baseAddress! + row(r) * width, to = destination + r * width
                for j in 0..<width { to[j] = Float(from[j]) }
            }
        }
        return preprocessor.map { $0.apply(out) } ?? out
    }

    /// The examples at `indices`, in that order (compact data stays compact).
    public func subset(_ indices: [Int]) -> Dataset {
        var copy = self
        copy.labels = indices.map { labels[$0] }
        switch storage {
        case .tensor(let t): copy.storage = .tensor(t.gathering(rows: indices))
        case .bytes(let bytes, let shape):
            let width = shape.reduce(1, *)
            var picked = [UInt8]()
            picked.reserveCapacity(indices.count * width)
            for i in indices { picked.append(contentsOf: bytes[(i * width)..<((i + 1) * width)]) }
            copy.storage = .bytes(picked, exampleShape: shape)
        }
        return copy
    }

    /// The examples `range`.
    public subscript(range: Range<Int>) -> Dataset {
        var copy = self
        copy.labels = Array(labels[range])
        switch storage {
        case .tensor(let t): copy.storage = .tensor(t[rows: range])
        case .bytes(let bytes, let shape):
            let width = shape.reduce(1, *)
            copy.storage = .bytes(Array(bytes[(range.lowerBound * width)..<(range.upperBound * width)]), exampleShape: shape)
        }
        return copy
    }

    /// This data set with its features reshaped per example (e.g. `[784]` to `[1, 28, 28]`).
    public func reshapedExamples(_ shape: [Int]) -> Dataset {
        precondition(shape.reduce(1, *) == exampleShape.reduce(1, *),
                     "Dataset: cannot reshape examples of shape \(exampleShape) to \(shape)")
        precondition(preprocessor == nil || preprocessor!.exampleShape == shape,
                     "Dataset: reshape before preprocessing (fitted on examples of shape \(preprocessor!.exampleShape))")
        var copy = self
        switch storage {
        case .tensor(let t): copy.storage = .tensor(t.reshaped([count] + shape))
        case .bytes(let bytes, _): copy.storage = .bytes(bytes, exampleShape: shape)
        }
        return copy
    }

    /// This data set normalized by `preprocessor`: a tensor is normalized now, compact bytes
    /// whenever they are read (so they stay compact).
    /// - Precondition: not preprocessed already; examples of the shape `preprocessor` was fitted on.
    public func preprocessed(by preprocessor: Preprocessor) -> Dataset {
        precondition(self.preprocessor == nil, "Dataset: already preprocessed")
        precondition(preprocessor.exampleShape == exampleShape,
                     "Dataset: a preprocessor fitted on examples of shape \(preprocessor.exampleShape), given \(exampleShape)")
        var copy = self
        switch storage {
        case .tensor(let t): copy.storage = .tensor(preprocessor.apply(t))
        case .bytes: copy.preprocessor = preprocessor
        }
        return copy
    }

    /// The examples of `a` then those of `b`, compact when both are; the class names are `a`'s.
    /// - Precondition: the same example shape, neither preprocessed.
    public static func concatenated(_ a: Dataset, _ b: Dataset) -> Dataset {
        precondition(a.exampleShape == b.exampleShape,
                     "Dataset: cannot join examples of shape \(a.exampleShape) and \(b.exampleShape)")
        precondition(a.preprocessor == nil && b.preprocessor == nil, "Dataset: join before preprocessing")
        if case .bytes(let x, let shape) = a.storage, case .bytes(let y, _) = b.storage {
            return Dataset(bytes: x + y, exampleShape: shape, labels: a.labels + b.labels, classNames: a.classNames)
        }
        return Dataset(features: Tensor.concatenate([a.features, b.features], axis: 0),
                       labels: a.labels + b.labels, classNames: a.classNames)
    }
}

extension Dataset {
    /// Images stored channels-last (`[H, W, C]` per example, NumPy's and TensorFlow's order) turned
    /// channels-first (`[C, H, W]`, what convolutions take); compact data stays compact.
    /// - Precondition: examples of rank 3, not preprocessed.
    public func channelsFirst() -> Dataset {
        precondition(exampleShape.count == 3 && preprocessor == nil, "Dataset: channelsFirst needs raw [H, W, C] examples")
        let (h, w, c) = (exampleShape[0], exampleShape[1], exampleShape[2])
        var copy = self
        switch storage {
        case .tensor(let t): copy.storage = .tensor(t.permuted([0, 3, 1, 2]))
        case .bytes(let bytes, _):
            var out = [UInt8](repeating: 0, count: bytes.count)
            let plane = h * w, width = plane * c
            for n in 0..<count {
                for p in 0..<plane {
                    for k in 0..<c { out[n * width + k * plane + p] = bytes[n * width + p * c + k] }
                }
            }
            copy.storage = .bytes(out, exampleShape: [c, h, w])
        }
        return copy
    }
}
