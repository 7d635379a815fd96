import Testing
@testable import Nabla

/// Normal samples pushed at least `gap` away from 0, so that finite differences never straddle a kink.
private func awayFromZero(_ shape: [Int], seed: UInt64, gap: Double = 0.1) -> Tensor {
    let x = seededNormals(shape, seed: seed)
    return x + sign(x) * gap
}

@Suite struct ActivationOpTests {
    @Test func leakyReLUAndELUByHand() {
        let x = Variable(Tensor([-2, -0.5, 0, 1.5], shape: [4], dtype: .float64), requiresGrad: true)
        #expect(leakyReLU(x).value.doubles == [-0.02, -0.005, 0, 1.5])
        #expect(leakyReLU(x, slope: 0.2).value.isAlmostEqual(to: Tensor([-0.4, -0.1, 0, 1.5], shape: [4], dtype: .float64), tolerance: 1e-15))
        let e = elu(x, alpha: 2).value.doubles
        #expect(abs(e[0] - 2 * (Double.exp(-2) - 1)) < 1e-15 && e[2] == 0 && e[3] == 1.5)
        leakyReLU(x, slope: 0.2).sum().backward()
        #expect(x.grad!.isAlmostEqual(to: Tensor([0.2, 0.2, 0.2, 1], shape: [4], dtype: .float64), tolerance: 1e-15))
    }

    @Test(arguments: [[7], [3, 4], [2, 3, 2, 2]])
    func elementwiseGradientsMatchFiniteDifferences(_ shape: [Int]) {
        let x = awayFromZero(shape, seed: 41)
        for (name, f) in [("leakyReLU", { (v: Variable) in leakyReLU(v, slope: 0.1) }),
                          ("elu", { (v: Variable) in elu(v, alpha: 1.5) })] {
            let result = checkGradients(at: [x], step: 1e-5) { v in f(v[0]) }
            #expect(result.passed(tolerance: 1e-6), "\(name) \(shape): \(result)")
        }
    }

    @Test func preluMatchesLeakyReLUForAFixedSlope() {
        let x = seededNormals([4, 3, 2, 2], seed: 42)
        let shared = prelu(Variable(x), slope: Variable(Tensor([0.25], shape: [1], dtype: .float64))).value
        #expect(shared == leakyReLU(Variable(x), slope: 0.25).value)
        // One slope per channel: channel c uses slopes[c].
        let slopes = Tensor([0.1, 0.2, 0.3], shape: [3], dtype: .float64)
        let y = prelu(Variable(x), slope: Variable(slopes)).value
        for c in 0..<3 {
            let channel = Variable(x.slice(axis: 1, c..<(c + 1)))
            #expect(y.slice(axis: 1, c..<(c + 1)) == leakyReLU(channel, slope: slopes[c]).value)
        }
    }

    @Test(arguments: [([5, 3], 1), ([5, 3], 3), ([2, 3, 2, 3], 3), ([2, 2, 3], 1)])
    func preluGradientsIncludingTheSlope(_ shape: [Int], _ slopes: Int) {
        let x = awayFromZero(shape, seed: 43)
        let a = seededNormals([slopes], seed: 44, mean: 0.25, standardDeviation: 0.1)
        let result = checkGradients(at: [x, a], step: 1e-4) { v in prelu(v[0], slope: v[1]) }
        #expect(result.passed(tolerance: 1e-6), "\(shape), \(slopes) slopes: \(result)")
    }

    @Test func softmaxByHandAndStable() {
        let y = softmax(Variable(Tensor([1, 2, 3], shape: [1, 3], dtype: .float64))).value.doubles
        let z = Double.exp(1) + Double.exp(2) + Double.exp(3)
        #expect(zip(y, [Double.exp(1) / z, Double.exp(2) / z, Double.exp(3) / z]).allSatisfy { abs($0 - $1) < 1e-15 })
        // Huge scores do not overflow: the result equals that of the shifted scores.
        let big = softmax(Variable(Tensor([1000, 1001, 1002], shape: [1, 3]))).value
        #expect(big.isAlmostEqual(to: softmax(Variable(Tensor([0, 1, 2], shape: [1, 3]))).value, tolerance: 1e-6))
        let logs = logSoftmax(Variable(Tensor([0, -1000], shape: [1, 2]))).value.floats
        #expect(logs[0] == 0 && logs[1] == -1000)
    }

    @Test func softmaxSlicesSumToOneAlongTheirAxis() {
        let x = seededNormals([3, 4, 5], seed: 45)
        for axis in [0, 1, 2, -1] {
            let sums = softmax(Variable(x), axis: axis).value.sum(alongAxes: [axis])
            #expect(sums.isAlmostEqual(to: .ones(like: sums), tolerance: 1e-14))
            let logs = logSoftmax(Variable(x), axis: axis).value
            #expect(logs.isAlmostEqual(to: log(softmax(Variable(x), axis: axis).value), tolerance: 1e-14))
        }
    }

    @Test(arguments: [([6], -1), ([3, 4], 1), ([3, 4], 0), ([2, 3, 4], 1), ([2, 3, 2], -1)])
    func softmaxGradientsMatchFiniteDifferences(_ shape: [Int], _ axis: Int) {
        let x = seededNormals(shape, seed: 46, standardDeviation: 2)
        let s = checkGradients(at: [x], step: 1e-5) { v in softmax(v[0], axis: axis) }
        #expect(s.passed(tolerance: 1e-6), "softmax \(shape) axis \(axis): \(s)")
        let l = checkGradients(at: [x], step: 1e-5) { v in logSoftmax(v[0], axis: axis) }
        #expect(l.passed(tolerance: 1e-6), "logSoftmax \(shape) axis \(axis): \(l)")
    }

    @Test func maxoutTakesTheLargestPiece() {
        // Two pieces of three units: [1, 5, 2] and [4, 0, 2].
        let x = Variable(Tensor([1, 5, 2, 4, 0, 2], shape: [1, 6], dtype: .float64), requiresGrad: true)
        let y = maxout(x, pieces: 2)
        #expect(y.value.doubles == [4, 5, 2])
        y.sum().backward()
        // The tie in the last unit is split evenly.
        #expect(x.grad!.doubles == [0, 1, 0.5, 1, 0, 0.5])
        #expect(maxout(Variable(Tensor.zeros([2, 12, 3, 3])), pieces: 3).shape == [2, 4, 3, 3])
    }

    @Test(arguments: [([4, 6], 2), ([3, 6], 3), ([2, 4, 2, 3], 2)])
    func maxoutGradientsMatchFiniteDifferences(_ shape: [Int], _ pieces: Int) {
        let x = seededNormals(shape, seed: 47)
        let result = checkGradients(at: [x], step: 1e-5) { v in maxout(v[0], pieces: pieces) }
        #expect(result.passed(tolerance: 1e-6), "\(shape), \(pieces) pieces: \(result)")
    }
}
