import Foundation
import Testing
@testable import Nabla

@Suite struct FilterGridTests {
    @Test func convolutionFiltersInAGrid() throws {
        var g = RandomGenerator(seed: 1)
        let conv = Conv2D(1, 16, kernel: 5, generator: &g)
        let model = Sequential(conv, ReLU())
        let filters = try FilterGrid.firstLayerFilters(of: model, inputShape: [1, 28, 28])
        #expect(filters.shape == [16, 1, 5, 5])
        let image = FilterGrid.render(filters, scale: 4, spacing: 2)
        // 4 × 4 tiles of 20 × 20 pixels with 2 pixels around each.
        #expect(image.width == 4 * 22 + 2 && image.height == 4 * 22 + 2)
        // Each filter spans black to white (normalized to its own range), in gray.
        var tile: [Color] = []
        for y in 2..<22 { for x in 2..<22 { tile.append(image[x, y]) } }
        #expect(tile.contains(.black) && tile.contains(.white))
        #expect(tile.allSatisfy { $0.red == $0.green && $0.green == $0.blue })
        // Nearest neighbour: each weight is a uniform 4 × 4 block.
        #expect((2..<6).allSatisfy { y in (2..<6).allSatisfy { x in image[x, y] == image[2, 2] } })
        let png = try DecodedPNG(image.pngData())
        #expect(png.width == image.width && png.distinctColors > 10)
    }

    @Test func colorFiltersForThreeChannels() {
        var g = RandomGenerator(seed: 2)
        let filters = Tensor.randomNormal([8, 3, 3, 3], generator: &g)
        let image = FilterGrid.render(filters, scale: 10, spacing: 1)
        // 8 tiles in 3 columns and 3 rows of 30 × 30 pixels.
        #expect(image.width == 3 * 31 + 1 && image.height == 3 * 31 + 1)
        #expect((0..<image.height).contains { y in (0..<image.width).contains { x in
            let c = image[x, y]; return c.red != c.green || c.green != c.blue } })
        #expect(FilterGrid.render(filters, columns: 8).width == 8 * (3 * 21 + 3) + 3)   // default scale 64 / 3, spacing 3
    }

    @Test func denseWeightsReshapedToTheInputImage() throws {
        var g = RandomGenerator(seed: 3)
        let model = Sequential(Flatten(), Linear(784, 10, generator: &g), ReLU(), Linear(10, 10, generator: &g))
        let filters = try FilterGrid.firstLayerFilters(of: model, inputShape: [1, 28, 28])
        #expect(filters.shape == [10, 1, 28, 28])
        #expect(try FilterGrid.firstLayerFilters(of: model, inputShape: [784]).shape == [10, 1, 28, 28])
        let image = FilterGrid.render(filters, scale: 2, spacing: 2)
        #expect(image.width == 4 * 58 + 2 && image.height == 3 * 58 + 2)
        let color = Sequential(Linear(3 * 32 * 32, 4, generator: &g))
        #expect(try FilterGrid.firstLayerFilters(of: color, inputShape: [3072]).shape == [4, 3, 32, 32])
        #expect(throws: MonitoringError.self) { try FilterGrid.firstLayerFilters(of: Sequential(Linear(10, 2, generator: &g)), inputShape: [10]) }
        #expect(throws: MonitoringError.self) { try FilterGrid.firstLayerFilters(of: Sequential(ReLU()), inputShape: [10]) }
    }
}
