/// `Initializer` as text — `xavier`, `he`, `xavier-uniform`, `he-uniform`, `gaussian:0.01`,
/// `uniform:0.1` — the form a user types and a recipe file saves.
extension Initializer: TextCodable {
    /// The names `init(parsing:)` reads, for help texts and errors.
    public static let names = "xavier, he, xavier-uniform, he-uniform, gaussian:SCALE (e.g. gaussian:0.01), uniform:SCALE"

    /// Reads an initializer's text form.
    /// - Throws: `SettingError` for the field `initializer`, listing the valid forms.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let scale = parts.count == 2 ? Double(parts[1]) : nil
        switch (parts.first ?? "", parts.count) {
        case ("xavier", 1): self = .xavier
        case ("he", 1), ("kaiming", 1): self = .he
        case ("xavier-uniform", 1): self = .xavierUniform
        case ("he-uniform", 1): self = .heUniform
        case ("gaussian", 2) where scale.map { $0 > 0 && $0.isFinite } == true: self = .gaussian(scale: scale!)
        case ("uniform", 2) where scale.map { $0 > 0 && $0.isFinite } == true: self = .uniform(scale: scale!)
        default: throw SettingError(field: "initializer", "unknown initializer '\(text)'; choose one of: \(Initializer.names)")
        }
    }

    /// The text `init(parsing:)` reads back (zeros and constants, which only biases use, have none).
    public var text: String {
        switch self {
        case .gaussian(let s): return "gaussian:\(s)"
        case .xavier: return "xavier"
        case .he: return "he"
        case .uniform(let s): return "uniform:\(s)"
        case .xavierUniform: return "xavier-uniform"
        case .heUniform: return "he-uniform"
        case .zeros: return "zeros"
        case .constant(let c): return "constant:\(c)"
        }
    }
}
