// Programmer errors (mismatched shapes in an op, an axis out of range) stop the program with a
// message naming the op and the shapes, as Swift's own arrays do. The standard library's
// `precondition` drops its message in optimized builds, and Nabla is used built for release, so
// these module-wide replacements keep the message: inside this module they shadow the standard ones.

/// Stops with `message` if `condition` is false, in every build configuration.
@inline(__always)
func precondition(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = String(),
                  file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { stop(message(), file: file, line: line) }
}

/// Stops with `message`, in every build configuration.
@inline(__always)
func preconditionFailure(_ message: @autoclosure () -> String = String(),
                         file: StaticString = #fileID, line: UInt = #line) -> Never {
    stop(message(), file: file, line: line)
}

@inline(never)
private func stop(_ message: String, file: StaticString, line: UInt) -> Never {
    fatalError(message, file: file, line: line)
}
