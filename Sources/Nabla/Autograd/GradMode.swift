/// Whether ops record the computational graph.
public enum GradMode {
    // A task-local (thread-local outside of tasks), not a global: tests and data-loading threads
    // run side by side, and one thread's evaluation must not switch off another's recording.
    @TaskLocal private static var disabled = false

    /// True unless inside `withoutGradients` on this thread or task.
    public static var isEnabled: Bool { !disabled }

    /// Runs `body` without recording the graph: for evaluation and inference, where no backward pass
    /// follows, which saves the memory of the values kept for it.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try $disabled.withValue(true, operation: body)
    }
}

/// Runs `body` without recording the graph (see `GradMode.withoutGradients`).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.withoutGradients(body)
}
