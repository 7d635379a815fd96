import Foundation
import Testing
@testable import Nabla

@Suite struct HistogramTests {
    @Test func histogramCountsLikeNumPy() {
        let h = Histogram([0, 0.1, 0.5, 0.99, 1, 2, -Double.nan], bins: 2, range: 0...1)
        #expect(h.counts == [2, 3])     // the last bin includes 1
        #expect(h.outside == 2)
        #expect(h.edges == [0, 0.5, 1])
        let auto = Histogram([3.0, 3, 3], bins: 4)
        #expect(auto.lowerBound == 2.5 && auto.upperBound == 3.5 && auto.counts.reduce(0, +) == 3)
        #expect(Histogram([1.0, 1, 1, 2], bins: 2).sparkline == "█▃")
        #expect(Histogram([1.0, 2], bins: 3).sparkline == "█ █")
    }
}
