import Testing
@testable import Nabla

/// The lectures' computational-graph examples, worked by the autograd engine.
@Suite struct LectureGraphTests {
    func scalar(_ x: Double) -> Variable { Variable(.scalar(x, dtype: .float64), requiresGrad: true) }

    @Test func sumTimesProduct() {
        // f(x, y, z) = (x + y) * z at x = -2, y = 5, z = -4
        let x = scalar(-2), y = scalar(5), z = scalar(-4)
        let f = (x + y) * z
        f.backward()
        #expect(f.value.scalar == -12)
        #expect(x.grad?.scalar == -4)
        #expect(y.grad?.scalar == -4)
        #expect(z.grad?.scalar == 3)
    }

    @Test func nodeUsedTwiceGetsBothContributions() {
        // e = (a + b) * (b + 1) at a = 2, b = 1: b feeds two nodes.
        let a = scalar(2), b = scalar(1)
        let e = (a + b) * (b + 1)
        e.backward()
        #expect(e.value.scalar == 6)
        #expect(a.grad?.scalar == 2)
        #expect(b.grad?.scalar == 5)
    }

    @Test func exponentialNeuron() {
        // f(x, w) = 1 + exp(w1 * x + w0) at x = 1, w1 = 2, w0 = 1
        let x = scalar(1), w1 = scalar(2), w0 = scalar(1)
        let f = 1 + exp(w1 * x + w0)
        f.backward()
        let e3 = Double.exp(3)
        #expect(abs(f.value.scalar - (1 + e3)) < 1e-12)
        #expect(abs(x.grad!.scalar - 2 * e3) < 1e-12)
        #expect(abs(w1.grad!.scalar - e3) < 1e-12)
        #expect(abs(w0.grad!.scalar - e3) < 1e-12)
    }

    @Test func gradientsAccumulateUntilZeroed() {
        let x = scalar(3)
        (x * x).backward()
        (x * x).backward()
        #expect(x.grad?.scalar == 12)
        x.zeroGrad()
        (x * x).backward()
        #expect(x.grad?.scalar == 6)
    }

    @Test func noGradientModeRecordsNothing() {
        let x = scalar(3)
        let y = withoutGradients { x * x }
        #expect(!y.requiresGrad)
        #expect(y.value.scalar == 9)
        #expect(GradMode.isEnabled)
    }

    @Test func constantsGetNoGradient() {
        let w = scalar(2)
        let c = Variable(.scalar(5, dtype: .float64))
        (w * c).backward()
        #expect(w.grad?.scalar == 5)
        #expect(c.grad == nil)
    }

    @Test func broadcastingIsUndoneInTheBackward() {
        // y = x + b with x [2, 3] and b [3]: db sums the gradient over the rows.
        let x = Variable(.ones([2, 3], dtype: .float64), requiresGrad: true)
        let b = Variable(Tensor([1, 2, 3], shape: [3], dtype: .float64), requiresGrad: true)
        (x + b).sum().backward()
        #expect(b.grad?.doubles == [2, 2, 2])
        #expect(x.grad?.shape == [2, 3])
    }

    @Test func deepChainsDoNotOverflowTheStack() {
        let x = scalar(1)
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        y.backward()
        #expect(abs(x.grad!.scalar - Double.pow(1.0001, 20_000)) < 1e-6)
    }

    @Test func topologicalOrderPutsInputsFirst() {
        let a = scalar(1), b = scalar(2)
        let c = a * b, d = c + a, e = d * c
        let order = e.topologicalOrder()
        func position(_ v: Variable) -> Int { order.firstIndex { $0 === v }! }
        #expect(position(a) < position(c) && position(c) < position(d) && position(d) < position(e))
        #expect(order.count == 5)
    }

    @Test func backwardTellsWhenEachLeafsGradientIsFinal() {
        let a = Variable(.scalar(2, dtype: .float64), requiresGrad: true)
        let b = Variable(.scalar(3, dtype: .float64), requiresGrad: true)
        let c = a * b + a   // a is used twice: its gradient is final only after both uses
        var seen: [(leaf: Variable, gradient: Double)] = []
        c.backward { leaf in seen.append((leaf, leaf.grad!.scalar)) }
        #expect(seen.count == 2 && seen.contains { $0.leaf === a } && seen.contains { $0.leaf === b })
        // Each leaf is reported once, with its whole gradient: ∂c/∂a = b + 1, ∂c/∂b = a.
        for (leaf, gradient) in seen { #expect(gradient == leaf.grad!.scalar) }
        #expect(a.grad!.scalar == 4 && b.grad!.scalar == 2)
    }
}
