import Foundation
import Testing
@testable import Nabla

/// Decoupled weight decay, `w -= lr·λ·w` before the rule's step, on the fixture of `OptimizerTests`
/// (w = [1, -2]; gradients [3, -6], [4, 8], [12, 0]) with lr 0.1 and λ 0.5: each step first
/// multiplies the weights by 1 - 0.1·0.5 = 0.95.
@Suite struct WeightDecayTests {
    @Test(arguments: [DType.float32, .float64])
    func sgdDecaysAsAnL2PenaltyOfHalfTheStrength(dtype: DType) throws {
        // 1: 0.95·[1, -2] - 0.1·[3, -6] = [0.65, -1.3]
        // 2: 0.95·[0.65, -1.3] - 0.1·[4, 8] = [0.2175, -2.035]
        // 3: 0.95·[0.2175, -2.035] - 0.1·[12, 0] = [-0.993375, -1.93325]
        // (the same as SGD's coupled weight_decay 0.5: for plain SGD the two coincide)
        let path = try OptimizerFixture.trajectory(dtype) { try DecoupledWeightDecay(SGD($0, learningRate: 0.1), weightDecay: 0.5) }
        expect(path, [[0.65, -1.3], [0.2175, -2.035], [-0.993375, -1.93325]], dtype)
    }

    @Test(arguments: [DType.float32, .float64])
    func momentumDecaysOutsideTheBuffer(dtype: DType) throws {
        // buf1 = [3, -6];          w1 = 0.95·[1, -2] - 0.1·buf1 = [0.65, -1.3]
        // buf2 = [6.7, 2.6];       w2 = 0.95·[0.65, -1.3] - 0.1·buf2 = [0.6175 - 0.67, -1.235 - 0.26] = [-0.0525, -1.495]
        // buf3 = [18.03, 2.34];    w3 = 0.95·w2 - 0.1·buf3 = [-0.049875 - 1.803, -1.42025 - 0.234] = [-1.852875, -1.65425]
        let path = try OptimizerFixture.trajectory(dtype) {
            try DecoupledWeightDecay(Momentum($0, learningRate: 0.1, momentum: 0.9), weightDecay: 0.5)
        }
        expect(path, [[0.65, -1.3], [-0.0525, -1.495], [-1.852875, -1.65425]], dtype)
    }

    @Test func adamDecaysBeforeItsStep() throws {
        // Adam's first step is lr·g/(|g| + ε) (both moments bias-corrected); the decay comes first:
        // w1 = 0.95·[1, -2] - 0.1·[3/(3 + 1e-8), -6/(6 + 1e-8)].
        let path = try OptimizerFixture.trajectory(.float64) { try DecoupledWeightDecay(Adam($0, learningRate: 0.1), weightDecay: 0.5) }
        expect([path[0]], [[0.95 - 0.1 * 3 / (3 + 1e-8), -1.9 + 0.1 * 6 / (6 + 1e-8)]], .float64)
    }

    @Test(arguments: [DType.float32, .float64])
    func adamWithDecoupledDecayIsAdamW(dtype: DType) throws {
        let wrapped = try OptimizerFixture.trajectory(dtype) { try DecoupledWeightDecay(Adam($0, learningRate: 0.1), weightDecay: 0.5) }
        let adamW = try OptimizerFixture.trajectory(dtype) { try AdamW($0, learningRate: 0.1, weightDecay: 0.5) }
        #expect(wrapped == adamW)
    }

    @Test func theRecipeGivesEveryRuleItsDecay() throws {
        let w = [("w", Variable(Tensor([1, -2], shape: [2]), requiresGrad: true))]
        // adamw keeps PyTorch's default 0.01 and decays itself; the others decay only when asked.
        #expect((try OptimizerRecipe(.adamw).make(for: w) as? AdamW)?.weightDecay == 0.01)
        #expect((try OptimizerRecipe(.adamw, weightDecay: 0.1).make(for: w) as? AdamW)?.weightDecay == 0.1)
        #expect(try OptimizerRecipe(.momentum).make(for: w) is Momentum)
        let decayed = try OptimizerRecipe(.momentum, weightDecay: 5e-4).make(for: w) as? DecoupledWeightDecay
        #expect(decayed?.weightDecay == 5e-4 && decayed?.rule is Momentum)
        // The wrapped rule's state is the whole state: a checkpoint does not change shape with decay.
        #expect(Set(decayed!.state().keys) == Set(try OptimizerRecipe(.momentum).make(for: w).state().keys))
        let error = #expect(throws: SettingError.self) { try OptimizerRecipe(.sgd, weightDecay: -1).validate() }
        #expect(error?.field == "optimizer.weightDecay")
    }

    func expect(_ path: [[Double]], _ expected: [[Double]], _ dtype: DType) {
        for (got, want) in zip(path, expected) {
            for (a, b) in zip(got, want) { #expect(abs(a - b) <= OptimizerFixture.tolerance(dtype), "\(got) vs \(want)") }
        }
    }
}
