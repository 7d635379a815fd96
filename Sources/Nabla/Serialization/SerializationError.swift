import Foundation

/// What can go wrong when saving or loading tensors and models. Each case names the file (or the
/// source of the tensors) and reads as a sentence.
public enum SerializationError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file is not valid safetensors: `reason` says what is wrong with it.
    case invalidFile(path: String, reason: String)
    /// The file's tensor data does not match the checksum recorded when it was written: the file
    /// was damaged (a disk error, an interrupted copy, an edit) and its tensors cannot be trusted.
    case checksumMismatch(path: String)
    /// Reading, writing, creating or renaming a file failed (`reason` includes the system's message).
    case fileSystem(path: String, reason: String)
    /// The tensors cannot be written as asked (a tensor named `__metadata__`, which the format
    /// reserves).
    case invalidTensorName(String)
    /// A module lists two parameters or buffers under one name, so they cannot be saved apart.
    case duplicateName(String)
    /// The tensors from `source` do not fit the module: names it expects that are absent, names
    /// it does not know, and tensors whose shape differs from the module's.
    case stateDictMismatch(source: String, missing: [String], unexpected: [String], wrongShape: [ShapeMismatch])

    /// A tensor whose shape differs between a module and the tensors loaded into it.
    public struct ShapeMismatch: Equatable, Sendable {
        /// The dotted name (`0.weight`).
        public var name: String
        /// The shape of the module's tensor.
        public var expected: [Int]
        /// The shape of the tensor given for it.
        public var found: [Int]

        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
    }

    public var description: String {
        switch self {
        case let .invalidFile(path, reason):
            return "\(path): \(reason)".oneLine   // a tensor name from a damaged header may hold a newline
        case let .checksumMismatch(path):
            return "\(path): checksum mismatch: the file is damaged (its tensors are not the ones that were written), so it cannot be used"
        case let .fileSystem(path, reason):
            return "\(path): \(reason)"
        case let .invalidTensorName(name):
            return "Cannot write a tensor named '\(name)': safetensors reserves that key for metadata"
        case let .duplicateName(name):
            return "The module lists '\(name)' more than once; every parameter and buffer needs its own name"
        case let .stateDictMismatch(source, missing, unexpected, wrongShape):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(Self.list(missing.map { "'\($0)'" }))") }
            if !unexpected.isEmpty { parts.append("unexpected \(Self.list(unexpected.map { "'\($0)'" }))") }
            if !wrongShape.isEmpty {
                parts.append("wrong shape for " + Self.list(wrongShape.map {
                    "'\($0.name)' (model \($0.expected), found \($0.found))"
                }))
            }
            return "\(source) does not match the model (saved from another architecture?): "
                + parts.joined(separator: "; ")
        }
    }

    public var errorDescription: String? { description }

    /// The first few items, then how many more there are.
    private static func list(_ items: [String], limit: Int = 8) -> String {
        let shown = items.prefix(limit).joined(separator: ", ")
        return items.count > limit ? "\(shown) and \(items.count - limit) more" : shown
    }
}
