/// The rule every loader applies to class labels: they are `0 … C-1`, and unless the caller states
/// the class count, every class in that range has examples.
///
/// Why: a data set takes its class count from its largest label, so one stray label (200 among
/// 0–9, a typo of 1000000 in a CSV) would silently make a model with 201 or a million outputs.
public enum ClassLabels {
    /// Checks `labels` and returns the class count.
    ///
    /// - Parameters:
    ///   - file: the labels' file, for the message.
    ///   - classCount: the number of classes when the caller knows it: labels must then lie in
    ///     `0..<classCount`, and classes without examples are fine. When nil, the count is the
    ///     largest label + 1 (at least `minimumCount`), and classes with no example are an error
    ///     naming the labels above the first gap and how often each occurs.
    ///   - minimumCount: a format's usual count (MNIST's 10): fewer classes occurring is not a gap.
    ///   - location: where example `i` is in the file ("line 12", "record 3"), for the message.
    /// - Throws: `DataError` naming the file, the label and its count.
    public static func check(_ labels: [Int], file: String, classCount: Int? = nil, minimumCount: Int = 0,
                             location: (Int) -> String = { "example \($0)" }) throws -> Int {
        if let classCount {
            if let i = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
                throw DataError(file: file, location: location(i), "label \(labels[i]) is out of range for \(classCount) classes (0…\(classCount - 1))")
            }
            return classCount
        }
        guard let largest = labels.max() else { return minimumCount }
        let count = max(largest + 1, minimumCount)
        guard largest >= minimumCount else { return count }
        // Counting needs an array of `count` entries: `count` is bounded by what loaders accept
        // (labels < 1e9), and a dictionary keeps a stray huge label cheap.
        var counts: [Int: Int] = [:]
        for label in labels { counts[label, default: 0] += 1 }
        guard counts.count < count, let firstGap = (minimumCount..<count).first(where: { counts[$0] == nil }) else { return count }
        let above = counts.keys.filter { $0 > firstGap }.sorted()
        let shown = above.prefix(3).map { label in "\(label) (\(counts[label]!) example\(counts[label]! == 1 ? "" : "s"))" }
        let more = above.count > 3 ? " and \(above.count - 3) more" : ""
        let lastEmpty = above[0] - 1
        let first = labels.firstIndex(of: above[0])!
        throw DataError(file: file, location: location(first),
                        "label\(above.count == 1 ? "" : "s") \(shown.joined(separator: ", "))\(more) "
                            + "leave\(above.count == 1 ? "s" : "") \(lastEmpty > firstGap ? "classes \(firstGap) to \(lastEmpty)" : "class \(firstGap)") "
                            + "without examples; class labels must be 0…C-1 (state the number of classes if empty classes are intended)")
    }
}
