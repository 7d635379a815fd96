import Testing
@testable import Nabla

/// Dropout on a slice of a global batch draws the whole batch's masks and keeps its rows, so an
/// example's mask does not depend on how the batch is shared out.
@Suite struct BatchSliceTests {
    @Test func dropoutOnASliceKeepsTheWholeBatchsMaskRows() throws {
        let x = Variable(Tensor.ones([6, 5]))
        let whole = Dropout(0.5, seed: 7)(x).value
        for (offset, rows) in [(0, 2), (2, 3), (5, 1)] {
            let layer = Dropout(0.5, seed: 7)
            let part = BatchSlice.withCurrent(BatchSlice(offset: offset, total: 6)) { layer(Variable(Tensor.ones([rows, 5]))) }
            #expect(part.value == whole[rows: offset..<(offset + rows)])
            #expect(layer.generator == { let d = Dropout(0.5, seed: 7); _ = d(x); return d.generator }())
        }
    }

    @Test func theSliceIsOnlyCurrentInsideTheBody() {
        #expect(BatchSlice.current == nil)
        BatchSlice.withCurrent(BatchSlice(offset: 1, total: 4)) { #expect(BatchSlice.current == BatchSlice(offset: 1, total: 4)) }
        #expect(BatchSlice.current == nil)
    }
}
