import Foundation
import Testing
@testable import Nabla

/// The `nabla grad` calculator: parsing, values and gradients through the graph, and errors.
@Suite struct ExpressionTests {
    func evaluate(_ source: String, _ values: [String: Double] = [:]) throws -> Nabla.Expression.Evaluation {
        try Nabla.Expression.parse(source).evaluate(at: values)
    }

    /// The error `body` throws, or nil.
    func failure(_ body: () throws -> Any) -> ExpressionError? {
        do { _ = try body(); return nil } catch let error as ExpressionError { return error } catch { return nil }
    }

    func parseError(_ source: String) -> ExpressionError? { failure { try Nabla.Expression.parse(source) } }

    /// The derivative of `source` with respect to `name`, by centered differences in Double.
    func numericGradient(_ source: String, _ values: [String: Double], _ name: String, h: Double = 1e-6) throws -> Double {
        var plus = values, minus = values
        plus[name]! += h
        minus[name]! -= h
        return (try evaluate(source, plus).value - evaluate(source, minus).value) / (2 * h)
    }

    // MARK: The lectures' examples

    @Test func sumTimesProduct() throws {
        let r = try evaluate("(x + y) * z", ["x": -2, "y": 5, "z": -4])
        #expect(r.lines == ["f = -12", "df/dx = -4", "df/dy = -4", "df/dz = 3"])
    }

    @Test func namedExpressionWithSharedInput() throws {
        let r = try evaluate("e = (a + b) * (b + 1)", ["a": 2, "b": 1])
        #expect(r.lines == ["e = 6", "de/da = 2", "de/db = 5"])
    }

    @Test func multiStepGraphReportsIntermediates() throws {
        let e = try Nabla.Expression.parse("c = a + b; d = b + 1; e = c * d")
        #expect(e.inputs == ["a", "b"])
        #expect(e.intermediates == ["c", "d"])
        #expect(e.output == "e")
        let r = try e.evaluate(at: ["a": 2, "b": 1])
        #expect(r.lines == ["c = 3", "d = 2", "e = 6", "de/da = 2", "de/db = 5", "de/dc = 2", "de/dd = 3"])
    }

    @Test func exponentialNeuron() throws {
        let r = try evaluate("1 + exp(w1 * x + w0)", ["x": 1, "w1": 2, "w0": 1])
        let e3 = Foundation.exp(3.0)
        #expect(r.output == "f")
        #expect(Swift.abs(r.value - (1 + e3)) < 1e-12)
        #expect(r.gradients.map(\.name) == ["w1", "x", "w0"])
        for (got, want) in zip(r.gradients.map(\.value), [e3, 2 * e3, e3]) { #expect(Swift.abs(got - want) < 1e-12) }
        #expect(r.lines[0] == "f = 21.085536923187668")
    }

    @Test func intermediateGradientSumsEveryPath() throws {
        // d = c + b uses b directly and through c: dd/dc counts only c's own paths.
        let r = try evaluate("a = x; b = a * a; c = b * a; d = c + b", ["x": 3])
        #expect(r.intermediates.map(\.value) == [3, 9, 27])
        #expect(r.gradients == [.init(name: "x", value: 33), .init(name: "a", value: 33),
                                .init(name: "b", value: 4), .init(name: "c", value: 1)])
    }

    // MARK: Grammar

    @Test(arguments: [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("8 / 4 / 2", "((8 / 4) / 2)"),
        ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
        ("-x^2", "(-(x ^ 2))"),
        ("2^-x", "(2 ^ (-x))"),
        ("-x * y", "((-x) * y)"),
        ("--x", "(-(-x))"),
        ("+x", "x"),
        ("(1 + 2) * 3", "((1 + 2) * 3)"),
        ("max(a, b + 1) ^ 2", "(max(a, (b + 1)) ^ 2)"),
        ("c = a; d = c", "c = a; d = c"),
    ])
    func precedenceAndGrouping(source: String, grouped: String) throws {
        #expect(try Nabla.Expression.parse(source).description == grouped)
    }

    @Test func numbers() throws {
        #expect(try evaluate("2 + 0.5 + .5 + 1e-3 + 2E2 + 1.5e+1").value == 2 + 0.5 + 0.5 + 1e-3 + 200 + 15)
        #expect(try evaluate("-x^2", ["x": 3]).value == -9)
        #expect(try evaluate("2^3^2").value == 512)
        #expect(try evaluate("7 - 2 - 1").value == 4)
        #expect(try evaluate("2 + 3").gradients.isEmpty)
    }

    @Test func powersWithConstantAndVariableExponents() throws {
        let r = try evaluate("x^3 + 2^y + x^y", ["x": 2, "y": 3])
        #expect(r.value == 8 + 8 + 8)
        // d/dx = 3x² + y·x^(y-1); d/dy = 2^y ln 2 + x^y ln x
        #expect(r.gradients[0] == .init(name: "x", value: 12 + 12))
        #expect(Swift.abs(r.gradients[1].value - 16 * Foundation.log(2.0)) < 1e-12)
    }

    @Test(arguments: [
        ("x^3", -2.0, -8.0, 12.0), ("x^2", -3, 9, -6), ("x^-1", -2, -0.5, -0.25), ("x^0", -2, 1, 0),
        ("x^(1 + 1)", -3, 9, -6), ("x^0.5", 4, 2, 0.25), ("x^5", -1, -1, 5),
    ])
    func integralExponentsOfNegativeBases(source: String, x: Double, value: Double, slope: Double) throws {
        let r = try evaluate(source, ["x": x])
        #expect(r.value == value)
        #expect(r.gradients[0].value == slope)
    }

    // MARK: Every function, against finite differences

    @Test(arguments: [
        ("exp(x)", 0.7), ("log(x)", 0.7), ("sqrt(x)", 0.7), ("tanh(x)", 0.7), ("sigmoid(x)", 0.7),
        ("relu(x)", 0.7), ("relu(x)", -0.7), ("abs(x)", -0.7), ("abs(x)", 0.7),
        ("max(x, 2 * x - 1)", 0.3), ("max(x, 2 * x - 1)", 1.5), ("min(x, 2 * x - 1)", 0.3), ("min(x, 2 * x - 1)", 1.5),
        ("x / (1 + x^2)", 0.7), ("x^x", 0.7), ("-x^3 + 4*x", 0.7),
    ])
    func functionGradientsMatchFiniteDifferences(source: String, x: Double) throws {
        let r = try evaluate(source, ["x": x])
        let numeric = try numericGradient(source, ["x": x], "x")
        #expect(Swift.abs(r.gradients[0].value - numeric) < 1e-6, "\(source) at \(x)")
    }

    @Test func functionValues() throws {
        #expect(try evaluate("exp(0) + log(1) + sqrt(4) + tanh(0) + sigmoid(0) + relu(-3) + abs(-3)").value == 1 + 0 + 2 + 0 + 0.5 + 0 + 3)
        #expect(try evaluate("max(2, 5) + min(2, 5)").value == 7)
    }

    @Test func reluTieHasZeroGradientAndMaxTieSplits() throws {
        #expect(try evaluate("relu(x)", ["x": 0]).gradients[0].value == 0)
        let r = try evaluate("max(x, y)", ["x": 1, "y": 1])
        #expect(r.gradients.map(\.value) == [0.5, 0.5])
    }

    // MARK: Formatting and names

    @Test func numberFormatting() {
        #expect(Nabla.Expression.format(-12) == "-12")
        #expect(Nabla.Expression.format(0) == "0")
        #expect(Nabla.Expression.format(-0.0) == "0")
        #expect(Nabla.Expression.format(0.5) == "0.5")
        #expect(Nabla.Expression.format(1e20) == "1e+20")
        #expect(Nabla.Expression.format(.infinity) == "inf")
        #expect(Nabla.Expression.format(.nan) == "nan")
    }

    @Test func unnamedOutputAvoidsTakenNames() throws {
        #expect(try evaluate("f * 2", ["f": 3]).lines == ["g = 6", "dg/df = 2"])
        #expect(try evaluate("c = a; c * 2", ["a": 1]).output == "f")
    }

    @Test func outputThatIgnoresItsInputsHasZeroGradients() throws {
        let r = try evaluate("c = x * 2; e = 5", ["x": 1])
        #expect(r.gradients.map(\.value) == [0, 0])
    }

    // MARK: Errors, each with its column

    @Test(arguments: [
        ("(x + y))", "unexpected ')'", 8),
        ("(x + y", "unbalanced '('", 1),
        ("exp(x", "unbalanced '('", 4),
        ("(x y)", "unexpected 'y'", 4),
        ("foo(x)", "unknown function 'foo'", 1),
        ("max(x)", "max takes 2 arguments but was given 1", 1),
        ("1 + exp(x, y)", "exp takes 1 argument but was given 2", 5),
        ("exp + 1", "expected '(' after 'exp'", 5),
        ("x +", "unexpected end of input", 4),
        ("", "unexpected end of input", 1),
        ("x * * y", "unexpected '*'", 5),
        ("()", "unexpected ')'", 2),
        ("2x", "malformed number '2x'", 1),
        ("1.2.3", "malformed number '1.2.3'", 1),
        ("x + 1e", "malformed number '1e'", 5),
        ("x $ y", "unexpected character '$'", 3),
        ("x = 1 = 2", "unexpected '='", 7),
        ("c = a; c = b", "'c' is already defined", 8),
        ("c = c + 1", "'c' is used before it is defined", 5),
        ("a + b; c", "only the last statement may be unnamed (write 'name = …')", 1),
        ("exp = 2", "cannot assign to the function name 'exp'", 1),
        ("x;", "unexpected end of input", 3),
    ])
    func malformedExpressions(source: String, message: String, column: Int) {
        let error = parseError(source)
        #expect(error == ExpressionError(message, column: column, in: source))
    }

    @Test func errorDescriptionIsOneLine() {
        #expect(parseError("(x + y))")?.description == "unexpected ')' at column 8 in \"(x + y))\"")
    }

    @Test func tooDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "(", count: 1000) + "x" + String(repeating: ")", count: 1000)
        #expect(parseError(deep)?.column == ExpressionParser.maxNesting + 1)
        let long = Array(repeating: "x", count: ExpressionParser.maxDepth + 10).joined(separator: "+")
        #expect(parseError(long) != nil)
    }

    @Test func missingAndUnknownValues() throws {
        let e = try Nabla.Expression.parse("(x + y) * z")
        #expect(failure { try e.evaluate(at: ["x": 1, "y": 2]) } == ExpressionError("no value for 'z'", column: 11, in: "(x + y) * z"))
        #expect(failure { try e.evaluate(at: ["x": 1, "y": 2, "z": 3, "w": 4]) }
                == ExpressionError("'w' is not a variable of the expression", column: nil, in: "(x + y) * z"))
        #expect(failure { try e.evaluate(bindings: "x=1,y=2") }?.column == 11)
    }

    // MARK: Value lists

    @Test func bindingsParse() throws {
        #expect(try Nabla.Expression.parseBindings("x=-2,y=5,z=-4").map(\.value) == [-2, 5, -4])
        #expect(try Nabla.Expression.parseBindings(" a = .5 , b=1e-3").map(\.name) == ["a", "b"])
        #expect(try Nabla.Expression.parseBindings("").isEmpty)
        #expect(try Nabla.Expression.parseBindings("w1=2")[0] == .init(name: "w1", value: 2, column: 1))
    }

    @Test(arguments: [
        ("x=abc", "expected a number for 'x' but found 'abc'", 3),
        ("x", "expected 'name=value' but found 'x'", 1),
        ("x=", "expected a number for 'x' but found nothing", 3),
        ("x=1,", "expected 'name=value' but found nothing", 5),
        ("x=1,,y=2", "expected 'name=value' but found nothing", 5),
        ("1x=2", "invalid variable name '1x'", 1),
        ("=2", "invalid variable name ''", 1),
        ("x=1,x=2", "'x' is given more than once", 5),
    ])
    func malformedBindings(text: String, message: String, column: Int) {
        #expect(failure { try Nabla.Expression.parseBindings(text) } == ExpressionError(message, column: column, in: text))
    }

    @Test func bindingTheExpressionDoesNotUse() throws {
        let e = try Nabla.Expression.parse("c = x + y; e = c * z")
        #expect(failure { try e.evaluate(bindings: "x=1,y=2,z=3,w=4") }
                == ExpressionError("'w' is not a variable of the expression \"c = x + y; e = c * z\"", column: 13, in: "x=1,y=2,z=3,w=4"))
        #expect(failure { try e.evaluate(bindings: "c=1,x=1,y=2,z=3") }?.message
                == "'c' is computed by the expression \"c = x + y; e = c * z\"")
        #expect(try e.evaluate(bindings: "x=1, y=2, z=-4").value == -12)
    }
}
