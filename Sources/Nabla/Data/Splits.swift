/// Train/validation/test splits and k-fold cross-validation, as index lists into a data set.
/// Every split is seeded and reproducible; a stratified split keeps each class's share in every part.
public enum Splits {
    /// Splits `0..<labels.count` into parts of the given sizes (the rest goes to the first part).
    ///
    /// - Parameters:
    ///   - labels: the class of each example (used only when `stratified`).
    ///   - sizes: the number of examples for every part but the first, e.g. `[validation, test]`.
    ///   - stratified: keep each class's proportion in every part (largest remainders decide the
    ///     rounding, so sizes are exact).
    /// - Returns: the parts, each a shuffled list of indices; together they cover every index once.
    public static func partition(labels: [Int], sizes: [Int], stratified: Bool, seed: UInt64) -> [[Int]] {
        let n = labels.count
        precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) <= n,
                     "Splits: part sizes \(sizes) do not fit in \(n) examples")
        var g = RandomGenerator(seed: seed)
        var parts = [[Int]](repeating: [], count: sizes.count + 1)
        if !stratified {
            let order = g.permutation(n)
            var start = n - sizes.reduce(0, +)
            parts[0] = Array(order[..<start])
            for (k, size) in sizes.enumerated() {
                parts[k + 1] = Array(order[start..<(start + size)])
                start += size
            }
            return parts
        }
        // Stratified: each class gives each part its share; rounding by largest remainders.
        var byClass: [Int: [Int]] = [:]
        for (i, y) in labels.enumerated() { byClass[y, default: []].append(i) }
        let classes = byClass.keys.sorted()
        let classSizes = classes.map { Double(byClass[$0]!.count) }
        for (k, size) in sizes.enumerated() {
            let ideal = classSizes.map { $0 * Double(size) / Double(max(n, 1)) }
            var counts = ideal.map { Int($0) }
            let order = classes.indices.sorted { (ideal[$0] - Double(counts[$0])) > (ideal[$1] - Double(counts[$1])) }
            for c in order.prefix(size - counts.reduce(0, +)) { counts[c] += 1 }
            for (c, label) in classes.enumerated() {
                var pool = byClass[label]!
                let take = min(counts[c], pool.count)
                let picked = g.permutation(pool.count).prefix(take).sorted(by: >)
                for j in picked { parts[k + 1].append(pool.remove(at: j)) }
                byClass[label] = pool
            }
        }
        parts[0] = classes.flatMap { byClass[$0]! }
        return parts.map { part in g.permutation(part.count).map { part[$0] } }
    }

    /// The number of examples a fraction (in [0, 1)) or a count (≥ 1) stands for.
    public static func size(_ amount: Double, of n: Int) -> Int {
        amount < 1 ? Int((amount * Double(n)).rounded()) : Int(amount)
    }

    /// k-fold cross-validation: the indices cut into `k` folds; each fold serves once as the
    /// validation set and the others as the training set.
    public static func kFold(labels: [Int], folds k: Int, stratified: Bool, seed: UInt64) -> [(train: [Int], validation: [Int])] {
        precondition(k >= 2 && k <= labels.count, "kFold: need 2 ≤ folds ≤ \(labels.count), got \(k)")
        let n = labels.count
        let sizes = (1..<k).map { f in n * (f + 1) / k - n * f / k }
        let parts = partition(labels: labels, sizes: sizes, stratified: stratified, seed: seed)
        return (0..<k).map { f in
            (train: (0..<k).filter { $0 != f }.flatMap { parts[$0] }, validation: parts[f])
        }
    }
}

/// A data set cut into training, validation and test parts.
public struct DataSplits {
    public var train: Dataset
    public var validation: Dataset
    public var test: Dataset
}

extension Dataset {
    /// Splits into train/validation/test. `validation` and `test` are fractions (< 1) or counts (≥ 1).
    public func split(validation: Double, test: Double = 0, stratified: Bool = false, seed: UInt64 = 0) -> DataSplits {
        let parts = Splits.partition(labels: labels,
                                     sizes: [Splits.size(validation, of: count), Splits.size(test, of: count)],
                                     stratified: stratified, seed: seed)
        return DataSplits(train: subset(parts[0]), validation: subset(parts[1]), test: subset(parts[2]))
    }

    /// The examples of each class, counted.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for y in labels { counts[y] += 1 }
        return counts
    }
}
