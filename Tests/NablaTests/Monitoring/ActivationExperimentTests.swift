import Testing
@testable import Nabla

/// The lectures' activation-statistics experiment: the standard deviations layer by layer must
/// show what the slides show for each initialization.
@Suite struct ActivationExperimentTests {
    /// The eight runs (tanh and ReLU × 0.01, 1.0, Xavier, He), made once for all tests.
    static let runs: [String: ActivationExperiment.Result] = {
        var runs: [String: ActivationExperiment.Result] = [:]
        for nonlinearity in ActivationExperiment.Nonlinearity.allCases {
            for scale in ActivationExperiment.WeightScale.lectureCases {
                runs["\(nonlinearity) \(scale)"] = ActivationExperiment(nonlinearity: nonlinearity, weightScale: scale).run()
            }
        }
        return runs
    }()

    func result(_ nonlinearity: ActivationExperiment.Nonlinearity, _ scale: ActivationExperiment.WeightScale) -> ActivationExperiment.Result {
        Self.runs["\(nonlinearity) \(scale)"]!
    }

    func stds(_ nonlinearity: ActivationExperiment.Nonlinearity, _ scale: ActivationExperiment.WeightScale) -> [Double] {
        result(nonlinearity, scale).hidden.map(\.standardDeviation)
    }

    /// Each layer's std divided by the previous one's.
    func ratios(_ s: [Double]) -> [Double] { (1..<s.count).map { s[$0] / s[$0 - 1] } }

    @Test func inputIsUnitGaussianAndTheReportReadsLikeTheLecture() {
        let run = result(.tanh, .fixed(0.01))
        #expect(abs(run.input.mean) < 0.01)
        #expect(abs(run.input.standardDeviation - 1) < 0.01)
        #expect(run.input.shape == [1000, 500])
        #expect(run.hidden.count == 10 && run.hidden.allSatisfy { $0.shape == [1000, 500] })
        let lines = ActivationExperiment.report(run).split(separator: "\n")
        #expect(lines.count == 11)
        #expect(lines[0].hasPrefix("input layer had mean "))
        #expect(lines[1].hasPrefix("hidden layer 1 had mean ") && lines[1].contains(" and std 0.2"))
        #expect(lines[10].hasPrefix("hidden layer 10 had mean ") && lines[10].hasSuffix(" and std 0.000000"))
    }

    @Test func tanhWithSmallWeightsCollapsesToZero() {
        let s = stds(.tanh, .fixed(0.01))
        #expect(s[0] > 0.19 && s[0] < 0.24, "layer 1: 0.01 · sqrt(500) ≈ 0.22, got \(s[0])")
        #expect(ratios(s).allSatisfy { $0 > 0.18 && $0 < 0.26 }, "each layer ×≈0.22: \(s)")
        #expect(s[9] > 0 && s[9] < 1e-5, "layer 10: \(s[9])")
    }

    @Test func tanhWithUnitWeightsSaturates() {
        for layer in result(.tanh, .fixed(1.0)).hidden {
            #expect(layer.standardDeviation > 0.97 && layer.standardDeviation < 0.99, "\(layer.name): \(layer.standardDeviation)")
            // Almost every unit sits in the outermost bins of -1…1 (saturated).
            let h = layer.histogram.counts
            #expect(Double(h[0] + h[h.count - 1]) / Double(h.reduce(0, +)) > 0.85)
        }
    }

    @Test func xavierKeepsTanhHealthy() {
        let s = stds(.tanh, .xavier)
        #expect(s[0] > 0.55 && s[0] < 0.7, "layer 1: \(s[0])")
        #expect(ratios(s).allSatisfy { $0 > 0.75 && $0 < 1 }, "slow decay: \(s)")
        #expect(s[9] > 0.15 && s[9] < 0.3, "layer 10: \(s[9])")
    }

    @Test func xavierLetsReLUDecay() {
        let s = stds(.relu, .xavier)
        #expect(s[0] > 0.5 && s[0] < 0.65, "layer 1: \(s[0])")
        #expect(ratios(s).allSatisfy { $0 > 0.6 && $0 < 0.8 }, "each layer ×≈1/√2: \(s)")
        #expect(s[9] < 0.05, "layer 10: \(s[9])")
    }

    @Test func heKeepsReLUSteady() {
        let s = stds(.relu, .he)
        #expect(s.allSatisfy { $0 > 0.7 && $0 < 1.0 }, "\(s)")
        #expect(s.max()! / s.min()! < 1.3, "\(s)")
    }

    @Test func otherCombinationsBehaveAsTheTheoryPredicts() {
        let reluSmall = stds(.relu, .fixed(0.01))
        #expect(ratios(reluSmall).allSatisfy { $0 > 0.13 && $0 < 0.19 }, "×0.01·√250 ≈ 0.16: \(reluSmall)")
        let reluUnit = stds(.relu, .fixed(1.0))
        #expect(ratios(reluUnit).allSatisfy { $0 > 13 && $0 < 19 }, "×√250 ≈ 15.8: \(reluUnit)")
        let tanhHe = stds(.tanh, .he)
        let tanhXavier = stds(.tanh, .xavier)
        #expect(zip(tanhHe, tanhXavier).allSatisfy { $0 > $1 }, "He's larger weights keep tanh's std higher")
    }

    @Test func sameSeedSameNumbers() {
        let a = ActivationExperiment(nonlinearity: .relu, weightScale: .he, layerCount: 3, examples: 50, seed: 7).run()
        let b = ActivationExperiment(nonlinearity: .relu, weightScale: .he, layerCount: 3, examples: 50, seed: 7).run()
        let c = ActivationExperiment(nonlinearity: .relu, weightScale: .he, layerCount: 3, examples: 50, seed: 8).run()
        #expect(a.hidden == b.hidden && a.hidden != c.hidden)
    }

    @Test func weightScalesParse() {
        #expect(ActivationExperiment.WeightScale("0.01") == .fixed(0.01))
        #expect(ActivationExperiment.WeightScale("1.0") == .fixed(1))
        #expect(ActivationExperiment.WeightScale("Xavier") == .xavier)
        #expect(ActivationExperiment.WeightScale("he") == .he)
        #expect(ActivationExperiment.WeightScale("-1") == nil && ActivationExperiment.WeightScale("big") == nil)
        #expect(ActivationExperiment.WeightScale.lectureCases.map(\.description) == ["0.01", "1.0", "xavier", "he"])
    }
}
