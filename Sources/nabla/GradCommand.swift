import ArgumentParser
import Foundation
import Nabla

/// `nabla grad`: the value of a formula and every partial derivative, computed by building the
/// formula on the autograd graph and running `backward()`.
struct GradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "Evaluate a formula and all its partial derivatives on the autograd graph.",
        discussion: """
        The formula may use + - * / ^ (right-associative, binding tighter than unary minus: \
        -x^2 is -(x^2)), parentheses, numbers (2, 0.5, .5, 1e-3), variables, and the functions \
        exp, log, sqrt, tanh, sigmoid, relu, abs, max(a, b), min(a, b).

        Statements separated by ';' name intermediate nodes; the last statement is the output \
        (called f when it has no name). Every name no statement defines is an input and needs \
        a value in --at.

        Output: one line per intermediate value in statement order, then the output's value, \
        then the derivative of the output with respect to each input (in order of first use), \
        then to each intermediate (in statement order). Integral numbers print without '.0', \
        others in the shortest form that reads back exactly.

          $ nabla grad "(x + y) * z" --at x=-2,y=5,z=-4
          f = -12
          df/dx = -4
          df/dy = -4
          df/dz = 3

          $ nabla grad "c = a + b; d = b + 1; e = c * d" --at a=2,b=1
          c = 3
          d = 2
          e = 6
          de/da = 2
          de/db = 5
          de/dc = 2
          de/dd = 3

        A formula may start with '-': nabla grad "-x^2" --at x=3 (or, as usual, after '--').
        Errors are one line on stderr naming the column, with exit code 1.
        """
    )

    // `.allUnrecognized` keeps a formula that starts with '-' ("-x^2") from being read as options;
    // `validate()` then requires exactly one.
    @Argument(parsing: .allUnrecognized,
              help: ArgumentHelp("The formula, e.g. \"(x + y) * z\" or \"c = a + b; e = c * c\".", valueName: "expression"))
    var formula: [String] = []

    /// The words given, without the `--` terminator (which `.allUnrecognized` keeps).
    var words: [String] {
        guard let terminator = formula.firstIndex(of: "--") else { return formula }
        var words = formula
        words.remove(at: terminator)
        return words
    }

    /// The one formula given.
    var expression: String { words.first ?? "" }

    @Option(name: .long, help: ArgumentHelp("The inputs' values, e.g. x=-2,y=5,z=-4.", valueName: "name=value,..."))
    var at: String = ""

    func validate() throws {
        if words.isEmpty { throw ValidationError("Missing expected argument '<expression>'") }
        if words.count > 1 {
            throw ValidationError("expected one formula, got \(words.count) arguments (\(words.joined(separator: " "))); quote the formula")
        }
    }

    func run() throws {
        do {
            let result = try Nabla.Expression.parse(expression).evaluate(bindings: at)
            print(result.lines.joined(separator: "\n"))
        } catch let error as ExpressionError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
