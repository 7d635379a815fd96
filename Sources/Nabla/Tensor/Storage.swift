import Foundation
import Synchronization

/// A tensor's memory: one 64-byte-aligned block, owned by a class so that tensors (value types)
/// can share it and copy on write.
final class TensorStorage {
    let raw: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int) {
        self.byteCount = byteCount
        self.raw = BufferPool.shared.allocate(byteCount)
    }

    /// A new storage holding the same bytes.
    func copy() -> TensorStorage {
        let other = TensorStorage(byteCount: byteCount)
        other.raw.copyMemory(from: raw, byteCount: byteCount)
        return other
    }

    deinit { BufferPool.shared.release(raw, byteCount: byteCount) }
}

/// Keeps freed blocks for reuse.
///
/// Why: a training step frees and allocates the same sizes over and over. Fresh large blocks come
/// from `mmap` and pay a page fault per 4 KiB on first touch; reusing a block that is already mapped
/// made elementwise ops several times faster. Small blocks go straight to `malloc`, which is fast
/// for them. The cache is bounded, so memory held idle stays small next to what a run uses.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Blocks smaller than this are not cached.
    private let minimumPooledBytes = 1 << 16
    /// At most this many idle bytes are kept.
    private let capacityBytes = 1 << 30
    private let alignment = 64

    private struct State {
        var free: [Int: [UnsafeMutableRawPointer]] = [:]
        var idleBytes = 0
    }
    private let state = Mutex(State())

    func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let size = Swift.max(byteCount, 1)
        if size >= minimumPooledBytes,
           let block = state.withLock({ s -> UnsafeMutableRawPointer? in
               guard let block = s.free[size]?.popLast() else { return nil }
               s.idleBytes -= size
               return block
           }) {
            return block
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: alignment)
    }

    func release(_ block: UnsafeMutableRawPointer, byteCount: Int) {
        let size = Swift.max(byteCount, 1)
        if size >= minimumPooledBytes {
            let kept = state.withLock { s -> Bool in
                guard s.idleBytes + size <= capacityBytes else { return false }
                s.free[size, default: []].append(block)
                s.idleBytes += size
                return true
            }
            if kept { return }
        }
        block.deallocate()
    }
}
