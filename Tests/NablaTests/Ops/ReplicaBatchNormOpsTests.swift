import Foundation
import Testing
@testable import Nabla

/// Batch norm whose statistics are summed over replicas: ranks as threads, each holding some rows
/// of one batch, compute together what one process computes on the whole batch, and their
/// gradients are the centered differences of that one process's loss.
@Suite struct ReplicaBatchNormOpsTests {
    /// The checked loss is `Σ BN(x) ⊙ R` over the whole batch, with this fixed random `R`.
    static func weights(_ shape: [Int]) -> Tensor { seededNormals(shape, seed: 40) }

    /// The whole batch's loss in one process, with the plain op.
    static func singleProcessLoss(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor) -> Double {
        let y = batchNorm(Variable(x), gamma: Variable(gamma), beta: Variable(beta)).output.value
        return (y * weights(x.shape)).sum().scalar
    }

    /// What each rank computes on its rows (a rank without any computes row 0 as a placeholder,
    /// with a loss weight of zero): its output, the input gradient of its rows and its own γ and β gradients.
    struct Share {
        var rows: Range<Int>
        var output: Tensor
        var dx: Tensor
        var dgamma: [Double]
        var dbeta: [Double]
        /// The values per feature the statistics spanned.
        var count: Int
    }

    static func replicas(_ ranks: Int, _ x: Tensor, _ gamma: Tensor, _ beta: Tensor) throws -> [Share] {
        try InProcessGroup.run(ranks: ranks) { communicator -> Share in
            let share = communicator.share(of: x.shape[0])
            let rows = share.isEmpty ? 0..<1 : share
            let input = Variable(x[rows: rows], requiresGrad: true)
            let g = Variable(gamma, requiresGrad: true), b = Variable(beta, requiresGrad: true)
            let (y, _, _, count) = batchNorm(input, gamma: g, beta: b, counted: !share.isEmpty) { values in
                values = (try? communicator.allreduceSum(values)) ?? values
            }
            let seed = share.isEmpty ? Tensor.zeros(like: y.value) : weights(x.shape)[rows: rows]
            y.backward(seed: seed)
            return Share(rows: share, output: y.value, dx: input.grad!, dgamma: g.grad!.doubles, dbeta: b.grad!.doubles, count: count)
        }
    }

    /// `∂L/∂v[i]` by centered differences of the single-process loss, for each element of `v`.
    static func numeric(_ v: Tensor, _ loss: (Tensor) -> Double, step h: Double = 1e-5) -> [Double] {
        let values = v.doubles
        return values.indices.map { i in
            var plus = values, minus = values
            plus[i] += h
            minus[i] -= h
            return (loss(Tensor(plus, shape: v.shape, dtype: .float64)) - loss(Tensor(minus, shape: v.shape, dtype: .float64))) / (2 * h)
        }
    }

    static func maxRelativeError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { relativeError($0, $1) }.max() ?? 0
    }

    @Test(arguments: [([6, 3], 2), ([7, 4], 3), ([4, 2, 3, 3], 2), ([5, 3, 2, 2], 3)])
    func gradientsOfTheRanksAreTheCenteredDifferencesOfOneProcessesLoss(shape: [Int], ranks: Int) throws {
        let x = seededNormals(shape, seed: 41, mean: 1, standardDeviation: 2)
        let gamma = seededNormals([shape[1]], seed: 42, mean: 1), beta = seededNormals([shape[1]], seed: 43)
        let shares = try Self.replicas(ranks, x, gamma, beta)
        let whole = batchNorm(Variable(x), gamma: Variable(gamma), beta: Variable(beta)).output.value
        let dx = Self.numeric(x) { Self.singleProcessLoss($0, gamma, beta) }
        let rowSize = x.count / shape[0]
        #expect(shares.allSatisfy { $0.count == x.count / shape[1] })
        for share in shares {
            #expect(share.output.isAlmostEqual(to: whole[rows: share.rows], tolerance: 1e-12))
            let expected = Array(dx[(share.rows.lowerBound * rowSize)..<(share.rows.upperBound * rowSize)])
            #expect(Self.maxRelativeError(share.dx.doubles, expected) <= 1e-6, "rank rows \(share.rows)")
        }
        // Each rank's γ and β gradients are its own rows' part: the trainer adds them up.
        let dgamma = shares.map(\.dgamma).reduce(into: [Double](repeating: 0, count: shape[1])) { for i in $0.indices { $0[i] += $1[i] } }
        let dbeta = shares.map(\.dbeta).reduce(into: [Double](repeating: 0, count: shape[1])) { for i in $0.indices { $0[i] += $1[i] } }
        #expect(Self.maxRelativeError(dgamma, Self.numeric(gamma) { Self.singleProcessLoss(x, $0, beta) }) <= 1e-6)
        #expect(Self.maxRelativeError(dbeta, Self.numeric(beta) { Self.singleProcessLoss(x, gamma, $0) }) <= 1e-6)
    }

    @Test func aRankWithoutRowsTakesPartWithoutCounting() throws {
        // Two images on three ranks: rank 0 has none and runs image 0 as an uncounted placeholder.
        let x = seededNormals([2, 2, 3, 3], seed: 44, mean: -1, standardDeviation: 3)
        let gamma = seededNormals([2], seed: 45, mean: 1), beta = seededNormals([2], seed: 46)
        let shares = try Self.replicas(3, x, gamma, beta)
        #expect(shares.map(\.rows) == [0..<0, 0..<1, 1..<2])
        #expect(shares[0].dgamma == [0, 0] && shares[0].dbeta == [0, 0] && shares[0].dx.doubles.allSatisfy { $0 == 0 })
        let whole = batchNorm(Variable(x), gamma: Variable(gamma), beta: Variable(beta)).output.value
        let dx = Self.numeric(x) { Self.singleProcessLoss($0, gamma, beta) }
        for share in shares.dropFirst() {
            #expect(share.output.isAlmostEqual(to: whole[rows: share.rows], tolerance: 1e-12))
            #expect(Self.maxRelativeError(share.dx.doubles, Array(dx[(share.rows.lowerBound * 18)..<(share.rows.upperBound * 18)])) <= 1e-6)
        }
    }

    @Test func oneReplicaComputesThePlainOp() {
        let x = seededNormals([8, 3, 2, 2], seed: 47, mean: 5, standardDeviation: 0.5)
        let gamma = seededNormals([3], seed: 48), beta = seededNormals([3], seed: 49)
        let (y, mean, variance, count) = batchNorm(Variable(x), gamma: Variable(gamma), beta: Variable(beta)) { _ in }
        let plain = batchNorm(Variable(x), gamma: Variable(gamma), beta: Variable(beta))
        #expect(count == 32)
        #expect(y.value.isAlmostEqual(to: plain.output.value, tolerance: 1e-12))
        #expect(mean.isAlmostEqual(to: plain.mean, tolerance: 1e-12) && variance.isAlmostEqual(to: plain.variance, tolerance: 1e-12))
    }
}
