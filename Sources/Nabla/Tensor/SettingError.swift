/// A setting that is out of range or unknown, named by its field in a `TrainingRecipe`
/// (`data.validation`, `optimizer.learningRate`, `epochs`), so that each front end can name it in
/// its own terms: the command line says `--val`, a recipe file `data.validation`. Every folder
/// throws it for settings; problems with files keep their own types (`DataError`, …).
public struct SettingError: Error, CustomStringConvertible, Equatable {
    /// The recipe field, dotted.
    public var field: String
    /// What is wrong, and what would be right.
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
