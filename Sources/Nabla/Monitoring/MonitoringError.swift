/// A problem while monitoring or reporting a run: a missing or damaged record, a log that cannot be
/// written, a model whose weights cannot be drawn.
public struct MonitoringError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, naming the file or the layer involved.
    public var description: String

    /// An error with this message.
    public init(_ description: String) { self.description = description }
}
