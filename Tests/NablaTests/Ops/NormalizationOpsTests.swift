import Testing
@testable import Nabla

@Suite struct NormalizationOpTests {
    /// Batch norm written with composed primitive ops (mean, variance, sqrt, broadcasting): an
    /// independent oracle for the fused op's value.
    private func composedBatchNorm(_ x: Variable, _ gamma: Variable, _ beta: Variable, epsilon: Double) -> Variable {
        let axes = [0] + Array(2..<x.shape.count)
        let featureShape = [1, x.shape[1]] + [Int](repeating: 1, count: x.shape.count - 2)
        let centered = x - x.mean(alongAxes: axes, keepingDims: true)
        let normalized = centered / sqrt(x.variance(alongAxes: axes, keepingDims: true) + epsilon)
        return normalized * gamma.reshaped(featureShape) + beta.reshaped(featureShape)
    }

    @Test(arguments: [[6, 3], [4, 2, 3, 5], [3, 4, 2]])
    func trainingMatchesTheComposedFormula(_ shape: [Int]) {
        let x = seededNormals(shape, seed: 21, mean: 3, standardDeviation: 2)
        let gamma = seededNormals([shape[1]], seed: 22), beta = seededNormals([shape[1]], seed: 23)
        let (y, mean, variance) = batchNorm(Variable(x), gamma: Variable(gamma), beta: Variable(beta), epsilon: 1e-5)
        let expected = composedBatchNorm(Variable(x), Variable(gamma), Variable(beta), epsilon: 1e-5).value
        #expect(y.value.isAlmostEqual(to: expected, tolerance: 1e-12))
        let axes = [0] + Array(2..<shape.count)
        #expect(mean.isAlmostEqual(to: x.mean(alongAxes: axes), tolerance: 1e-12))
        #expect(variance.isAlmostEqual(to: x.variance(alongAxes: axes), tolerance: 1e-12))
    }

    @Test func normalizedFeaturesHaveZeroMeanAndUnitVariance() {
        var g = RandomGenerator(seed: 24)
        let x = Tensor.randomNormal([16, 3, 5, 5], mean: 10, standardDeviation: 4, generator: &g)
        let (y, _, _) = batchNorm(Variable(x), gamma: Variable(.ones([3])), beta: Variable(.zeros([3])))
        let means = y.value.mean(alongAxes: [0, 2, 3]).doubles, variances = y.value.variance(alongAxes: [0, 2, 3]).doubles
        #expect(means.allSatisfy { abs($0) < 1e-5 })
        #expect(variances.allSatisfy { abs($0 - 1) < 1e-3 })
    }

    @Test func denseByHand() {
        // One feature, batch [1, 3]: mean 2, biased variance 2/3.
        let x = Tensor([1, 3], shape: [2, 1])
        let (y, mean, variance) = batchNorm(Variable(x), gamma: Variable(Tensor([2])), beta: Variable(Tensor([1])), epsilon: 0.01)
        let s = (1.0 + 0.01).squareRoot()
        #expect(y.value.isAlmostEqual(to: Tensor([Float(1 - 2 / s), Float(1 + 2 / s)], shape: [2, 1]), tolerance: 1e-6))
        #expect(mean.floats == [2] && variance.floats == [1])
    }

    // (A batch of two is degenerate: x̂ = ±1 whatever x is, so the input gradient is ~0 and only round-off is left to compare.)
    @Test(arguments: [[5, 3], [3, 4], [3, 2, 3, 4], [2, 3, 1, 5]])
    func trainingGradientsMatchFiniteDifferences(_ shape: [Int]) {
        let x = seededNormals(shape, seed: 25, mean: 1, standardDeviation: 2)
        let gamma = seededNormals([shape[1]], seed: 26, mean: 1), beta = seededNormals([shape[1]], seed: 27)
        let result = checkGradients(at: [x, gamma, beta], step: 1e-5) { v in
            batchNorm(v[0], gamma: v[1], beta: v[2]).output
        }
        #expect(result.passed(tolerance: 1e-6), "\(shape): \(result)")
    }

    @Test(arguments: [[5, 3], [3, 2, 3, 4]])
    func evaluationGradientsMatchFiniteDifferences(_ shape: [Int]) {
        let x = seededNormals(shape, seed: 28)
        let gamma = seededNormals([shape[1]], seed: 29, mean: 1), beta = seededNormals([shape[1]], seed: 30)
        let mean = seededNormals([shape[1]], seed: 31), variance = square(seededNormals([shape[1]], seed: 32)) + 0.5
        let result = checkGradients(at: [x, gamma, beta], step: 1e-4) { v in
            batchNorm(v[0], gamma: v[1], beta: v[2], mean: mean, variance: variance)
        }
        #expect(result.passed(tolerance: 1e-6), "\(shape): \(result)")
        // With fixed statistics the op is the affine map it claims to be.
        let y = batchNorm(Variable(x), gamma: Variable(gamma), beta: Variable(beta), mean: mean, variance: variance).value
        let fs = [1, shape[1]] + [Int](repeating: 1, count: shape.count - 2)
        let expected = (x - mean.reshaped(fs)) / sqrt(variance.reshaped(fs) + 1e-5) * gamma.reshaped(fs) + beta.reshaped(fs)
        #expect(y.isAlmostEqual(to: expected, tolerance: 1e-12))
    }

    @Test func floatAndDoubleAgree() {
        let x = seededNormals([8, 4, 6, 6], seed: 33, mean: 100, standardDeviation: 0.5)
        let (y64, _, _) = batchNorm(Variable(x), gamma: Variable(.ones([4], dtype: .float64)), beta: Variable(.zeros([4], dtype: .float64)))
        let (y32, _, _) = batchNorm(Variable(x.converted(to: .float32)), gamma: Variable(.ones([4])), beta: Variable(.zeros([4])))
        // A large mean next to a small spread: the two-pass variance keeps single precision accurate.
        #expect(y32.value.isAlmostEqual(to: y64.value, tolerance: 1e-3))
    }
}
