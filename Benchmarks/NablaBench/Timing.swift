import Foundation

/// Seconds on a monotonic clock.
@inline(__always)
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The best time per call of each of `bodies`, measured in turns.
///
/// Each body first runs once as a warm-up (paging in buffers, filling the buffer pool, waking
/// BLAS threads), which also sizes its batch: enough calls to last `minimumSampleSeconds`, so
/// that short calls are not swamped by clock resolution. Then `rounds` times, each body times
/// one batch. Taking turns means a burst of load from elsewhere on the machine hits all bodies
/// alike rather than one; keeping the best sample (not the mean) discards such bursts, since
/// other processes only ever make a sample slower.
func interleavedBest(rounds: Int, minimumSampleSeconds: Double = 0.02, _ bodies: [() -> Void]) -> [Double] {
    let batches = bodies.map { body -> Int in
        let start = now()
        body()
        let once = Swift.max(now() - start, 1e-7)
        return Swift.max(1, Int((minimumSampleSeconds / once).rounded(.up)))
    }
    var best = [Double](repeating: .infinity, count: bodies.count)
    for _ in 0..<rounds {
        for (i, body) in bodies.enumerated() {
            let start = now()
            for _ in 0..<batches[i] { body() }
            best[i] = Swift.min(best[i], (now() - start) / Double(batches[i]))
        }
    }
    return best
}

/// A number printed with a fixed number of decimals.
func fixed(_ x: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", x) }

/// A body to time that measures itself: given a number of calls, it makes them and returns the
/// seconds per call (a subprocess times its own loop, leaving out the pipe's latency).
struct TimedBody {
    /// Seconds to wait before and after this body's samples (see `interleavedBestTimed`).
    var settle: Double = 0
    let run: (Int) -> Double

    /// A body of this process, timed here.
    static func inProcess(_ body: @escaping () -> Void) -> TimedBody {
        TimedBody { calls in
            let start = now()
            for _ in 0..<calls { body() }
            return (now() - start) / Double(calls)
        }
    }
}

/// `interleavedBest` for bodies that time themselves. A body with a `settle` time is preceded and
/// followed by a pause that long, so that threads still busy from the previous body (OpenBLAS's
/// workers spin for a while after each call) have gone quiet before it starts, and its own have
/// before the next one does.
func interleavedBestTimed(rounds: Int, minimumSampleSeconds: Double, _ bodies: [TimedBody]) -> [Double] {
    func settle(_ seconds: Double) { if seconds > 0 { usleep(UInt32(seconds * 1e6)) } }
    let batches = bodies.map { body -> Int in
        settle(body.settle)
        let once = Swift.max(body.run(1), 1e-7)
        settle(body.settle)
        return Swift.max(1, Int((minimumSampleSeconds / once).rounded(.up)))
    }
    var best = [Double](repeating: .infinity, count: bodies.count)
    for _ in 0..<rounds {
        for (i, body) in bodies.enumerated() {
            settle(body.settle)
            best[i] = Swift.min(best[i], body.run(batches[i]))
            settle(body.settle)
        }
    }
    return best
}
