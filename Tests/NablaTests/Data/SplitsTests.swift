import Testing
@testable import Nabla

@Suite struct SplitsTests {
    /// 100 examples: 70 of class 0, 20 of class 1, 10 of class 2.
    let labels = [Int](repeating: 0, count: 70) + [Int](repeating: 1, count: 20) + [Int](repeating: 2, count: 10)

    func counts(_ part: [Int]) -> [Int] { (0..<3).map { c in part.filter { labels[$0] == c }.count } }

    @Test(arguments: [false, true]) func partsAreDisjointAndCoverTheData(stratified: Bool) {
        let parts = Splits.partition(labels: labels, sizes: [20, 10], stratified: stratified, seed: 1)
        #expect(parts.map(\.count) == [70, 20, 10])
        #expect(Set(parts.flatMap { $0 }) == Set(0..<100))
        #expect(parts.flatMap { $0 }.count == 100)
    }

    @Test func stratifiedPartsKeepClassProportions() {
        let parts = Splits.partition(labels: labels, sizes: [20, 10], stratified: true, seed: 1)
        #expect(counts(parts[1]) == [14, 4, 2])
        #expect(counts(parts[2]) == [7, 2, 1])
        #expect(counts(parts[0]) == [49, 14, 7])
    }

    @Test func sameSeedSameSplit() {
        let a = Splits.partition(labels: labels, sizes: [30], stratified: false, seed: 5)
        let b = Splits.partition(labels: labels, sizes: [30], stratified: false, seed: 5)
        let c = Splits.partition(labels: labels, sizes: [30], stratified: false, seed: 6)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func kFoldValidationFoldsPartitionTheData() {
        let folds = Splits.kFold(labels: labels, folds: 5, stratified: true, seed: 2)
        #expect(folds.count == 5)
        #expect(Set(folds.flatMap(\.validation)) == Set(0..<100))
        for fold in folds {
            #expect(fold.validation.count == 20)
            #expect(Set(fold.train).isDisjoint(with: fold.validation))
            #expect(fold.train.count + fold.validation.count == 100)
            #expect(counts(fold.validation) == [14, 4, 2])
        }
    }

    @Test func datasetSplitByFractionsAndCounts() {
        let data = Dataset(features: Tensor.arange(0, 100).reshaped([100, 1]), labels: labels)
        let s = data.split(validation: 0.1, test: 25, stratified: true, seed: 3)
        #expect([s.train.count, s.validation.count, s.test.count] == [65, 10, 25])
        // Features travel with their labels.
        for part in [s.train, s.validation, s.test] {
            for i in 0..<part.count { #expect(labels[Int(part.features[i, 0])] == part.labels[i]) }
        }
    }
}

@Suite struct BatchesTests {
    let data = Dataset(features: Tensor.arange(0, 10).reshaped([10, 1]), labels: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])

    @Test func inOrderWithAPartialLastBatch() {
        var g = RandomGenerator(seed: 0)
        #expect(data.batchIndices(size: 4, shuffle: false, generator: &g) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        #expect(data.batchIndices(size: 4, shuffle: false, dropLast: true, generator: &g).count == 2)
    }

    @Test func shuffledEachEpochAndReproducible() {
        var g1 = RandomGenerator(seed: 9), g2 = RandomGenerator(seed: 9)
        let e1 = data.batchIndices(size: 3, shuffle: true, generator: &g1)
        let e2 = data.batchIndices(size: 3, shuffle: true, generator: &g1)
        #expect(e1 != e2)
        #expect(Set(e1.flatMap { $0 }) == Set(0..<10))
        #expect(data.batchIndices(size: 3, shuffle: true, generator: &g2) == e1)
        let batch = data.batch(e1[0])
        #expect(batch.features.floats.map(Int.init) == e1[0])
        #expect(batch.labels == e1[0].map { $0 % 2 })
    }
}

@Suite struct PreprocessingTests {
    let train = Tensor([0, 10, 2, 30, 4, 50, 6, 70], shape: [4, 2, 1, 1])

    @Test func meanImageIsFittedOnTrainingDataOnly() {
        let p = Preprocessor.fit(.meanImage, on: train)
        #expect(p.mean == [3, 40])
        #expect(p.apply(Tensor([3, 40], shape: [1, 2, 1, 1])).floats == [0, 0])
    }

    @Test func channelMeanAndStandardize() {
        let c = Preprocessor.fit(.channelMean, on: train)
        #expect(c.mean == [3, 40])
        let s = Preprocessor.fit(.standardize, scale: 0.5, on: train)
        let z = s.apply(train)
        #expect(abs(z.mean(alongAxes: 0).max().scalar) < 1e-6)
        #expect(abs(z.standardDeviation(alongAxes: [0]).floats[0] - 1) < 1e-5)
    }

    @Test func scaleMapsBytesToUnitRange() {
        let p = Preprocessor.fit(.none, scale: 1.0 / 255, on: Tensor([0, 255], shape: [2, 1]))
        #expect(p.apply(Tensor([255, 51], shape: [2, 1])).isAlmostEqual(to: Tensor([1, 0.2], shape: [2, 1])))
    }
}
