/// Whether ops record the computational graph.
public enum GradMode {
    /// True unless inside `withoutGradients`.
    public static var isEnabled: Bool { depth == 0 }
    private static var depth = 0

    /// Runs `body` without recording the graph: for evaluation and inference, where no backward pass
    /// follows, which saves the memory of the values kept for it.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        depth += 1
        defer { depth -= 1 }
        return try body()
    }
}

/// Runs `body` without recording the graph (see `GradMode.withoutGradients`).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.withoutGradients(body)
}
