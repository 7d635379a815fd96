import Testing
@testable import Nabla

@Suite struct BroadcastTests {
    @Test func sameShapeArithmetic() {
        let a = Tensor([1, 2, 3], shape: [3]), b = Tensor([4, 5, 6], shape: [3])
        #expect((a + b).floats == [5, 7, 9])
        #expect((a - b).floats == [-3, -3, -3])
        #expect((a * b).floats == [4, 10, 18])
        #expect((b / a).floats == [4, 2.5, 2])
        #expect((a * 2 + 1).floats == [3, 5, 7])
        #expect((1 - a).floats == [0, -1, -2])
    }

    @Test func rowAndColumnBroadcasting() {
        let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let row = Tensor([10, 20, 30], shape: [3])
        let column = Tensor([100, 200], shape: [2, 1])
        #expect((m + row).floats == [11, 22, 33, 14, 25, 36])
        #expect((m + column).floats == [101, 102, 103, 204, 205, 206])
        #expect((row + column).shape == [2, 3])
        #expect((row + column).floats == [110, 120, 130, 210, 220, 230])
    }

    @Test func broadcastingInTheMiddleOfHigherRanks() {
        let a = Tensor.arange(0, 24).reshaped([2, 3, 4])
        let b = Tensor([1, 2, 3], shape: [1, 3, 1])
        let c = a * b
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            #expect(c[i, j, k] == a[i, j, k] * Double(j + 1))
        } } }
    }

    @Test func largeTensorsSplitOverCoresGiveTheSameAnswer() {
        var g = RandomGenerator(seed: 3)
        let a = Tensor.randomNormal([600, 1000], generator: &g)
        let b = Tensor.randomNormal([1000], generator: &g)
        let c = a + b
        for (i, j) in [(0, 0), (599, 999), (300, 17)] { #expect(c[i, j] == Double(Float(a[i, j]) + Float(b[j]))) }
    }

    @Test func inPlaceOperatorsCopyOnWrite() {
        let a = Tensor([1, 2], shape: [2])
        var b = a
        b += Tensor([1, 1], shape: [2])
        b *= 3
        #expect(a.floats == [1, 2])
        #expect(b.floats == [6, 9])
    }

    @Test func comparisonsGiveMasks() {
        let a = Tensor([1, 2, 3], shape: [3]), b = Tensor([3, 2, 1], shape: [3])
        #expect((a .> b).floats == [0, 0, 1])
        #expect((a .>= b).floats == [0, 1, 1])
        #expect((a .== b).floats == [0, 1, 0])
        #expect((a .< 2).floats == [1, 0, 0])
        #expect(Tensor.where(a .> b, a, b).floats == [3, 2, 3])
        #expect(max(a, b).floats == [3, 2, 3])
        #expect(min(a, 2).floats == [1, 2, 2])
    }

    @Test func unaryFunctions() {
        let x = Tensor([-1, 0, 4], shape: [3], dtype: .float64)
        #expect(relu(x).doubles == [0, 0, 4])
        #expect(abs(x).doubles == [1, 0, 4])
        #expect(sqrt(Tensor([4, 9], shape: [2])).floats == [2, 3])
        #expect(exp(Tensor([0], shape: [1])).floats == [1])
        #expect(log(exp(x)).isAlmostEqual(to: x, tolerance: 1e-12))
        #expect(pow(Tensor([2, 3], shape: [2]), 3).floats == [8, 27])
        #expect(sigmoid(Tensor([-1000, 0, 1000], shape: [3])).floats == [0, 0.5, 1])
        #expect(tanh(Tensor([0], shape: [1])).floats == [0])
    }
}
