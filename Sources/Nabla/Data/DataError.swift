/// A problem with a data file or data option, naming the file and the place.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The file (or data set name) involved.
    public var file: String
    /// Where in it: "line 12", "byte 16", "record 3", or empty.
    public var location: String
    /// What is wrong, and what was expected.
    public var message: String

    public init(file: String, location: String = "", _ message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    /// One line, whatever the file held (see `oneLine`).
    public var description: String {
        (location.isEmpty ? "\(file): \(message)" : "\(file), \(location): \(message)").oneLine
    }

    /// `text` from a file, cut to `limit` characters, for a message.
    static func excerpt<S: StringProtocol>(_ text: S, limit: Int = 40) -> String {
        text.count > limit ? text.prefix(limit) + "…" : String(text)
    }
}
