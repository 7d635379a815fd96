import Testing
@testable import Nabla

@Suite struct AugmentationTests {
    /// One 1×2×3 image: rows [1 2 3] and [4 5 6].
    let image = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 1, 2, 3])

    @Test func flipMirrorsRowsOrLeavesThem() {
        var g = RandomGenerator(seed: 0)
        var seen = Set<[Float]>()
        for _ in 0..<20 { seen.insert(Augmentation(horizontalFlip: true).apply(image, generator: &g).floats) }
        #expect(seen == [[1, 2, 3, 4, 5, 6], [3, 2, 1, 6, 5, 4]])
    }

    @Test func cropTranslatesWithZeroPadding() {
        var g = RandomGenerator(seed: 1)
        let crop = Augmentation(cropPadding: 1)
        var seen = Set<[Float]>()
        for _ in 0..<200 { seen.insert(crop.apply(image, generator: &g).floats) }
        // Shifts by -1, 0, 1 in each direction: 9 distinct images, each a window of the padded image.
        #expect(seen.count == 9)
        #expect(seen.contains([1, 2, 3, 4, 5, 6]))
        #expect(seen.contains([0, 0, 0, 0, 1, 2]))   // moved down and right
        #expect(seen.contains([5, 6, 0, 0, 0, 0]))   // moved up and left
    }

    @Test func parsesTheCommandLineForm() throws {
        #expect(try Augmentation(parsing: "flip,crop:4") == Augmentation(horizontalFlip: true, cropPadding: 4))
        #expect(throws: SettingError.self) { try Augmentation(parsing: "rotate") }
    }

    @Test func sameSeedSameBatch() {
        var g1 = RandomGenerator(seed: 5), g2 = RandomGenerator(seed: 5)
        let a = Augmentation(horizontalFlip: true, cropPadding: 2)
        var r = RandomGenerator(seed: 9)
        let batch = Tensor.randomNormal([8, 3, 6, 6], generator: &r)
        #expect(a.apply(batch, generator: &g1) == a.apply(batch, generator: &g2))
    }
}
