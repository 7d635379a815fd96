import Foundation
import Testing
@testable import Nabla

@Suite struct ReduceOnPlateauTests {
    /// Validation losses and the rate after each, traced by hand (patience 2, threshold 1%,
    /// factor 0.5, cooldown 1, floor 0.02):
    /// ```
    /// epoch metric  best   bad  cooldown  rate
    ///   0   1.0     1.0    0    0         0.1    first metric is the best so far
    ///   1   0.9     0.9    0    0         0.1    0.9 < 1.0 - 0.01
    ///   2   0.895   0.9    1    0         0.1    not below 0.9 - 0.009 = 0.891
    ///   3   0.9     0.9    2    0         0.1
    ///   4   0.95    0.9    3→0  1         0.05   3 > patience: cut, cooldown starts
    ///   5   0.85    0.85   0    0         0.05
    ///   6   0.86    0.85   1    0         0.05
    ///   7   0.87    0.85   2    0         0.05
    ///   8   0.88    0.85   3→0  1         0.025
    ///   9   0.89    0.85   0    0         0.025  cooldown: bad epoch not counted
    ///  10   0.9     0.85   1    0         0.025
    ///  11   0.9     0.85   2    0         0.025
    ///  12   0.9     0.85   3→0  1         0.02   0.0125 is below the floor
    ///  13   0.9     0.85   0    0         0.02
    /// ```
    static let metrics = [1.0, 0.9, 0.895, 0.9, 0.95, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.9, 0.9, 0.9]
    static let rates = [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02]

    static func make() throws -> ReduceOnPlateau {
        try ReduceOnPlateau(learningRate: 0.1, mode: .min, factor: 0.5, patience: 2, threshold: 0.01,
                            cooldown: 1, minimumLearningRate: 0.02)
    }

    @Test func cutsTheRateAfterPatienceRunsOut() throws {
        var plateau = try Self.make()
        for (epoch, (metric, rate)) in zip(Self.metrics, Self.rates).enumerated() {
            #expect(plateau.update(metric: metric) == rate, "epoch \(epoch)")
            if epoch == 3 { #expect(plateau.badEpochs == 2 && plateau.best == 0.9) }
            if epoch == 4 { #expect(plateau.badEpochs == 0 && plateau.cooldownRemaining == 1) }
        }
        #expect(plateau.best == 0.85)
    }

    @Test func maximizesAccuracyAndTreatsNaNAsNoImprovement() throws {
        var plateau = try ReduceOnPlateau(learningRate: 1, mode: .max, factor: 0.1, patience: 0, threshold: 0)
        #expect(plateau.update(metric: .nan) == 0.1)     // NaN is never an improvement
        #expect(plateau.best == nil)
        #expect(plateau.update(metric: 0.5) == 0.1)
        #expect(plateau.update(metric: 0.6) == 0.1)
        #expect(abs(plateau.update(metric: 0.6) - 0.01) < 1e-17)   // equal is not better
        #expect(plateau.best == 0.6)
    }

    @Test func resumesExactlyFromSavedJSON() throws {
        var straight = try Self.make()
        var first = try Self.make()
        for metric in Self.metrics { straight.update(metric: metric) }
        for metric in Self.metrics[..<6] { first.update(metric: metric) }
        var resumed = try JSONDecoder().decode(ReduceOnPlateau.self, from: JSONEncoder().encode(first))
        #expect(resumed == first)
        for metric in Self.metrics[6...] { resumed.update(metric: metric) }
        #expect(resumed == straight)
    }

    @Test func invalidSettingsAreClearErrors() throws {
        let cases: [(String, () throws -> ReduceOnPlateau)] = [
            ("Invalid plateau factor: 1 (expected a value in (0, 1))", { try ReduceOnPlateau(learningRate: 0.1, factor: 1) }),
            ("Invalid patience: -1 (expected a whole number >= 0)", { try ReduceOnPlateau(learningRate: 0.1, patience: -1) }),
            ("Invalid learning rate: -0.1 (expected a finite value >= 0)", { try ReduceOnPlateau(learningRate: -0.1) }),
            ("Invalid cooldown: -2 (expected a whole number >= 0)", { try ReduceOnPlateau(learningRate: 0.1, cooldown: -2) }),
        ]
        for (message, make) in cases {
            let error = #expect(throws: OptimizerError.self) { _ = try make() }
            #expect(error?.description == message)
        }
        // A saved state is user input too.
        var json = String(decoding: try JSONEncoder().encode(try Self.make()), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"factor\":0.5", with: "\"factor\":2")
        let error = #expect(throws: OptimizerError.self) {
            _ = try JSONDecoder().decode(ReduceOnPlateau.self, from: Data(json.utf8))
        }
        #expect(error?.description == "Invalid plateau factor: 2 (expected a value in (0, 1))")
    }
}
