/// A setting saved as the text a user types (`he`, `5m`, `auto`), so a recipe file reads like the
/// command line: conforming types give `init(parsing:)` and `text`, and get `Codable` from here.
public protocol TextCodable: Codable {
    /// Reads the text form; throws a `SettingError` naming what is wrong.
    init(parsing text: String) throws
    /// The text `init(parsing:)` reads back.
    var text: String { get }
}

extension TextCodable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
