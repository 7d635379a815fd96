import Dispatch
import Foundation
import Nabla

/// Elementwise ops on large Float tensors against `memcpy` of the same bytes, in the same run.
///
/// Bytes counted are those read plus those written: 3 × 4 bytes per element for `a + b`,
/// 2 × 4 for unary ops and for the copy. The copy is split over the same number of threads
/// as the tensor kernels, so both sides use the whole machine.
func benchmarkElementwise(count: Int) {
    var generator = RandomGenerator(seed: 2)
    let a = Tensor.randomUniform([count], lower: -4, upper: 4, generator: &generator)
    let b = Tensor.randomUniform([count], lower: -4, upper: 4, generator: &generator)
    let bytes = count * MemoryLayout<Float>.stride
    let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer { source.deallocate(); target.deallocate() }
    memset(source, 1, bytes)
    memset(target, 2, bytes)
    let threads = ProcessInfo.processInfo.activeProcessorCount
    var sink: Float = 0

    let copy = {
        // Chunks are multiples of 4 KiB so each thread copies whole pages.
        let chunk = ((bytes + threads - 1) / threads + 4095) & ~4095
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            let start = Swift.min(part * chunk, bytes)
            let end = Swift.min(start + chunk, bytes)
            if start < end { memcpy(target + start, source + start, end - start) }
        }
    }
    let copySingle = { memcpy(target, source, bytes); return }
    func first(_ t: Tensor) -> Float { t.withUnsafeBufferPointer(as: Float.self) { $0[0] } }
    let add = { sink += first(a + b) }
    let relu = { sink += first(Nabla.relu(a)) }
    let exp = { sink += first(Nabla.exp(a)) }

    let t = interleavedBest(rounds: 12, [copy, copySingle, add, relu, exp])
    let gb = Double(bytes) / 1e9
    let copyRate = 2 * gb / t[0]
    print("RESULT memcpy n=\(count) threads=\(threads) gbps=\(fixed(copyRate))")
    print("RESULT memcpy_1thread n=\(count) gbps=\(fixed(2 * gb / t[1]))")
    for (name, index, arrays) in [("add", 2, 3.0), ("relu", 3, 2.0), ("exp", 4, 2.0)] {
        let rate = arrays * gb / t[index]
        print("RESULT \(name) n=\(count) gbps=\(fixed(rate)) memcpy_gbps=\(fixed(copyRate))"
              + " ratio=\(fixed(rate / copyRate, 3)) ns_per_element=\(fixed(t[index] / Double(count) * 1e9, 3))")
    }
    if sink.isNaN { print("(unexpected NaN)") }
}
