import Foundation
import Testing

/// `nabla sanity` run as a subprocess: the checks' lines, the verdict and the exit code.
@Suite struct SanityCommandTests {
    /// Runs the built `nabla` (found as `GradCommandTests` finds it) with `arguments`.
    static func nabla(_ arguments: [String]) throws -> GradCommandTests.Run { try GradCommandTests.run(arguments) }

    @Test func smallMLPPassesAllThreeChecks() throws {
        let run = try Self.nabla(["sanity", "--data", "mnist-5k", "--model", "linear(50), relu, linear(10)"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("1. PASS  initial loss: loss 2.3025") && $0.contains("ln(10) = 2.302585") })
        #expect(lines.contains { $0.hasPrefix("2. PASS  regularization: loss 2.3025") && $0.contains("at reg 1000") })
        #expect(lines.contains { $0.hasPrefix("3. PASS  overfit a tiny subset: training accuracy 1.000000 on 20 examples") })
        #expect(lines.last == "all 3 sanity checks passed")
        #expect(run.stderr.isEmpty)
    }

    @Test func largeWeightsFailWithExitCode1() throws {
        let run = try Self.nabla(["sanity", "--model", "linear(50), relu, linear(10)", "--init", "gaussian:10", "--epochs", "20"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("1. FAIL  initial loss: "))
        #expect(run.stdout.contains("weights are too large"))
        #expect(run.stdout.contains("sanity checks failed: initial loss"))
    }

    @Test func aModelThatDoesNotFitTheDataIsAOneLineError() throws {
        let run = try Self.nabla(["sanity", "--model", "linear(50), relu, linear(7)"])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains("end with linear(10)"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }
}
