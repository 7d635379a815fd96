import Foundation
import Testing
@testable import Nabla

@Suite struct LearningRateFinderChartTests {
    @Test func chartShowsTheRunAndTheSuggestion() throws {
        // A made-up run: the loss falls between 1e-4 and 1e-2, bottoms out at 1e-1 and explodes.
        let rates = (0..<100).map { 1e-6 * pow(10, 7 * Double($0) / 99) }
        let losses = rates.map { lr in 2.3 - 2 / (1 + pow(1e-3 / lr, 1.5)) + (lr > 0.1 ? 50 * (lr - 0.1) : 0) }
        let result = LearningRateFinderResult(learningRates: rates, losses: losses, smoothed: losses, stop: .exploded)
        let png = try DecodedPNG(result.chart().png())
        #expect(png.width == 900 && png.distinctColors > 10)
        let svg = result.chart().svg()
        #expect(try parseSVG(svg).contains("svg") && svg.contains("learning-rate range test") && svg.contains("suggested lr"))
    }
}
