import Testing
@testable import Nabla

/// Every differentiable op against centered finite differences in Double.
@Suite struct OpGradientTests {
    var g = RandomGenerator(seed: 7)

    mutating func random(_ shape: [Int], lower: Double = -1, upper: Double = 1) -> Tensor {
        Tensor.randomUniform(shape, lower: lower, upper: upper, dtype: .float64, generator: &g)
    }

    func expectPasses(_ result: GradientCheckResult, _ comment: Comment? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.passed(tolerance: 1e-6), "\(comment?.rawValue ?? "")\n\(result)", sourceLocation: sourceLocation)
    }

    @Test mutating func arithmeticWithBroadcasting() {
        let a = random([3, 4]), b = random([4]), c = random([3, 1], lower: 0.5, upper: 2)
        expectPasses(checkGradients(at: [a, b]) { $0[0] + $0[1] }, "add")
        expectPasses(checkGradients(at: [a, b]) { $0[0] - $0[1] }, "sub")
        expectPasses(checkGradients(at: [a, b]) { $0[0] * $0[1] }, "mul")
        expectPasses(checkGradients(at: [a, c]) { $0[0] / $0[1] }, "div")
        expectPasses(checkGradients(at: [a]) { -$0[0] * 3 + 2 }, "neg, scale, shift")
        expectPasses(checkGradients(at: [c]) { 1 / $0[0] }, "reciprocal")
    }

    @Test mutating func powers() {
        let x = random([5], lower: 0.5, upper: 2), y = random([5])
        expectPasses(checkGradients(at: [x, y]) { pow($0[0], $0[1]) }, "pow(x, y)")
        expectPasses(checkGradients(at: [x]) { pow($0[0], 3) }, "x^3")
        expectPasses(checkGradients(at: [x]) { pow($0[0], 2) }, "x^2")
        expectPasses(checkGradients(at: [x]) { pow($0[0], -0.5) }, "x^-0.5")
    }

    @Test mutating func unaryFunctions() {
        let x = random([4, 3], lower: -2, upper: 2), positive = random([4, 3], lower: 0.1, upper: 3)
        expectPasses(checkGradients(at: [x]) { exp($0[0]) }, "exp")
        expectPasses(checkGradients(at: [positive]) { log($0[0]) }, "log")
        expectPasses(checkGradients(at: [positive]) { sqrt($0[0]) }, "sqrt")
        expectPasses(checkGradients(at: [x]) { tanh($0[0]) }, "tanh")
        expectPasses(checkGradients(at: [x]) { sigmoid($0[0]) }, "sigmoid")
        expectPasses(checkGradients(at: [x]) { relu($0[0]) }, "relu")
        expectPasses(checkGradients(at: [x]) { abs($0[0]) }, "abs")
        expectPasses(checkGradients(at: [x]) { square($0[0]) }, "square")
    }

    @Test func reluAtZeroFollowsPyTorch() {
        // At the kink the subgradient is 0 (PyTorch's choice); finite differences see 1/2 there,
        // so the check is expected to flag exactly that element.
        let x = Tensor([-1, 0, 1], shape: [3], dtype: .float64)
        let v = Variable(x, requiresGrad: true)
        relu(v).sum().backward()
        #expect(v.grad?.doubles == [0, 0, 1])
        let result = checkGradients(at: [x]) { relu($0[0]).sum() }
        #expect(result.entries[0].worstIndex == [1])
        #expect(abs(result.entries[0].numeric - 0.5) < 1e-9)
    }

    @Test mutating func elementwiseMaxAndMinIncludingTies() {
        let a = random([6]), b = random([6])
        expectPasses(checkGradients(at: [a, b]) { max($0[0], $0[1]) }, "max")
        expectPasses(checkGradients(at: [a, b]) { min($0[0], $0[1]) }, "min")
        // Equal inputs: the gradient is split in half, which is what centered differences measure.
        let tied = Tensor([0.5, -0.25, 1], shape: [3], dtype: .float64)
        expectPasses(checkGradients(at: [tied, tied]) { max($0[0], $0[1]) }, "max at ties")
        expectPasses(checkGradients(at: [tied, tied]) { min($0[0], $0[1]) }, "min at ties")
    }

    @Test mutating func reductions() {
        let x = random([3, 4, 5])
        expectPasses(checkGradients(at: [x]) { $0[0].sum() }, "sum")
        expectPasses(checkGradients(at: [x]) { $0[0].sum(alongAxes: 1) }, "sum axis 1")
        expectPasses(checkGradients(at: [x]) { $0[0].sum(alongAxes: 0, 2, keepingDims: true) }, "sum axes 0, 2")
        expectPasses(checkGradients(at: [x]) { $0[0].mean() }, "mean")
        expectPasses(checkGradients(at: [x]) { $0[0].mean(alongAxes: -1) }, "mean last axis")
        expectPasses(checkGradients(at: [x]) { $0[0].variance(alongAxes: [0, 2]) }, "variance")
        expectPasses(checkGradients(at: [x]) { $0[0].variance(alongAxes: [1], correction: 1, keepingDims: true) }, "unbiased variance")
        expectPasses(checkGradients(at: [x]) { $0[0].max(alongAxes: [1]) }, "max axis 1")
        expectPasses(checkGradients(at: [x]) { $0[0].min(alongAxes: [2], keepingDims: true) }, "min axis 2")
        expectPasses(checkGradients(at: [x]) { $0[0].max() }, "max of all")
    }

    @Test func reducedMaxAtTiesSharesTheGradient() {
        let x = Tensor([1, 3, 3, 2, 0, 0], shape: [2, 3], dtype: .float64)
        expectPasses(checkGradients(at: [x]) { $0[0].max(alongAxes: [1]) }, "row max with ties")
        let v = Variable(x, requiresGrad: true)
        v.max(alongAxes: [1]).sum().backward()
        #expect(v.grad?.doubles == [0, 0.5, 0.5, 1, 0, 0])
    }

    @Test mutating func shapeOps() {
        let x = random([2, 3, 4])
        expectPasses(checkGradients(at: [x]) { $0[0].reshaped([6, 4]) }, "reshape")
        expectPasses(checkGradients(at: [x]) { $0[0].permuted([2, 0, 1]) }, "permute")
        expectPasses(checkGradients(at: [x]) { $0[0].transposed() }, "transpose")
        expectPasses(checkGradients(at: [x]) { $0[0].slice(axis: 1, 1..<3) }, "slice")
        expectPasses(checkGradients(at: [x]) { $0[0].gathering(rows: [1, 0, 1]) }, "gather with a repeated row")
        expectPasses(checkGradients(at: [x, x]) { Variable.concatenate([$0[0], $0[1]], axis: 2) }, "concatenate")
        expectPasses(checkGradients(at: [random([3, 1])]) { $0[0].broadcast(to: [2, 3, 4]) }, "broadcast")
    }

    @Test mutating func matrixProductsWithEveryTransposeFlag() {
        let a = random([3, 4]), b = random([4, 5])
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let x = ta ? a.transposed() : a, y = tb ? b.transposed() : b
            expectPasses(checkGradients(at: [x, y]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) },
                         "matmul transposeA: \(ta), transposeB: \(tb)")
        }
    }

    @Test mutating func composedExpression() {
        // A small network by hand: tanh(x·W + b) summed, with a squared-error loss.
        let x = random([4, 3]), w = random([3, 2]), b = random([2]), t = random([4, 2])
        expectPasses(checkGradients(at: [x, w, b]) { v in
            let y = tanh(matmul(v[0], v[1]) + v[2])
            return square(y - Variable(t)).mean()
        })
    }

    @Test func theCheckerCatchesAWrongGradient() {
        // A deliberately wrong op: value x², claimed derivative 3x.
        let x = Tensor([0.5, 1.5], shape: [2], dtype: .float64)
        let result = checkGradients(at: [x]) { v in
            let input = v[0], value = input.value
            return Variable(op: "wrong", value: square(value), inputs: [input]) { g in [g * value * 3] }
        }
        #expect(!result.passed())
        #expect(result.maxRelativeError > 0.3)
    }

    @Test func relativeErrorFormula() {
        #expect(relativeError(1, 1) == 0)
        #expect(relativeError(0, 0) == 0)
        #expect(abs(relativeError(2, 1) - 0.5) < 1e-15)
        #expect(relativeError(1e-14, -1e-14) < 1e-3)
    }
}

@Suite struct PowerTests {
    @Test func wholeExponentsWorkForNegativeBases() {
        let x = Tensor([-2, 3], shape: [2], dtype: .float64)
        #expect(pow(x, 3).doubles == [-8, 27])
        #expect(pow(x, Tensor([2, -1], shape: [2], dtype: .float64)).doubles == [4, 1.0 / 3])
        let v = Variable(x, requiresGrad: true)
        pow(v, 3).sum().backward()
        #expect(v.grad?.doubles == [12, 27])
    }
}
