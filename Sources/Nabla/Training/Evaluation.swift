import Foundation

/// How well a classifier does on labelled examples: accuracy, per-class precision, recall, F1 and
/// support, and the confusion matrix (rows: true class, columns: predicted class).
///
/// ```swift
/// let p = predictProbabilities(model, data.test.features)
/// print(ClassificationReport(probabilities: p, labels: data.test.labels, classNames: data.test.classNames))
/// ```
///
/// A class that is never predicted has precision 0 (and one that never occurs, recall 0), as in
/// scikit-learn's `zero_division=0`; the table marks such undefined values with `-`.
public struct ClassificationReport: CustomStringConvertible, Codable, Equatable, Sendable {
    /// The class names, in class order.
    public var classNames: [String]
    /// `confusion[t][p]`: the examples of true class `t` predicted as class `p`.
    public var confusion: [[Int]]

    /// Counts the predictions against the labels.
    /// - Precondition: as many predictions as labels, all in `0..<classNames.count`.
    public init(predictions: [Int], labels: [Int], classNames: [String]) {
        precondition(predictions.count == labels.count,
                     "ClassificationReport: \(predictions.count) predictions for \(labels.count) labels")
        let c = classNames.count
        precondition((predictions + labels).allSatisfy { $0 >= 0 && $0 < c },
                     "ClassificationReport: predictions and labels must lie in 0..<\(c)")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: c), count: c)
        for (p, t) in zip(predictions, labels) { confusion[t][p] += 1 }
        self.classNames = classNames
        self.confusion = confusion
    }

    /// The report of the most probable class of each row of `probabilities` (or scores) `[N, C]`.
    /// - Precondition: `C == classNames.count` and one label per row.
    public init(probabilities: Tensor, labels: [Int], classNames: [String]) {
        precondition(probabilities.rank == 2 && probabilities.shape[1] == classNames.count,
                     "ClassificationReport: probabilities \(probabilities.shape) do not match \(classNames.count) classes")
        let predictions = probabilities.shape[0] == 0 ? [] : probabilities.argmax(alongAxis: 1)
        self.init(predictions: predictions, labels: labels, classNames: classNames)
    }

    /// The number of examples.
    public var count: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    /// The number of correctly classified examples (the confusion matrix's diagonal).
    public var correct: Int { confusion.indices.reduce(0) { $0 + confusion[$1][$1] } }
    /// The fraction of examples classified correctly (0 when there are none).
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }

    /// The examples of each true class (the rows' sums).
    public var support: [Int] { confusion.map { $0.reduce(0, +) } }
    /// The predictions of each class (the columns' sums).
    public var predictedCounts: [Int] { classNames.indices.map { p in confusion.reduce(0) { $0 + $1[p] } } }

    /// Per class: of the examples predicted as this class, the fraction that are (0 if none are predicted).
    public var precision: [Double] {
        zip(classNames.indices, predictedCounts).map { c, n in n == 0 ? 0 : Double(confusion[c][c]) / Double(n) }
    }

    /// Per class: of the examples of this class, the fraction predicted as it (0 if there are none).
    public var recall: [Double] {
        zip(classNames.indices, support).map { c, n in n == 0 ? 0 : Double(confusion[c][c]) / Double(n) }
    }

    /// Per class: the harmonic mean of precision and recall (0 when both are 0).
    public var f1: [Double] {
        zip(precision, recall).map { p, r in p + r == 0 ? 0 : 2 * p * r / (p + r) }
    }

    /// The unweighted means of precision, recall and F1 over the classes that occur or are predicted.
    public var macroAverage: (precision: Double, recall: Double, f1: Double) {
        let used = classNames.indices.filter { support[$0] > 0 || predictedCounts[$0] > 0 }
        guard !used.isEmpty else { return (0, 0, 0) }
        let mean = { (values: [Double]) in used.reduce(0) { $0 + values[$1] } / Double(used.count) }
        return (mean(precision), mean(recall), mean(f1))
    }

    /// The accuracy line, the per-class table and the confusion matrix, e.g.
    /// ```
    /// accuracy: 0.9480 (474 of 500)
    ///
    /// class  precision  recall  f1-score  support
    ///     0     0.9615  1.0000    0.9804       50
    /// …
    /// ```
    public var description: String {
        var lines = [String(format: "accuracy: %.4f (%d of %d)", accuracy, correct, count), ""]
        let (precision, recall, f1, support, predicted) = (self.precision, self.recall, self.f1, self.support, predictedCounts)
        let nameWidth = max(9, classNames.map(\.count).max() ?? 0)
        let header = ["precision", "recall", "f1-score", "support"]
        lines.append(pad("class", nameWidth) + header.map { "  " + $0 }.joined())
        let cell = { (value: Double, defined: Bool, width: Int) in pad(defined ? String(format: "%.4f", value) : "-", width) }
        for c in classNames.indices {
            lines.append(pad(classNames[c], nameWidth)
                         + "  " + cell(precision[c], predicted[c] > 0, 9) + "  " + cell(recall[c], support[c] > 0, 6)
                         + "  " + cell(f1[c], predicted[c] > 0 && support[c] > 0, 8) + "  " + pad(String(support[c]), 7))
        }
        let macro = macroAverage
        lines.append(pad("macro avg", nameWidth) + "  " + cell(macro.precision, true, 9) + "  " + cell(macro.recall, true, 6)
                     + "  " + cell(macro.f1, true, 8) + "  " + pad(String(count), 7))
        lines += ["", "confusion matrix (rows: true class, columns: predicted class):"]
        let width = max(classNames.map(\.count).max() ?? 1, String(confusion.joined().max() ?? 0).count)
        let rowNameWidth = max(classNames.map(\.count).max() ?? 0, 1)
        lines.append(String(repeating: " ", count: rowNameWidth) + classNames.map { " " + pad($0, width) }.joined())
        for (c, row) in confusion.enumerated() {
            lines.append(pad(classNames[c], rowNameWidth) + row.map { " " + pad(String($0), width) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

/// `text` right-aligned in `width` columns (left as is when longer).
private func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

/// The class probabilities `[N, C]` (softmax of the scores) that `model` gives `features` `[N, …]`.
///
/// Runs in evaluation mode (dropout off, batch norm on its running statistics) without recording a
/// graph, `batchSize` examples at a time. A model whose dropout or batch-norm layers were in training
/// mode is switched back to it afterwards. No examples give an empty `[0, 0]` tensor.
public func predictProbabilities(_ model: any Module, _ features: Tensor, batchSize: Int = 1000) -> Tensor {
    precondition(batchSize >= 1, "predictProbabilities: batch size must be at least 1, got \(batchSize)")
    precondition(features.rank >= 1, "predictProbabilities: features must be [N, …], got a scalar")
    let wasTraining = model.isTraining
    model.eval()
    defer { if wasTraining { model.train() } }
    let n = features.shape[0]
    var parts: [Tensor] = []
    withoutGradients {
        for start in stride(from: 0, to: n, by: batchSize) {
            let batch = features[rows: start..<min(start + batchSize, n)]
            parts.append(softmaxProbabilities(model(Variable(batch)).value))
        }
    }
    guard !parts.isEmpty else { return Tensor.zeros([0, 0], dtype: features.dtype) }
    return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0)
}

/// The ensemble's class probabilities: the mean of several models' probabilities `[N, C]`.
/// - Precondition: at least one tensor, all of the same shape.
public func ensembleProbabilities(_ probabilities: [Tensor]) -> Tensor {
    precondition(!probabilities.isEmpty, "ensembleProbabilities: no members")
    let shape = probabilities[0].shape
    for p in probabilities where p.shape != shape {
        preconditionFailure("ensembleProbabilities: members' probabilities differ in shape: \(shape) and \(p.shape)")
    }
    var sum = probabilities[0]
    for p in probabilities.dropFirst() { sum += p.converted(to: sum.dtype) }
    return sum / Double(probabilities.count)
}
