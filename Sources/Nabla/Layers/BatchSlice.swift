import Foundation

/// The rows of a global batch that this rank computes under data-parallel training, published
/// to the layers that draw randomness per example (dropout) while a forward pass runs.
///
/// A dropout layer that sees a slice draws the masks of the whole global batch from its
/// generator and keeps its own rows: every rank's generator then advances alike, and the
/// masks of an example do not depend on how many ranks share the batch.
public struct BatchSlice: Equatable, Sendable {
    /// The first row of this rank's share.
    public var offset: Int
    /// The number of rows of the global batch.
    public var total: Int
    /// Whether the rows computed are a stand-in: a rank with no share of a batch smaller than the
    /// number of ranks computes one row with a loss weight of zero, so that it still draws the
    /// batch's dropout masks and takes part in batch norm's reductions; its rows count for nothing.
    public var isPlaceholder: Bool

    public init(offset: Int, total: Int, isPlaceholder: Bool = false) {
        self.offset = offset
        self.total = total
        self.isPlaceholder = isPlaceholder
    }

    private static let key = "Nabla.BatchSlice"

    /// The slice set by `withCurrent` on this thread, or nil (a whole batch).
    public static var current: BatchSlice? { Thread.current.threadDictionary[key] as? BatchSlice }

    /// Runs `body` with `slice` as the current one on this thread (threads are ranks in-process).
    public static func withCurrent<R>(_ slice: BatchSlice?, _ body: () throws -> R) rethrows -> R {
        let dictionary = Thread.current.threadDictionary
        let saved = dictionary[key]
        dictionary[key] = slice
        defer { dictionary[key] = saved }
        return try body()
    }
}
