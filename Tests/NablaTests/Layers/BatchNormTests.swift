import Foundation
import Testing
@testable import Nabla

@Suite struct BatchNormTests {
    @Test func namesDescriptionAndInitialization() {
        let bn = BatchNorm(16)
        #expect(bn.description == "BatchNorm(16)")
        #expect(BatchNorm(4, epsilon: 1e-3, momentum: 0.01).description == "BatchNorm(4, epsilon: 0.001, momentum: 0.01)")
        #expect(bn.parameters().map(\.name) == ["weight", "bias"])
        #expect(bn.buffers().map(\.name) == ["running_mean", "running_var"])
        #expect(bn.gamma.value.floats.allSatisfy { $0 == 1 } && bn.beta.value.floats.allSatisfy { $0 == 0 })
        #expect(bn.runningMean.value.floats.allSatisfy { $0 == 0 } && bn.runningVariance.value.floats.allSatisfy { $0 == 1 })
        #expect(!bn.runningMean.requiresGrad)
    }

    @Test(arguments: [[6, 3], [4, 2, 3, 3]])
    func trainingGradientsMatchFiniteDifferences(_ shape: [Int]) {
        let bn = BatchNorm(shape[1], dtype: .float64)
        bn.gamma.value = seededNormals([shape[1]], seed: 71, mean: 1)
        bn.beta.value = seededNormals([shape[1]], seed: 72)
        let result = moduleGradientCheck(bn, input: seededNormals(shape, seed: 73, mean: 2, standardDeviation: 3), step: 1e-5)
        #expect(result.maxRelativeError < 1e-6, "\(shape): \(result)")
    }

    @Test(arguments: [[6, 3], [4, 2, 3, 3]])
    func evaluationGradientsMatchFiniteDifferences(_ shape: [Int]) {
        let bn = BatchNorm(shape[1], dtype: .float64)
        for seed in 0..<3 { _ = bn(Variable(seededNormals(shape, seed: 74 + UInt64(seed), mean: 1))) }
        bn.eval()
        bn.gamma.value = seededNormals([shape[1]], seed: 77, mean: 1)
        let result = moduleGradientCheck(bn, input: seededNormals(shape, seed: 78), step: 1e-4)
        #expect(result.maxRelativeError < 1e-6, "\(shape): \(result)")
    }

    /// After three batches the running statistics equal the momentum average computed by hand:
    /// `running = 0.9 · running + 0.1 · batch`, starting from mean 0 and variance 1, with the
    /// unbiased batch variance (as PyTorch keeps it).
    @Test(arguments: [[5, 2], [3, 2, 2, 3]])
    func runningStatisticsFollowTheMomentumAverage(_ shape: [Int]) {
        let bn = BatchNorm(2, dtype: .float64)
        var mean: [Double] = [0, 0], variance: [Double] = [1, 1]
        for step in 0..<3 {
            let x = seededNormals(shape, seed: 80 + UInt64(step), mean: Double(step) + 1, standardDeviation: 2)
            _ = bn(Variable(x))
            for c in 0..<2 {
                let values = x.slice(axis: 1, c..<(c + 1)).doubles
                let m = values.reduce(0, +) / Double(values.count)
                let unbiased = values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)
                mean[c] = 0.9 * mean[c] + 0.1 * m
                variance[c] = 0.9 * variance[c] + 0.1 * unbiased
            }
        }
        #expect(bn.runningMean.value.isAlmostEqual(to: Tensor(mean, shape: [2], dtype: .float64), tolerance: 1e-12))
        #expect(bn.runningVariance.value.isAlmostEqual(to: Tensor(variance, shape: [2], dtype: .float64), tolerance: 1e-12))
    }

    @Test func evaluationUsesTheRunningStatisticsNotTheBatch() {
        let bn = BatchNorm(2, dtype: .float64)
        for step in 0..<4 { _ = bn(Variable(seededNormals([8, 2, 3, 3], seed: 90 + UInt64(step), mean: 5))) }
        bn.gamma.value = Tensor([2, 0.5], shape: [2], dtype: .float64)
        bn.beta.value = Tensor([1, -1], shape: [2], dtype: .float64)
        let mean = bn.runningMean.value, variance = bn.runningVariance.value
        bn.eval()
        let x = seededNormals([3, 2, 3, 3], seed: 95, mean: -4)
        let y = bn(Variable(x)).value
        let fs = [1, 2, 1, 1]
        let expected = (x - mean.reshaped(fs)) / sqrt(variance.reshaped(fs) + 1e-5) * bn.gamma.value.reshaped(fs) + bn.beta.value.reshaped(fs)
        #expect(y.isAlmostEqual(to: expected, tolerance: 1e-12))
        // Evaluation leaves the running statistics alone, and the batch's own statistics are not used.
        #expect(bn.runningMean.value == mean && bn.runningVariance.value == variance)
        #expect(abs(y.mean(alongAxes: [0, 2, 3])[0] - 1) > 1)
        // Back in training mode the batch is normalized by its own statistics.
        bn.train()
        let trained = bn(Variable(x)).value.mean(alongAxes: [0, 2, 3]).doubles
        #expect(abs(trained[0] - 1) < 1e-12 && abs(trained[1] + 1) < 1e-12)
    }

    @Test func momentumAndFloatInputs() {
        let bn = BatchNorm(1, momentum: 1)
        _ = bn(Variable(Tensor([1, 2, 3, 6], shape: [4, 1])))
        // With momentum 1 the running statistics are the last batch's: mean 3, unbiased variance 14/3.
        #expect(bn.runningMean.value.floats == [3])
        #expect(abs(bn.runningVariance.value.floats[0] - 14.0 / 3) < 1e-5)
    }

    @Test func wrongFeatureCountStopsWithAClearMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm(16)(Tensor.zeros([8, 32, 4, 4]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("BatchNorm(16): input of shape [8, 32, 4, 4] has 32 features on axis 1, expected 16"))
    }
}
