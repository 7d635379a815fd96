import Foundation
import Testing

/// `nabla gradcheck` run as a subprocess: one line per parameter tensor, a verdict, the exit code.
@Suite struct GradcheckCommandTests {
    @Test func convBatchNormModelPasses() throws {
        let run = try SanityCommandTests.nabla(["gradcheck", "--model", "conv(2, 5, stride: 3), batchnorm, relu, linear(10)", "--batch", "4"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("parameter") && $0.contains("max rel. error") })
        #expect(lines.contains { $0.hasPrefix("0.weight") && $0.contains("[2, 1, 5, 5]") && $0.contains("all 50") })
        #expect(lines.contains { $0.hasPrefix("4.weight") && $0.contains("[10, 128]") && $0.contains("50 of 1280") })
        #expect(lines.filter { $0.contains("weight") || $0.contains("bias") }.count == 6)
        #expect(lines.last!.hasPrefix("verdict: OK: 6 ok, 0 warning, 0 fail"))
    }

    @Test func reluKinksAreWarningsWithExitCode0() throws {
        // Blank MNIST borders and zero biases put every border position exactly at relu's kink.
        let run = try SanityCommandTests.nabla(["gradcheck", "--model", "conv(4, 3), relu, maxpool(2), conv(4, 3), relu, linear(10)"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("at kinks)"))
        #expect(run.stdout.split(separator: "\n").last!.hasPrefix("verdict: WARNING: "))
    }

    @Test func aCoarseStepFailsWithExitCode1() throws {
        // h = 1 is far too coarse for a curved loss: the differences miss the slope.
        let run = try SanityCommandTests.nabla(["gradcheck", "--model", "linear(10), tanh, linear(10)", "--step", "1"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("verdict: FAIL"))
        #expect(run.stdout.contains("fail"))
    }

    @Test func unknownLayerIsAOneLineError() throws {
        let run = try SanityCommandTests.nabla(["gradcheck", "--model", "linear(10), wobble"])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains("wobble"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }
}
