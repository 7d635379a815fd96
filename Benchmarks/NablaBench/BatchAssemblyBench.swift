import Foundation
import Nabla

/// `batch_assembly`: what the trainer does before each `mlp_train` step — 128 shuffled examples
/// gathered from a compact MNIST-sized training set (60,000 images of 784 bytes), converted to
/// Float and normalized (scale 1/255, mean image) — timed in turns with the step itself. The issue's
/// bar: under 5% of the step. A tensor-backed copy of the same data is timed too, for the cost of
/// the conversion alone.
func benchmarkBatchAssembly(step: Workload) {
    let count = 60_000, shape = [1, 28, 28]
    var g = RandomGenerator(seed: 7)
    var bytes = [UInt8](repeating: 0, count: count * 784)
    for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: g.next() >> 56) }
    let labels = (0..<count).map { $0 % 10 }
    let raw = Dataset(bytes: bytes, exampleShape: shape, labels: labels)
    let preprocessor = Preprocessor.fit(.meanImage, scale: 1.0 / 255, on: raw)
    let compact = raw.preprocessed(by: preprocessor)
    let dense = Dataset(features: raw.features, labels: labels).preprocessed(by: preprocessor)
    var batches = compact.batchIndices(size: step.batch, shuffle: true, generator: &g)
    var next = 0
    func indices() -> [Int] {
        next = (next + 1) % batches.count
        return batches[next]
    }
    var sink: Float = 0
    let t = interleavedBest(rounds: 16, minimumSampleSeconds: 0.05, [
        step.step,
        { sink += compact.batch(indices()).features.withUnsafeBufferPointer(as: Float.self) { $0[0] } },
        { sink += dense.batch(indices()).features.withUnsafeBufferPointer(as: Float.self) { $0[0] } },
    ])
    batches.removeAll()
    print("RESULT batch_assembly batch=\(step.batch) compact_us=\(fixed(t[1] * 1e6)) tensor_us=\(fixed(t[2] * 1e6))"
          + " step_ms=\(fixed(t[0] * 1e3, 2)) share=\(fixed(t[1] / t[0] * 100, 2))% bar=5%"
          + " compact_mb=\(fixed(Double(compact.storageByteCount) / 1e6)) tensor_mb=\(fixed(Double(dense.storageByteCount) / 1e6))")
    if !sink.isFinite { print("(batch_assembly: unexpected \(sink))") }
}
