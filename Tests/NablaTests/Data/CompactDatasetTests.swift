import Foundation
import Testing
@testable import Nabla

/// Byte-valued formats stay bytes in memory and are converted a batch at a time, with the same
/// numbers as a tensor-backed data set.
@Suite struct CompactDatasetTests {
    /// `count` pseudo-random byte images of `shape` with labels `0..<classes`.
    static func byteImages(_ count: Int, shape: [Int], classes: Int = 10, seed: UInt64 = 1) -> (bytes: [UInt8], labels: [Int]) {
        var g = RandomGenerator(seed: seed)
        let bytes = (0..<(count * shape.reduce(1, *))).map { _ in UInt8(truncatingIfNeeded: g.next() >> 56) }
        return (bytes, (0..<count).map { $0 % classes })
    }

    /// The same examples stored both ways.
    static func pair(_ count: Int, shape: [Int]) -> (compact: Dataset, dense: Dataset) {
        let (bytes, labels) = byteImages(count, shape: shape)
        let compact = Dataset(bytes: bytes, exampleShape: shape, labels: labels)
        let dense = Dataset(features: Tensor(bytes.map(Float.init), shape: [count] + shape), labels: labels)
        return (compact, dense)
    }

    @Test func readsTheSameValuesAsATensor() {
        let (compact, dense) = Self.pair(30, shape: [3, 4, 5])
        #expect(compact.isCompact && !dense.isCompact)
        #expect(compact.storageByteCount == 30 * 60)
        #expect(dense.storageByteCount == 30 * 60 * 4)
        #expect(compact.exampleShape == [3, 4, 5])
        #expect(compact.features == dense.features)
        #expect(compact.features(at: [7, 2, 29]) == dense.features(at: [7, 2, 29]))
        #expect(compact.features(in: 5..<9) == dense.features(in: 5..<9))
        #expect(compact.batch([4, 1]).features == dense.batch([4, 1]).features)
        #expect(compact.batch([4, 1]).labels == [4, 1])
    }

    @Test func subsetsSlicesAndSplitsStayCompact() {
        let (compact, dense) = Self.pair(50, shape: [2, 3, 3])
        let picked = compact.subset([9, 3, 40])
        #expect(picked.isCompact && picked.storageByteCount == 3 * 18)
        #expect(picked.features == dense.subset([9, 3, 40]).features)
        #expect(picked.labels == [9, 3, 0])
        #expect(compact[10..<20].isCompact && compact[10..<20].features == dense[10..<20].features)
        let splits = compact.split(validation: 10, test: 5, seed: 3)
        let parts = [splits.train, splits.validation, splits.test]
        #expect(parts.allSatisfy { $0.isCompact })
        #expect(splits.test.features == dense.split(validation: 10, test: 5, seed: 3).test.features)
        let flat = compact.reshapedExamples([18])
        #expect(flat.isCompact && flat.features == dense.features.reshaped([50, 18]))
        let joined = Dataset.concatenated(compact[0..<20], compact[20..<50])
        #expect(joined.isCompact && joined.features == dense.features && joined.labels == dense.labels)
    }

    @Test(arguments: [Preprocessor.Method.none, .meanImage, .channelMean, .standardize])
    func preprocessingIsFittedAndAppliedAlike(method: Preprocessor.Method) {
        let (compact, dense) = Self.pair(40, shape: [3, 4, 4])
        let fromBytes = Preprocessor.fit(method, scale: 1.0 / 255, on: compact)
        let fromTensor = Preprocessor.fit(method, scale: 1.0 / 255, on: dense.features)
        #expect(fromBytes == fromTensor)
        let a = compact.preprocessed(by: fromBytes), b = dense.preprocessed(by: fromTensor)
        // The bytes are normalized when read, and stay bytes.
        #expect(a.isCompact && a.preprocessor == fromBytes && b.preprocessor == nil)
        #expect(a.features == b.features)
        #expect(a.features(at: [3, 38]) == b.features(at: [3, 38]))
        #expect(a.subset([5, 6]).features == b.subset([5, 6]).features)
    }

    @Test func fittedStatisticsAreTheTextbookOnes() {
        // Two examples of two features: [0, 255] and [255, 255], scaled to [0, 1].
        let data = Dataset(bytes: [0, 255, 255, 255], exampleShape: [2], labels: [0, 1])
        let p = Preprocessor.fit(.standardize, scale: 1.0 / 255, on: data)
        #expect(p.mean == [0.5, 1])
        // Population deviation 0.5; the constant second feature keeps divisor 1.
        #expect(p.standardDeviation == [0.5, 1])
        #expect(data.preprocessed(by: p).features == Tensor([-1, 0, 1, 0], shape: [2, 2]))
    }

    @Test func cifarSizedDataFitsInAFewHundredMegabytes() {
        // CIFAR-10's 50,000 training images, as the loader stores them: 3,072 bytes each.
        let count = 50_000, shape = [3, 32, 32]
        var g = RandomGenerator(seed: 5)
        var bytes = [UInt8](repeating: 0, count: count * 3072)
        for i in stride(from: 0, to: bytes.count, by: 97) { bytes[i] = UInt8(truncatingIfNeeded: g.next()) }
        let data = Dataset(bytes: bytes, exampleShape: shape, labels: (0..<count).map { $0 % 10 })
        #expect(data.storageByteCount == 153_600_000)  // 154 MB, where Float would be 614 MB
        let splits = data.split(validation: 1000, seed: 1)
        let p = Preprocessor.fit(.channelMean, scale: 1.0 / 255, on: splits.train)
        let train = splits.train.preprocessed(by: p)
        #expect(train.isCompact && train.storageByteCount == 49_000 * 3072)
        let batch = train.batch(Array(0..<128))
        #expect(batch.features.shape == [128, 3, 32, 32] && batch.features.dtype == .float32)
    }

    @Test func byteFormatsLoadCompactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-compact-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (bytes, labels) = Self.byteImages(12, shape: [1, 28, 28])
        let images = Tensor(bytes.map(Float.init), shape: [12, 1, 28, 28])

        try IDX.write(images: images, labels: labels, imagesPath: dir + "/i.idx", labelsPath: dir + "/l.idx")
        let mnist = try IDX.load(images: dir + "/i.idx", labels: dir + "/l.idx")
        #expect(mnist.isCompact && mnist.storageByteCount == 12 * 784)
        #expect(mnist.features == images)

        let (cifarBytes, cifarLabels) = Self.byteImages(7, shape: [3, 32, 32], seed: 2)
        let cifarImages = Tensor(cifarBytes.map(Float.init), shape: [7, 3, 32, 32])
        try CIFAR10.write(images: cifarImages, labels: cifarLabels, to: dir + "/data_batch_1.bin")
        let cifar = try CIFAR10.load(batches: [dir + "/data_batch_1.bin"])
        #expect(cifar.isCompact && cifar.storageByteCount == 7 * 3072)
        #expect(cifar.features == cifarImages && cifar.labels == cifarLabels)

        try Data(NPY.encode(descr: "|u1", shape: [12, 1, 28, 28], data: bytes)).write(to: URL(fileURLWithPath: dir + "/x.npy"))
        try NPY.write(labels: labels, to: dir + "/y.npy")
        let npy = try NPY.load(features: dir + "/x.npy", labels: dir + "/y.npy")
        #expect(npy.isCompact && npy.features == images)
    }
}
