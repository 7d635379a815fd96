import Testing
@testable import Nabla

@Suite struct ShapeTests {
    let m = Tensor.arange(0, 6).reshaped([2, 3])

    @Test func transposeAndPermute() {
        #expect(m.transposed().shape == [3, 2])
        #expect(m.transposed().floats == [0, 3, 1, 4, 2, 5])
        let t = Tensor.arange(0, 24).reshaped([2, 3, 4]).permuted([2, 0, 1])
        #expect(t.shape == [4, 2, 3])
        #expect(t[3, 1, 2] == Double(1 * 12 + 2 * 4 + 3))
        let big = Tensor.arange(0, 70 * 50).reshaped([70, 50]).transposed()
        #expect(big[49, 69] == Double(69 * 50 + 49))
    }

    @Test func slicingAndGathering() {
        #expect(m[rows: 1..<2].floats == [3, 4, 5])
        #expect(m.slice(axis: 1, 1..<3).floats == [1, 2, 4, 5])
        #expect(m.gathering(rows: [1, 0, 1]).floats == [3, 4, 5, 0, 1, 2, 3, 4, 5])
        #expect(Tensor.concatenate([m, m], axis: 1).shape == [2, 6])
        #expect(Tensor.concatenate([m, m], axis: 1).floats == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
    }

    @Test func reductionsOverAnyAxis() {
        #expect(m.sum().scalar == 15)
        #expect(m.sum(alongAxes: 0).floats == [3, 5, 7])
        #expect(m.sum(alongAxes: 1).floats == [3, 12])
        #expect(m.sum(alongAxes: -1, keepingDims: true).shape == [2, 1])
        #expect(m.mean(alongAxes: 0).floats == [1.5, 2.5, 3.5])
        #expect(m.max(alongAxes: 1).floats == [2, 5])
        #expect(m.min(alongAxes: 0).floats == [0, 1, 2])
        #expect(m.argmax(alongAxis: 1) == [2, 2])
        #expect(m.argmax(alongAxis: 0) == [1, 1, 1])
        #expect(m.variance(alongAxes: [1]).floats == [2.0 / 3, 2.0 / 3])
        #expect(m.variance(alongAxes: [1], correction: 1).floats == [1, 1])
    }

    @Test func largeSumsAreAccurate() {
        let t = Tensor.ones([1 << 22], dtype: .float32)
        #expect(t.sum().scalar == Double(1 << 22))
        let r = Tensor.arange(0, 1000, dtype: .float64).reshaped([10, 100])
        #expect(r.sum(alongAxes: 1).doubles[9] == Double((900..<1000).reduce(0, +)))
    }

    @Test func matrixProductsUseTransposeFlags() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        let expected: [Float] = [58, 64, 139, 154]
        #expect(matmul(a, b).floats == expected)
        #expect(matmul(a.transposed(), b, transposeA: true).floats == expected)
        #expect(matmul(a, b.transposed(), transposeB: true).floats == expected)
        #expect(matmul(a.transposed(), b.transposed(), transposeA: true, transposeB: true).floats == expected)
        let d = matmul(a.converted(to: .float64), b.converted(to: .float64))
        #expect(d.dtype == .float64 && d.doubles == expected.map(Double.init))
    }
}
