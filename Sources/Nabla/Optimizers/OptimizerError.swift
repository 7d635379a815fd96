import Foundation

/// What can go wrong when making an optimizer or schedule from user settings, or when loading
/// optimizer state from a checkpoint. Each case reads as a sentence (`"Invalid learning rate: -1 …"`).
public enum OptimizerError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A setting outside its range: `name` as in the message (`"learning rate"`), `requirement`
    /// what it must be.
    case invalidHyperparameter(name: String, value: Double, requirement: String)
    /// The optimizer was given no parameters (often a module that forgot to list its children).
    case emptyParameterList
    /// Two parameters have the same name, so their state could not be told apart.
    case duplicateParameter(String)
    /// One variable is listed under two names; it would be updated twice per step.
    case sharedVariable(String, String)
    /// A state entry the optimizer needs is absent.
    case missingStateEntry(String)
    /// The state holds entries this optimizer does not know (another rule's, another model's).
    case unexpectedStateEntries([String])
    /// A state tensor's shape differs from its parameter's.
    case stateShapeMismatch(key: String, expected: [Int], found: [Int])
    /// A state entry holds an impossible value (a step count of 1.5).
    case invalidStateEntry(key: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidHyperparameter(name, value, requirement):
            return "Invalid \(name): \(OptimizerError.format(value)) (expected \(requirement))"
        case .emptyParameterList:
            return "The optimizer got an empty parameter list"
        case let .duplicateParameter(name):
            return "Parameter name '\(name)' appears more than once"
        case let .sharedVariable(first, second):
            return "Parameters '\(first)' and '\(second)' are the same variable; list it once, or it is updated twice per step"
        case let .missingStateEntry(key):
            return "Optimizer state has no entry '\(key)' (was it saved by another optimizer or model?)"
        case let .unexpectedStateEntries(keys):
            let shown = keys.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            let more = keys.count > 5 ? " and \(keys.count - 5) more" : ""
            return "Optimizer state has unexpected entries \(shown)\(more) (was it saved by another optimizer or model?)"
        case let .stateShapeMismatch(key, expected, found):
            return "Optimizer state entry '\(key)' has shape \(found), but its parameter has shape \(expected)"
        case let .invalidStateEntry(key, reason):
            return "Optimizer state entry '\(key)' is invalid: \(reason)"
        }
    }

    public var errorDescription: String? { description }

    /// What a setting must satisfy.
    enum Requirement {
        /// `value >= 0`, finite (learning rates, weight decay, decay rates).
        case nonNegative
        /// `value > 0`, finite (ε: zero would divide zero by zero for a never-moving weight).
        case positive
        /// `0 <= value < 1` (momentum, β1, β2, ρ: at 1 the average never forgets).
        case unitInterval
        /// `0 < value <= 1` (factors that shrink a learning rate, where 1 means "keep it").
        case shrinkFactor
        /// `0 < value < 1` (a factor that must shrink the learning rate).
        case strictShrinkFactor
        /// A whole number `>= 0` (patience, warm-up length).
        case count
        /// A whole number `>= 1` (an interval in epochs).
        case positiveCount

        var text: String {
            switch self {
            case .nonNegative: return "a finite value >= 0"
            case .positive: return "a finite value > 0"
            case .unitInterval: return "a value in [0, 1)"
            case .shrinkFactor: return "a value in (0, 1]"
            case .strictShrinkFactor: return "a value in (0, 1)"
            case .count: return "a whole number >= 0"
            case .positiveCount: return "a whole number >= 1"
            }
        }

        func isSatisfied(by value: Double) -> Bool {
            switch self {
            case .nonNegative: return value.isFinite && value >= 0
            case .positive: return value.isFinite && value > 0
            case .unitInterval: return value >= 0 && value < 1
            case .shrinkFactor: return value > 0 && value <= 1
            case .strictShrinkFactor: return value > 0 && value < 1
            case .count: return value >= 0
            case .positiveCount: return value >= 1
            }
        }
    }

    /// Throws `invalidHyperparameter` unless `value` meets `requirement`. NaN never does.
    static func check(_ name: String, _ value: Double, _ requirement: Requirement) throws {
        guard requirement.isSatisfied(by: value) else {
            throw OptimizerError.invalidHyperparameter(name: name, value: value, requirement: requirement.text)
        }
    }

    /// Whole numbers without a decimal point (`-1`, not `-1.0`), as a user typed them.
    static func format(_ value: Double) -> String {
        if value.isFinite && value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
