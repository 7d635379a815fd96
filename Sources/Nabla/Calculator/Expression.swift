/// A scalar formula such as `(x + y) * z`, evaluated on the autograd graph to give its value and
/// its partial derivatives: the calculator behind `nabla grad`.
///
/// It understands `+ - * / ^` (`^` is right-associative and binds tighter than unary minus, so
/// `-x^2 = -(x^2)`), parentheses, numbers (`2`, `0.5`, `.5`, `1e-3`), variables, and the functions
/// `exp`, `log`, `sqrt`, `tanh`, `sigmoid`, `relu`, `abs`, `max(a, b)`, `min(a, b)`.
///
/// Statements separated by `;` name intermediate nodes, as in the lectures' worked graphs:
/// `c = a + b; d = b + 1; e = c * d`. The last statement is the output; it may be unnamed, and is
/// then called `f`. Every name that no statement defines is an input.
///
/// Evaluation makes each input a rank-0 float64 `Variable` that requires a gradient, builds the
/// formula from the library's differentiable ops, and calls `backward()`: this is the graph at
/// work, not a symbolic differentiator.
///
/// ```swift
/// let e = try Expression.parse("e = (a + b) * (b + 1)")
/// let result = try e.evaluate(at: ["a": 2, "b": 1])
/// // result.value == 6, result.gradients == [("a", 2), ("b", 5)]
/// ```
public struct Expression {
    /// The text the expression was parsed from.
    public let source: String
    let statements: [ExpressionStatement]
    /// The names no statement defines, which need values, in the order they first appear.
    public let inputs: [String]
    /// The names of the statements before the last, in order.
    public let intermediates: [String]
    /// The name of the last statement: its own, or `f` when it has none (`g`, `h` or `result`
    /// when `f` is taken).
    public let output: String
    /// Where each input is first used (1-based column), for error messages.
    let firstUse: [String: Int]

    /// Parses `source`, throwing an `ExpressionError` that points at the first problem.
    public static func parse(_ source: String) throws -> Expression {
        var parser = try ExpressionParser(source)
        return try Expression(source: source, statements: parser.parseProgram())
    }

    private init(source: String, statements: [ExpressionStatement]) throws {
        self.source = source
        self.statements = statements
        var defined: [String: Int] = [:]   // name → index of the statement that defines it
        for (i, statement) in statements.enumerated() {
            guard let name = statement.name else {
                if i == statements.count - 1 { continue }
                throw ExpressionError("only the last statement may be unnamed (write 'name = …')",
                                      column: statement.column, in: source)
            }
            if defined[name] != nil {
                throw ExpressionError("'\(name)' is already defined", column: statement.column, in: source)
            }
            defined[name] = i
        }
        var inputs: [String] = [], firstUse: [String: Int] = [:]
        for (i, statement) in statements.enumerated() {
            for (name, column) in Self.names(in: statement.body) {
                if let definition = defined[name] {
                    guard definition < i else {
                        throw ExpressionError("'\(name)' is used before it is defined", column: column, in: source)
                    }
                } else if firstUse[name] == nil {
                    firstUse[name] = column
                    inputs.append(name)
                }
            }
        }
        self.inputs = inputs
        self.firstUse = firstUse
        self.intermediates = statements.dropLast().compactMap(\.name)
        let taken = Set(inputs).union(defined.keys)
        self.output = statements.last!.name ?? ["f", "g", "h"].first { !taken.contains($0) } ?? "result"
    }

    /// The variable names used in `node` with their columns, left to right.
    private static func names(in node: ExpressionNode) -> [(String, Int)] {
        var found: [(String, Int)] = []
        func visit(_ node: ExpressionNode) {
            switch node.kind {
            case .number: break
            case .name(let name): found.append((name, node.column))
            case .negate(let a): visit(a)
            case .binary(_, let a, let b): visit(a); visit(b)
            case .call(_, let args): args.forEach(visit)
            }
        }
        visit(node)
        return found
    }

    /// A name and a number: a value or a partial derivative.
    public struct NamedValue: Equatable {
        /// The variable or statement name.
        public let name: String
        /// Its value, or the derivative of the output with respect to it.
        public let value: Double
    }

    /// The result of evaluating an expression.
    public struct Evaluation: Equatable {
        /// The output's name (`f` for an unnamed expression).
        public let output: String
        /// The output's value.
        public let value: Double
        /// The value of each intermediate statement, in order.
        public let intermediates: [NamedValue]
        /// The derivative of the output with respect to each input (in order of first use), then
        /// to each intermediate (in statement order).
        public let gradients: [NamedValue]

        /// The report `nabla grad` prints: intermediates (`c = 3`), the output (`e = 6`), then the
        /// partial derivatives (`de/da = 2`), numbers as `Expression.format` writes them.
        public var lines: [String] {
            intermediates.map { "\($0.name) = \(Expression.format($0.value))" }
                + ["\(output) = \(Expression.format(value))"]
                + gradients.map { "d\(output)/d\($0.name) = \(Expression.format($0.value))" }
        }
    }

    /// Evaluates the expression and all its partial derivatives with the given input values.
    ///
    /// Throws when an input has no value (pointing at its first use) or when a name in `values`
    /// is not an input. Must run with gradients enabled (not inside `withoutGradients`).
    public func evaluate(at values: [String: Double]) throws -> Evaluation {
        if let extra = values.keys.filter({ firstUse[$0] == nil }).sorted().first {
            let what = intermediates.contains(extra) || extra == output ? "is computed by" : "is not a variable of"
            throw ExpressionError("'\(extra)' \(what) the expression", column: nil, in: source)
        }
        var env: [String: Variable] = [:]
        var leaves: [(String, Variable)] = []
        for name in inputs {
            guard let value = values[name] else {
                throw ExpressionError("no value for '\(name)'", column: firstUse[name], in: source)
            }
            let leaf = Variable(.scalar(value, dtype: .float64), requiresGrad: true)
            env[name] = leaf
            leaves.append((name, leaf))
        }
        var intermediateValues: [NamedValue] = []
        var taps: [(String, Variable)] = []
        for statement in statements.dropLast() {
            let node = build(statement.body, env)
            let name = statement.name!
            // A zero leaf fed into an identity node: the gradient reaching the leaf is exactly the
            // gradient of the output with respect to this intermediate, summed over every path,
            // while the inputs still receive theirs through the node.
            let tap = Variable(.scalar(0, dtype: .float64), requiresGrad: true)
            env[name] = Variable(op: "tap", value: node.value, inputs: [node, tap]) { g in [g, g] }
            intermediateValues.append(NamedValue(name: name, value: node.value.scalar))
            taps.append((name, tap))
        }
        let result = build(statements.last!.body, env)
        // An output that depends on nothing requiring a gradient has no graph: all derivatives are 0.
        if result.requiresGrad { result.backward() }
        let gradients = (leaves + taps).map { NamedValue(name: $0.0, value: $0.1.grad?.scalar ?? 0) }
        return Evaluation(output: output, value: result.value.scalar,
                          intermediates: intermediateValues, gradients: gradients)
    }

    /// Builds `node` from the library's differentiable ops; every name is in `env` by construction.
    private func build(_ node: ExpressionNode, _ env: [String: Variable]) -> Variable {
        switch node.kind {
        case .number(let x):
            return Variable(.scalar(x, dtype: .float64))
        case .name(let name):
            return env[name]!
        case .negate(let a):
            return -build(a, env)
        case .binary(let op, let a, let b):
            let x = build(a, env), y = build(b, env)
            switch op {
            case "+": return x + y
            case "-": return x - y
            case "*": return x * y
            case "/": return x / y
            default: return power(x, y)
            }
        case .call(let function, let args):
            let xs = args.map { build($0, env) }
            switch function {
            case .exp: return exp(xs[0])
            case .log: return log(xs[0])
            case .sqrt: return sqrt(xs[0])
            case .tanh: return tanh(xs[0])
            case .sigmoid: return sigmoid(xs[0])
            case .relu: return relu(xs[0])
            case .abs: return abs(xs[0])
            case .max: return max(xs[0], xs[1])
            case .min: return min(xs[0], xs[1])
            }
        }
    }

    /// `x ^ y`. The library's `pow` follows swift-numerics, where a negative base to any power is
    /// NaN, so an integral constant exponent is multiplied out by repeated squaring (`(-2)^3 = -8`).
    /// Another constant exponent takes the `k · a^(k-1)` rule; only a variable exponent also
    /// differentiates through `ln a`, which needs a positive base.
    private func power(_ x: Variable, _ y: Variable) -> Variable {
        if y.requiresGrad { return pow(x, y) }
        let k = y.value.scalar
        guard k.rounded() == k, Swift.abs(k) <= 1_048_576 else { return pow(x, k) }
        var remaining = Int(Swift.abs(k)), base = x
        var result: Variable? = nil
        while remaining > 0 {
            if remaining & 1 == 1 { result = result.map { $0 * base } ?? base }
            remaining >>= 1
            if remaining > 0 { base = base * base }
        }
        guard let result else { return Variable(.scalar(1, dtype: .float64)) }   // x^0
        return k < 0 ? 1 / result : result
    }

    /// Writes a number as `nabla grad` prints it: integral values without a trailing `.0` (`-12`),
    /// others in the shortest form that reads back exactly (`21.085536923187668`, `1e-05`).
    public static func format(_ x: Double) -> String {
        if x.rounded() == x, Swift.abs(x) < 1e15 { return String(Int64(x)) }
        return x.description
    }
}

extension Expression: CustomStringConvertible {
    /// The expression with every operation in parentheses, showing how it was grouped:
    /// `-x^2` reads `(-(x ^ 2))`.
    public var description: String {
        statements.map { s in (s.name.map { "\($0) = " } ?? "") + Self.render(s.body) }.joined(separator: "; ")
    }

    private static func render(_ node: ExpressionNode) -> String {
        switch node.kind {
        case .number(let x): return format(x)
        case .name(let name): return name
        case .negate(let a): return "(-\(render(a)))"
        case .binary(let op, let a, let b): return "(\(render(a)) \(op) \(render(b)))"
        case .call(let f, let args): return "\(f.rawValue)(\(args.map(render).joined(separator: ", ")))"
        }
    }
}

extension Expression {
    /// One `name=value` of a value list, with the column where its name starts.
    public struct Binding: Equatable {
        /// The variable's name.
        public let name: String
        /// Its value.
        public let value: Double
        /// Where the item starts in the list (1-based).
        public let column: Int
    }

    /// Parses a comma-separated value list such as `x=-2,y=5,z=-4` (spaces allowed around each
    /// part; an empty list gives no values). Throws an `ExpressionError` pointing into `text` for
    /// an item that is not `name=number`, or a name given twice.
    public static func parseBindings(_ text: String) throws -> [Binding] {
        let chars = Array(text)
        if chars.allSatisfy(\.isWhitespace) { return [] }
        var bindings: [Binding] = []
        var start = 0
        while start <= chars.count {
            let end = chars[start...].firstIndex(of: ",") ?? chars.count
            let item = trimmed(chars, start..<end)
            let column = item.lowerBound + 1
            guard let eq = chars[item].firstIndex(of: "=") else {
                let found = item.isEmpty ? "nothing" : "'\(String(chars[item]))'"
                throw ExpressionError("expected 'name=value' but found \(found)", column: column, in: text)
            }
            let name = String(chars[trimmed(chars, item.lowerBound..<eq)])
            guard let first = name.first, ExpressionLexer.startsName(first), name.allSatisfy(ExpressionLexer.continuesName) else {
                throw ExpressionError("invalid variable name '\(name)'", column: column, in: text)
            }
            let valueRange = trimmed(chars, (eq + 1)..<item.upperBound)
            let valueText = String(chars[valueRange])
            guard let value = Double(valueText) else {
                let found = valueText.isEmpty ? "nothing" : "'\(valueText)'"
                throw ExpressionError("expected a number for '\(name)' but found \(found)",
                                      column: valueRange.lowerBound + 1, in: text)
            }
            if bindings.contains(where: { $0.name == name }) {
                throw ExpressionError("'\(name)' is given more than once", column: column, in: text)
            }
            bindings.append(Binding(name: name, value: value, column: column))
            start = end + 1
        }
        return bindings
    }

    /// `range` without the whitespace at either end.
    private static func trimmed(_ chars: [Character], _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, chars[lower].isWhitespace { lower += 1 }
        while upper > lower, chars[upper - 1].isWhitespace { upper -= 1 }
        return lower..<upper
    }

    /// Evaluates with the values of a list such as `x=-2,y=5,z=-4` (see `parseBindings`); a name
    /// the expression does not use is an error that points into the list.
    public func evaluate(bindings text: String) throws -> Evaluation {
        let bindings = try Self.parseBindings(text)
        for binding in bindings where firstUse[binding.name] == nil {
            let what = intermediates.contains(binding.name) || binding.name == output
                ? "is computed by" : "is not a variable of"
            throw ExpressionError("'\(binding.name)' \(what) the expression \"\(source)\"",
                                  column: binding.column, in: text)
        }
        return try evaluate(at: Dictionary(uniqueKeysWithValues: bindings.map { ($0.name, $0.value) }))
    }
}
