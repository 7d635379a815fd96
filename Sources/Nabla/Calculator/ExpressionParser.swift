/// The lexer and recursive-descent parser behind `Expression.parse`.
///
/// Grammar, loosest binding first (`^` is right-associative and binds tighter than unary minus,
/// so `-x^2` is `-(x^2)` and `2^-x` is `2^(-x)`):
///
///     program   = statement { ";" statement }
///     statement = [ name "=" ] sum            (only the last statement may be unnamed)
///     sum       = product { ("+" | "-") product }
///     product   = unary { ("*" | "/") unary }
///     unary     = ("-" | "+") unary | power
///     power     = primary [ "^" unary ]
///     primary   = number | name | function "(" sum { "," sum } ")" | "(" sum ")"
///
/// Numbers are `2`, `0.5`, `.5`, `1e-3`; names are ASCII letters, digits and `_`, not starting with
/// a digit. Columns are 1-based and count characters.

/// One node of a parsed expression. A class so that each node can carry its depth, which bounds
/// the recursion of every later walk over the tree.
final class ExpressionNode {
    enum Kind {
        case number(Double)
        case name(String)
        case negate(ExpressionNode)
        case binary(Character, ExpressionNode, ExpressionNode)
        case call(ExpressionFunction, [ExpressionNode])
    }

    let kind: Kind
    /// Where the node starts (for a binary node: its operator), 1-based.
    let column: Int
    /// The length of the longest path to a leaf, counting this node.
    let depth: Int

    init(_ kind: Kind, column: Int) {
        self.kind = kind
        self.column = column
        switch kind {
        case .number, .name: depth = 1
        case .negate(let a): depth = a.depth + 1
        case .binary(_, let a, let b): depth = Swift.max(a.depth, b.depth) + 1
        case .call(_, let args): depth = (args.map(\.depth).max() ?? 0) + 1
        }
    }
}

/// The functions an expression may call.
enum ExpressionFunction: String, CaseIterable {
    case exp, log, sqrt, tanh, sigmoid, relu, abs, max, min

    /// How many arguments the function takes.
    var arity: Int { self == .max || self == .min ? 2 : 1 }
}

/// A statement `name = body`, or the unnamed last statement.
struct ExpressionStatement {
    let name: String?
    /// Where the name (or, unnamed, the body) starts.
    let column: Int
    let body: ExpressionNode
}

struct ExpressionToken {
    enum Kind: Equatable {
        case number(Double)
        case name(String)
        case symbol(Character)
        case end
    }

    let kind: Kind
    let text: String
    let column: Int

    /// How an error message quotes this token.
    var quoted: String { kind == .end ? "end of input" : "'\(text)'" }
}

enum ExpressionLexer {
    static let symbols: Set<Character> = ["+", "-", "*", "/", "^", "(", ")", ",", ";", "="]

    static func isDigit(_ c: Character) -> Bool { c >= "0" && c <= "9" }
    static func startsName(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c == "_") }
    static func continuesName(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c == "_" || isDigit(c)) }

    /// Splits `source` into tokens, ending with `.end` (whose column is one past the last character).
    static func tokenize(_ source: String) throws -> [ExpressionToken] {
        let chars = Array(source)
        var tokens: [ExpressionToken] = []
        var i = 0
        func run(from start: Int, while accept: (Character) -> Bool) -> Int {
            var j = start
            while j < chars.count, accept(chars[j]) { j += 1 }
            return j
        }
        while i < chars.count {
            let c = chars[i], start = i
            if c.isWhitespace {
                i += 1
            } else if isDigit(c) || c == "." {
                i = run(from: i, while: isDigit)
                if i < chars.count, chars[i] == "." { i = run(from: i + 1, while: isDigit) }
                if i < chars.count, chars[i] == "e" || chars[i] == "E" {
                    var j = i + 1
                    if j < chars.count, chars[j] == "+" || chars[j] == "-" { j += 1 }
                    if j < chars.count, isDigit(chars[j]) { i = run(from: j, while: isDigit) }
                }
                // A number running straight into letters, digits or dots ("2x", "1e", "1.2.3") is
                // reported whole rather than as two puzzling tokens.
                i = run(from: i) { continuesName($0) || $0 == "." }
                let text = String(chars[start..<i])
                guard let value = Double(text), !text.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) else {
                    throw ExpressionError("malformed number '\(text)'", column: start + 1, in: source)
                }
                tokens.append(ExpressionToken(kind: .number(value), text: text, column: start + 1))
            } else if startsName(c) {
                i = run(from: i, while: continuesName)
                let text = String(chars[start..<i])
                tokens.append(ExpressionToken(kind: .name(text), text: text, column: start + 1))
            } else if symbols.contains(c) {
                i += 1
                tokens.append(ExpressionToken(kind: .symbol(c), text: String(c), column: start + 1))
            } else {
                throw ExpressionError("unexpected character '\(c)'", column: start + 1, in: source)
            }
        }
        tokens.append(ExpressionToken(kind: .end, text: "", column: chars.count + 1))
        return tokens
    }
}

struct ExpressionParser {
    /// Deeper trees are refused: every walk over the tree recurses once per level.
    static let maxDepth = 4096
    /// More deeply nested parentheses, unary operators or exponents are refused: the parser
    /// recurses several calls deep for each.
    static let maxNesting = 256

    let source: String
    private var tokens: [ExpressionToken]
    private var index = 0
    /// How many unary operators and parentheses the parser is inside.
    private var nesting = 0

    init(_ source: String) throws {
        self.source = source
        self.tokens = try ExpressionLexer.tokenize(source)
    }

    private var current: ExpressionToken { tokens[index] }
    private var next: ExpressionToken { tokens[Swift.min(index + 1, tokens.count - 1)] }

    private mutating func advance() -> ExpressionToken {
        defer { if index < tokens.count - 1 { index += 1 } }
        return tokens[index]
    }

    private func isSymbol(_ c: Character) -> Bool { current.kind == .symbol(c) }

    private func error(_ message: String, at column: Int) -> ExpressionError {
        ExpressionError(message, column: column, in: source)
    }

    private func unexpected(_ token: ExpressionToken) -> ExpressionError {
        error("unexpected \(token.quoted)", at: token.column)
    }

    private func node(_ kind: ExpressionNode.Kind, at column: Int) throws -> ExpressionNode {
        let n = ExpressionNode(kind, column: column)
        guard n.depth <= Self.maxDepth else {
            throw error("expression too long (more than \(Self.maxDepth) levels of operations)", at: column)
        }
        return n
    }

    private mutating func enter(at column: Int) throws {
        nesting += 1
        guard nesting <= Self.maxNesting else {
            throw error("expression nested too deeply (more than \(Self.maxNesting) levels)", at: column)
        }
    }

    mutating func parseProgram() throws -> [ExpressionStatement] {
        var statements = [try parseStatement()]
        while isSymbol(";") {
            _ = advance()
            statements.append(try parseStatement())
        }
        guard current.kind == .end else { throw unexpected(current) }
        return statements
    }

    private mutating func parseStatement() throws -> ExpressionStatement {
        let start = current
        if case .name(let name) = start.kind, next.kind == .symbol("=") {
            guard ExpressionFunction(rawValue: name) == nil else {
                throw error("cannot assign to the function name '\(name)'", at: start.column)
            }
            _ = advance(); _ = advance()
            return ExpressionStatement(name: name, column: start.column, body: try parseSum())
        }
        return ExpressionStatement(name: nil, column: start.column, body: try parseSum())
    }

    private mutating func parseSum() throws -> ExpressionNode {
        var lhs = try parseProduct()
        while isSymbol("+") || isSymbol("-") {
            let op = advance()
            lhs = try node(.binary(Character(op.text), lhs, try parseProduct()), at: op.column)
        }
        return lhs
    }

    private mutating func parseProduct() throws -> ExpressionNode {
        var lhs = try parseUnary()
        while isSymbol("*") || isSymbol("/") {
            let op = advance()
            lhs = try node(.binary(Character(op.text), lhs, try parseUnary()), at: op.column)
        }
        return lhs
    }

    private mutating func parseUnary() throws -> ExpressionNode {
        guard isSymbol("-") || isSymbol("+") else { return try parsePower() }
        let op = advance()
        try enter(at: op.column)
        defer { nesting -= 1 }
        let operand = try parseUnary()
        return op.text == "-" ? try node(.negate(operand), at: op.column) : operand
    }

    private mutating func parsePower() throws -> ExpressionNode {
        let base = try parsePrimary()
        guard isSymbol("^") else { return base }
        let op = advance()
        try enter(at: op.column)
        defer { nesting -= 1 }
        // The exponent is a `unary`, which recurses back here: `^` groups to the right.
        return try node(.binary("^", base, try parseUnary()), at: op.column)
    }

    private mutating func parsePrimary() throws -> ExpressionNode {
        let token = advance()
        switch token.kind {
        case .number(let value):
            return try node(.number(value), at: token.column)
        case .name(let name):
            let function = ExpressionFunction(rawValue: name)
            if isSymbol("(") {
                guard let function else { throw error("unknown function '\(name)'", at: token.column) }
                return try parseCall(function, at: token)
            }
            if function != nil { throw error("expected '(' after '\(name)'", at: current.column) }
            return try node(.name(name), at: token.column)
        case .symbol("("):
            try enter(at: token.column)
            defer { nesting -= 1 }
            let inner = try parseSum()
            try close(token)
            return inner
        default:
            throw unexpected(token)
        }
    }

    private mutating func parseCall(_ function: ExpressionFunction, at name: ExpressionToken) throws -> ExpressionNode {
        let open = advance()
        try enter(at: open.column)
        defer { nesting -= 1 }
        var args = [try parseSum()]
        while isSymbol(",") {
            _ = advance()
            args.append(try parseSum())
        }
        try close(open)
        guard args.count == function.arity else {
            let plural = function.arity == 1 ? "argument" : "arguments"
            throw error("\(name.text) takes \(function.arity) \(plural) but was given \(args.count)", at: name.column)
        }
        return try node(.call(function, args), at: name.column)
    }

    /// Consumes the `)` matching `open`.
    private mutating func close(_ open: ExpressionToken) throws {
        if isSymbol(")") { _ = advance(); return }
        if current.kind == .end { throw error("unbalanced '('", at: open.column) }
        throw unexpected(current)
    }
}

/// A problem in an expression or in the values given for it, with the column where it is.
///
/// Its description is one line: `unexpected ')' at column 8 in "(x + y))"`.
public struct ExpressionError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, e.g. `unexpected ')'`.
    public let message: String
    /// The 1-based column (counting characters) in `text` where the problem is, or nil when it has
    /// no single place.
    public let column: Int?
    /// The text `column` refers to: the expression, or the `name=value` list of its values.
    public let text: String

    /// An error at `column` of `text`.
    public init(_ message: String, column: Int?, in text: String) {
        self.message = message
        self.column = column
        self.text = text
    }

    public var description: String {
        "\(message)\(column.map { " at column \($0)" } ?? "") in \"\(text)\""
    }
}
