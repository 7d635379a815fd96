import Foundation
import Testing
@testable import Nabla

/// The fixed problem every rule is checked on: one parameter `w = [1, -2]` and three gradients
/// fed by hand, `g1 = [3, -6]`, `g2 = [4, 8]`, `g3 = [12, 0]` (chosen so that Adagrad's square
/// roots are whole: 3, 5, 13 and 6, 10, 10).
enum OptimizerFixture {
    static let initial: [Double] = [1, -2]
    static let gradients: [[Double]] = [[3, -6], [4, 8], [12, 0]]

    typealias Make = @Sendable ([(name: String, variable: Variable)]) throws -> any Optimizer

    /// The weights after each step.
    static func trajectory(_ dtype: DType, gradients: [[Double]] = gradients, make: Make) throws -> [[Double]] {
        let w = Variable(Tensor(initial, shape: [2], dtype: dtype), requiresGrad: true)
        let optimizer = try make([("w", w)])
        var result: [[Double]] = []
        for g in gradients {
            w.grad = Tensor(g, shape: [2], dtype: dtype)
            optimizer.step()
            optimizer.zeroGrad()
            result.append(w.value.doubles)
        }
        return result
    }

    /// Float keeps ~7 digits; three steps on values of a few units stay well within 2e-6.
    static func tolerance(_ dtype: DType) -> Double { dtype == .float32 ? 2e-6 : 1e-12 }
}

/// A rule, its settings, and the weights after steps 1, 2, 3 worked out from its formula.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    let name: String
    let make: OptimizerFixture.Make
    let expected: [[Double]]
    var testDescription: String { name }
}

let goldenCases: [GoldenCase] = [
    // w -= 0.1·g
    // w1 = [1 - 0.3, -2 + 0.6] = [0.7, -1.4]; w2 = [0.7 - 0.4, -1.4 - 0.8] = [0.3, -2.2];
    // w3 = [0.3 - 1.2, -2.2 - 0] = [-0.9, -2.2]
    GoldenCase(name: "SGD", make: { try SGD($0, learningRate: 0.1) },
               expected: [[0.7, -1.4], [0.3, -2.2], [-0.9, -2.2]]),
    // g ← g + 0.5·w, then w -= 0.1·g
    // 1: g = [3 + 0.5, -6 - 1] = [3.5, -7];          w1 = [1 - 0.35, -2 + 0.7] = [0.65, -1.3]
    // 2: g = [4 + 0.325, 8 - 0.65] = [4.325, 7.35];   w2 = [0.65 - 0.4325, -1.3 - 0.735] = [0.2175, -2.035]
    // 3: g = [12 + 0.10875, 0 - 1.0175];              w3 = [0.2175 - 1.210875, -2.035 + 0.10175] = [-0.993375, -1.93325]
    GoldenCase(name: "SGD with weight decay", make: { try SGD($0, learningRate: 0.1, weightDecay: 0.5) },
               expected: [[0.65, -1.3], [0.2175, -2.035], [-0.993375, -1.93325]]),
    // buf = 0.9·buf + g; w -= 0.1·buf
    // buf1 = [3, -6]                          w1 = [1 - 0.3, -2 + 0.6] = [0.7, -1.4]
    // buf2 = [2.7 + 4, -5.4 + 8] = [6.7, 2.6]  w2 = [0.7 - 0.67, -1.4 - 0.26] = [0.03, -1.66]
    // buf3 = [6.03 + 12, 2.34 + 0] = [18.03, 2.34]  w3 = [0.03 - 1.803, -1.66 - 0.234] = [-1.773, -1.894]
    GoldenCase(name: "Momentum", make: { try Momentum($0, learningRate: 0.1, momentum: 0.9) },
               expected: [[0.7, -1.4], [0.03, -1.66], [-1.773, -1.894]]),
    // buf as for Momentum; w -= 0.1·(g + 0.9·buf)
    // 1: g + 0.9·buf1 = [3 + 2.7, -6 - 5.4] = [5.7, -11.4];     w1 = [1 - 0.57, -2 + 1.14] = [0.43, -0.86]
    // 2: [4 + 6.03, 8 + 2.34] = [10.03, 10.34];                 w2 = [0.43 - 1.003, -0.86 - 1.034] = [-0.573, -1.894]
    // 3: [12 + 16.227, 0 + 2.106] = [28.227, 2.106];            w3 = [-0.573 - 2.8227, -1.894 - 0.2106] = [-3.3957, -2.1046]
    GoldenCase(name: "Nesterov", make: { try Nesterov($0, learningRate: 0.1, momentum: 0.9) },
               expected: [[0.43, -0.86], [-0.573, -1.894], [-3.3957, -2.1046]]),
    // cache += g²: [9, 36] → [25, 100] → [169, 100]; sqrt: [3, 6] → [5, 10] → [13, 10]
    // w1 = [1 - 0.1·3/3, -2 + 0.1·6/6] = [0.9, -1.9]
    // w2 = [0.9 - 0.1·4/5, -1.9 - 0.1·8/10] = [0.82, -1.98]
    // w3 = [0.82 - 0.1·12/13, -1.98 - 0] = [0.727692307…, -1.98]
    // ε = 1e-10 moves each step by lr·g·ε/sqrt(cache)² ≈ 3e-12, seen in the last digits below.
    GoldenCase(name: "Adagrad", make: { try Adagrad($0, learningRate: 0.1) },
               expected: [[0.9000000000033334, -1.9000000000016666],
                          [0.8200000000049333, -1.9800000000008666],
                          [0.7276923076979511, -1.9800000000008666]]),
    // cache = 0.75·cache + 0.25·g²
    // 1: cache = [2.25, 9], sqrt [1.5, 3];     w1 = [1 - 0.3/1.5, -2 + 0.6/3] = [0.8, -1.8]
    // 2: cache = [1.6875 + 4, 6.75 + 16] = [5.6875, 22.75], sqrt [2.3848480, 4.7696960]
    //    w2 = [0.8 - 0.4/2.3848480, -1.8 - 0.8/4.7696960] = [0.8 - 0.1677256, -1.8 - 0.1677256]
    // 3: cache = [4.265625 + 36, 17.0625 + 0] = [40.265625, 17.0625], sqrt [6.3455201, …]
    //    w3 = [0.6322744 - 1.2/6.3455201, unchanged] = [0.6322744 - 0.1891098, -1.9677256]
    // (ε = 1e-8 shows from the 9th digit.)
    GoldenCase(name: "RMSProp", make: { try RMSProp($0, learningRate: 0.1, rho: 0.75) },
               expected: [[0.8000000013333333, -1.8000000006666665],
                          [0.632274428161123, -1.967725574190525],
                          [0.4431646334938793, -1.967725574190525]]),
    // m = 0.9·m + 0.1·g; v = 0.999·v + 0.001·g²; w -= 0.1·m̂ / (sqrt(v̂) + 1e-8)
    // 1: m = [0.3, -0.6], v = [0.009, 0.036]; m̂ = m/0.1 = g, v̂ = v/0.001 = g²
    //    w1 = w0 - 0.1·g/|g| = [0.9, -1.9]
    // 2: m = [0.27 + 0.4, -0.54 + 0.8] = [0.67, 0.26]; v = [0.008991 + 0.016, 0.035964 + 0.064] = [0.024991, 0.099964]
    //    1 - 0.9² = 0.19, 1 - 0.999² = 0.001999: m̂ = [3.5263158, 1.3684211], v̂ = [12.5017509, 50.0070035]
    //    w2 = [0.9 - 0.1·3.5263158/3.5357815, -1.9 - 0.1·1.3684211/7.0715630] = [0.9 - 0.0997323, -1.9 - 0.0193510]
    // 3: m = [0.603 + 1.2, 0.234 + 0] = [1.803, 0.234]; v = [0.168966009, 0.099864036]
    //    1 - 0.9³ = 0.271, 1 - 0.999³ = 0.002997001: m̂ = [6.6531365, 0.8634686], v̂ = [56.3783626, 33.3213222]
    //    w3 = [0.8002677 - 0.1·6.6531365/7.5085526, -1.9193510 - 0.1·0.8634686/5.7724624]
    //       = [0.8002677 - 0.0886074, -1.9193510 - 0.0149584]
    GoldenCase(name: "Adam", make: { try Adam($0, learningRate: 0.1) },
               expected: [[0.9000000003333333, -1.9000000001666666],
                          [0.800267712829668, -1.9193510410529513],
                          [0.7116602693983386, -1.9343094517386388]]),
    // As Adam on g + 0.5·w: step 1 g = [3.5, -7] still moves by lr·sign(g) = [0.9, -1.9];
    // step 2 g = [4.45, 7.05]; step 3 g = [12.4000439, -0.9596755] (NumPy float64 reference).
    GoldenCase(name: "Adam with L2 weight decay", make: { try Adam($0, learningRate: 0.1, weightDecay: 0.5) },
               expected: [[0.9000000002857143, -1.9000000001428572],
                          [0.8000878193100159, -1.9056189843314446],
                          [0.709911347254005, -1.9038395124602148]]),
    // w *= 1 - 0.1·0.5 = 0.95 first, then Adam's step on the raw gradient (the same moments as Adam):
    // w1 = [0.95 - 0.1, -1.9 + 0.1] = [0.85, -1.8]
    // w2 = [0.8075 - 0.0997323, -1.71 - 0.0193510] = [0.7077677, -1.7293510]
    // w3 = [0.6723793 - 0.0886074, -1.6428835 - 0.0149584] = [0.5837719, -1.6578419]
    GoldenCase(name: "AdamW", make: { try AdamW($0, learningRate: 0.1, weightDecay: 0.5) },
               expected: [[0.8500000003333332, -1.8000000001666665],
                          [0.7077677128130013, -1.7293510410446178],
                          [0.5837718837410218, -1.6578418996780744]]),
]

@Suite struct OptimizerTests {
    @Test(arguments: goldenCases, [DType.float32, .float64])
    func threeStepsMatchHandComputedValues(_ golden: GoldenCase, _ dtype: DType) throws {
        let weights = try OptimizerFixture.trajectory(dtype, make: golden.make)
        let tolerance = OptimizerFixture.tolerance(dtype)
        for (step, (got, want)) in zip(weights, golden.expected).enumerated() {
            let error = zip(got, want).map { abs($0 - $1) }.max()!
            #expect(error <= tolerance, "\(golden.name) \(dtype) step \(step + 1): \(got) vs \(want)")
        }
    }

    /// The lectures' velocity form `v = μv - lr·g; w += v` and PyTorch's buffer form give the same
    /// weights while the learning rate is constant.
    @Test func momentumMatchesLectureVelocityForm() throws {
        let (lr, mu) = (0.05, 0.9)
        let gradients = (0..<20).map { k in [sin(Double(k)), cos(3 * Double(k)) * 2] }
        let weights = try OptimizerFixture.trajectory(.float64, gradients: gradients) {
            try Momentum($0, learningRate: lr, momentum: mu)
        }
        var w = OptimizerFixture.initial, v = [0.0, 0.0]
        for (k, g) in gradients.enumerated() {
            for i in 0..<2 {
                v[i] = mu * v[i] - lr * g[i]
                w[i] += v[i]
            }
            #expect(zip(w, weights[k]).allSatisfy { abs($0 - $1) < 1e-12 }, "step \(k + 1)")
        }
    }

    /// CS231n's Nesterov: `v_prev = v; v = μv - lr·g; w += -μ·v_prev + (1 + μ)·v`.
    @Test func nesterovMatchesLectureForm() throws {
        let (lr, mu) = (0.05, 0.9)
        let gradients = (0..<20).map { k in [sin(Double(k)), cos(3 * Double(k)) * 2] }
        let weights = try OptimizerFixture.trajectory(.float64, gradients: gradients) {
            try Nesterov($0, learningRate: lr, momentum: mu)
        }
        var w = OptimizerFixture.initial, v = [0.0, 0.0]
        for (k, g) in gradients.enumerated() {
            for i in 0..<2 {
                let previous = v[i]
                v[i] = mu * v[i] - lr * g[i]
                w[i] += -mu * previous + (1 + mu) * v[i]
            }
            #expect(zip(w, weights[k]).allSatisfy { abs($0 - $1) < 1e-12 }, "step \(k + 1)")
        }
    }

    /// When the rate changes, PyTorch's form applies the new rate to the whole buffer at once.
    @Test func momentumScalesWholeBufferByNewLearningRate() throws {
        let w = Variable(Tensor([0], shape: [1], dtype: .float64), requiresGrad: true)
        let optimizer = try Momentum([("w", w)], learningRate: 1, momentum: 0.5)
        w.grad = Tensor([2], shape: [1], dtype: .float64)
        optimizer.step()                    // buf = 2, w = -2
        optimizer.learningRate = 0.1
        optimizer.step()                    // buf = 1 + 2 = 3, w = -2 - 0.1·3 = -2.3
        #expect(abs(w.value[0] - -2.3) < 1e-15)
        #expect(optimizer.slots.value(of: "momentum_buffer", for: "w")?.doubles == [3])
    }

    @Test func parametersWithoutGradientAreSkippedWithTheirState() throws {
        let a = Variable(Tensor([1, 1]), requiresGrad: true)
        let b = Variable(Tensor([5]), requiresGrad: true)
        let optimizer = try Adam([("a", a), ("b", b)], learningRate: 0.1)
        a.grad = Tensor([1, -1])
        optimizer.step()
        #expect(b.value.floats == [5])
        #expect(optimizer.slots.steps == [1, 0])
        #expect(optimizer.slots.value(of: "exp_avg", for: "b")?.floats == [0])

        a.grad = Tensor([1, -1])
        b.grad = Tensor([-4])
        optimizer.step()
        // b's own t is 1, so its bias correction makes this a full first step: 5 + 0.1·sign(4).
        #expect(abs(b.value[0] - 5.1) < 1e-6)
        #expect(optimizer.slots.steps == [2, 1])
    }

    @Test func updatesInPlaceWithoutTouchingCopies() throws {
        let w = Variable(Tensor([1, 2, 3]), requiresGrad: true)
        let before = w.value
        let optimizer = try SGD([("w", w)], learningRate: 1)
        w.grad = Tensor([1, 1, 1])
        optimizer.step()
        #expect(w.value.floats == [0, 1, 2])
        #expect(before.floats == [1, 2, 3])
        #expect(optimizer.parameters[0].variable === w)
    }

    /// Once the parameter's memory is its own, every rule writes into it: no copy per step.
    @Test(arguments: goldenCases)
    func keepsTheParametersMemory(_ golden: GoldenCase) throws {
        let w = Variable(Tensor([1, 2]), requiresGrad: true)
        let optimizer = try golden.make([("w", w)])
        let memory = ObjectIdentifier(w.value.storage)
        let momentSlots = optimizer.slots.tensors[0].map { ObjectIdentifier($0.storage) }
        for _ in 0..<3 {
            w.grad = Tensor([0.5, -0.5])
            optimizer.step()
        }
        #expect(ObjectIdentifier(w.value.storage) == memory)
        #expect(optimizer.slots.tensors[0].map { ObjectIdentifier($0.storage) } == momentSlots)
    }

    @Test func zeroGradClearsEveryGradient() throws {
        let model = Sequential(Linear(3, 2), Linear(2, 1))
        let optimizer = try SGD(model.parameters(), learningRate: 0.1)
        for (_, p) in model.parameters() { p.grad = Tensor.ones(like: p.value) }
        optimizer.zeroGrad()
        #expect(model.parameters().allSatisfy { $0.variable.grad == nil })
        #expect(optimizer.parameters.map(\.name) == model.parameters().map(\.name))
    }

    @Test func invalidSettingsAreClearErrors() {
        let w = Variable(Tensor([1]), requiresGrad: true)
        let p = [(name: "w", variable: w)]
        let cases: [(String, () throws -> any Optimizer)] = [
            ("Invalid learning rate: -1 (expected a finite value >= 0)", { try SGD(p, learningRate: -1) }),
            ("Invalid learning rate: nan (expected a finite value >= 0)", { try SGD(p, learningRate: .nan) }),
            ("Invalid learning rate: inf (expected a finite value >= 0)", { try AdamW(p, learningRate: .infinity) }),
            ("Invalid weight decay: -0.5 (expected a finite value >= 0)", { try SGD(p, learningRate: 0.1, weightDecay: -0.5) }),
            ("Invalid momentum: 1 (expected a value in [0, 1))", { try Momentum(p, learningRate: 0.1, momentum: 1) }),
            ("Invalid momentum: -0.9 (expected a value in [0, 1))", { try Nesterov(p, learningRate: 0.1, momentum: -0.9) }),
            ("Invalid epsilon: 0 (expected a finite value > 0)", { try Adagrad(p, epsilon: 0) }),
            ("Invalid rho: 1.5 (expected a value in [0, 1))", { try RMSProp(p, rho: 1.5) }),
            ("Invalid beta1: -0.1 (expected a value in [0, 1))", { try Adam(p, beta1: -0.1) }),
            ("Invalid beta2: 1 (expected a value in [0, 1))", { try AdamW(p, beta2: 1) }),
            ("The optimizer got an empty parameter list", { try Adam([]) }),
            ("Parameter name 'w' appears more than once",
             { try SGD([("w", w), ("w", Variable(Tensor([2]), requiresGrad: true))], learningRate: 0.1) }),
            ("Parameters 'w' and 'tied' are the same variable; list it once, or it is updated twice per step",
             { try SGD([("w", w), ("tied", w)], learningRate: 0.1) }),
        ]
        for (message, make) in cases {
            let error = #expect(throws: OptimizerError.self) { _ = try make() }
            #expect(error?.description == message)
            #expect(error?.localizedDescription == message)
        }
    }

    @Test func descriptionsNameTheSettings() throws {
        let p = [(name: "w", variable: Variable(Tensor([1]), requiresGrad: true))]
        #expect(try Adam(p).description == "Adam(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-08, weightDecay: 0.0)")
        #expect(try SGD(p, learningRate: 0.5).description == "SGD(learningRate: 0.5, weightDecay: 0.0)")
    }
}
