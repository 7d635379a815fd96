import Testing
@testable import Nabla

@Suite struct TensorCreationTests {
    @Test func scalarsKeepRowMajorOrder() {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(t.shape == [2, 3])
        #expect(t.dtype == .float32)
        #expect(t[1, 0] == 4)
        #expect(t.floats == [1, 2, 3, 4, 5, 6])
    }

    @Test func doubleTensorsKeepDoublePrecision() {
        let t = Tensor([0.1, 0.2], shape: [2], dtype: .float64)
        #expect(t.dtype == .float64)
        #expect(t.doubles == [0.1, 0.2])
    }

    @Test func copiesAreIndependent() {
        let a = Tensor([1, 2, 3], shape: [3])
        var b = a
        b[flat: 0] = 10
        #expect(a.floats == [1, 2, 3])
        #expect(b.floats == [10, 2, 3])
    }

    @Test func reshapeSharesUntilWritten() {
        let a = Tensor.arange(0, 6)
        var b = a.reshaped([2, -1])
        #expect(b.shape == [2, 3])
        b[0, 0] = 7
        #expect(a[flat: 0] == 0)
    }

    @Test func creationHelpers() {
        #expect(Tensor.zeros([2, 2]).floats == [0, 0, 0, 0])
        #expect(Tensor.ones([3], dtype: .float64).doubles == [1, 1, 1])
        #expect(Tensor.arange(1, 2, step: 0.25).floats == [1, 1.25, 1.5, 1.75])
        #expect(Tensor.linspace(0, 1, count: 3).floats == [0, 0.5, 1])
        #expect(Tensor.eye(2).floats == [1, 0, 0, 1])
    }

    @Test func sameSeedSameNumbers() {
        var g1 = RandomGenerator(seed: 42), g2 = RandomGenerator(seed: 42), g3 = RandomGenerator(seed: 43)
        let a = Tensor.randomNormal([1000], generator: &g1)
        let b = Tensor.randomNormal([1000], generator: &g2)
        let c = Tensor.randomNormal([1000], generator: &g3)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func normalSamplesHaveTheRequestedMoments() {
        var g = RandomGenerator(seed: 1)
        let t = Tensor.randomNormal([100_000], mean: 2, standardDeviation: 3, dtype: .float64, generator: &g)
        #expect(abs(t.mean().scalar - 2) < 0.05)
        #expect(abs(t.standardDeviation().scalar - 3) < 0.05)
        let u = Tensor.randomUniform([100_000], lower: -1, upper: 1, generator: &g)
        #expect(u.min().scalar >= -1 && u.max().scalar < 1)
        #expect(abs(u.mean().scalar) < 0.02)
    }

    @Test func printsLikeNumPy() {
        let t = Tensor([1, 2.5, 3, 4], shape: [2, 2])
        #expect(t.description == "[[  1, 2.5],\n [  3,   4]] (shape [2, 2], float32)")
        let long = Tensor.arange(0, 10)
        #expect(long.description.hasPrefix("[0, 1, 2, …, 7, 8, 9]"))
    }
}
