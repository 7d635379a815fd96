import Dispatch
import Foundation

/// Splits loops over both cores when they are big enough to pay for it.
enum Parallel {
    /// The number of cores to use.
    static let workers = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Below this many elements, memory-bound loops run on one thread: waking a second one costs more.
    static let memoryBoundThreshold = 1 << 18
    /// Below this many elements, loops with a transcendental function per element run on one thread.
    static let computeBoundThreshold = 1 << 15

    /// Runs `body` over `0..<count` in one chunk per core if `count >= threshold`, else in one call.
    /// Chunk boundaries are multiples of 16 so that vector loops stay aligned.
    @inline(__always)
    static func chunks(_ count: Int, threshold: Int, _ body: (Range<Int>) -> Void) {
        let parts = count >= threshold ? workers : 1
        if parts == 1 {
            body(0..<count)
            return
        }
        let chunk = ((count + parts - 1) / parts + 15) & ~15
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = Swift.min(part * chunk, count)
            let end = Swift.min(start + chunk, count)
            if start < end { body(start..<end) }
        }
    }

    /// Runs `body(i)` for `i` in `0..<count`, spread over the cores when `count > 1`.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || workers == 1 {
            for i in 0..<count { body(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }
}
