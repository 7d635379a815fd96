/// Examples with integer class labels: features `[N, …]` (images `[N, C, H, W]`) and one label each.
public struct Dataset {
    /// The features, one example per entry along axis 0.
    public var features: Tensor
    /// The class of each example, in `0..<classCount`.
    public var labels: [Int]
    /// Class names, where the format has them (else "0", "1", …).
    public var classNames: [String]

    /// - Precondition: one label per example, each in range.
    public init(features: Tensor, labels: [Int], classNames: [String]? = nil) {
        precondition(features.rank >= 1 && features.shape[0] == labels.count,
                     "Dataset: \(labels.count) labels for features of shape \(features.shape)")
        let classes = classNames ?? (0..<((labels.max() ?? -1) + 1)).map(String.init)
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classes.count },
                     "Dataset: labels must lie in 0..<\(classes.count)")
        self.features = features
        self.labels = labels
        self.classNames = classes
    }

    /// The number of examples.
    public var count: Int { labels.count }
    /// The number of classes.
    public var classCount: Int { classNames.count }
    /// The shape of one example.
    public var exampleShape: [Int] { Array(features.shape.dropFirst()) }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(features: features.gathering(rows: indices), labels: indices.map { labels[$0] }, classNames: classNames)
    }

    /// The examples `range`.
    public subscript(range: Range<Int>) -> Dataset {
        Dataset(features: features[rows: range], labels: Array(labels[range]), classNames: classNames)
    }

    /// This data set with its features reshaped per example (e.g. `[784]` to `[1, 28, 28]`).
    public func reshapedExamples(_ shape: [Int]) -> Dataset {
        var copy = self
        copy.features = features.reshaped([count] + shape)
        return copy
    }
}
