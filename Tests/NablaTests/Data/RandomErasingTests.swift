import Foundation
import Testing
@testable import Nabla

/// `--augment erase:P`: random erasing as torchvision's `RandomErasing` draws it.
@Suite struct RandomErasingTests {
    @Test func erasesTheExpectedShareOfImagesAndPixels() {
        var g = RandomGenerator(seed: 11)
        let count = 2000
        let out = Augmentation(erasing: 0.5).apply(Tensor.ones([count, 3, 28, 28]), generator: &g).floats
        let plane = 28 * 28
        var touched = 0, erased = 0
        for i in 0..<count {
            let image = out[(i * 3 * plane)..<((i + 1) * 3 * plane)]
            let zeros = image.filter { $0 == 0 }.count
            touched += zeros > 0 ? 1 : 0
            erased += zeros
            // Every channel loses the same rectangle.
            let channels = (0..<3).map { c in Array(image.dropFirst(c * plane).prefix(plane)) }
            #expect(channels[0] == channels[1] && channels[1] == channels[2])
        }
        // Half the images; each loses 2–33% of its area, 17.4% on average (a box that does not fit
        // after 10 tries erases nothing): 8.7% of all pixels.
        #expect(abs(Double(touched) / Double(count) - 0.5) < 0.04, "\(touched) of \(count) images erased")
        #expect(abs(Double(erased) / Double(count * 3 * plane) - 0.087) < 0.01, "\(erased) pixels erased")
    }

    @Test func theErasedRegionIsOneRectangleWithinBounds() {
        var g = RandomGenerator(seed: 12)
        for _ in 0..<100 {
            guard let box = Augmentation.erasedBox(height: 20, width: 12, generator: &g) else { continue }
            #expect(box.y >= 0 && box.x >= 0 && box.y + box.h <= 20 && box.x + box.w <= 12)
            let area = Double(box.h * box.w) / 240
            // Rounding the sides moves the area a little past the drawn 2–33%.
            #expect(area > 0.005 && area < 0.45, "\(box)")
            let aspect = Double(box.h) / Double(box.w)
            #expect(aspect > 0.1 && aspect < 10, "\(box)")
        }
        // With erasing always on, one rectangle of zeros per image.
        let out = Augmentation(erasing: 1).apply(Tensor.ones([1, 1, 20, 12]), generator: &g).floats
        let rows = (0..<20).filter { y in (0..<12).contains { out[y * 12 + $0] == 0 } }
        let cols = (0..<12).filter { x in (0..<20).contains { out[$0 * 12 + x] == 0 } }
        #expect(!rows.isEmpty && out.filter { $0 == 0 }.count == rows.count * cols.count)
        #expect(rows == Array(rows.first!...rows.last!) && cols == Array(cols.first!...cols.last!))
    }

    @Test func sameSeedSameErasures() {
        var r = RandomGenerator(seed: 13)
        let batch = Tensor.randomNormal([16, 3, 10, 10], generator: &r)
        let erase = Augmentation(horizontalFlip: true, cropPadding: 2, erasing: 0.6)
        var g1 = RandomGenerator(seed: 5), g2 = RandomGenerator(seed: 5), g3 = RandomGenerator(seed: 6)
        let a = erase.apply(batch, generator: &g1)
        #expect(a == erase.apply(batch, generator: &g2))
        #expect(g1 == g2)   // the generator, saved in checkpoints, is all a resumed run needs
        #expect(a != erase.apply(batch, generator: &g3))
    }

    @Test func withoutErasingFlipAndCropDrawAsBefore() {
        var r = RandomGenerator(seed: 14)
        let batch = Tensor.randomNormal([8, 1, 6, 6], generator: &r)
        var g1 = RandomGenerator(seed: 3), g2 = RandomGenerator(seed: 3)
        _ = Augmentation(horizontalFlip: true, cropPadding: 1).apply(batch, generator: &g1)
        _ = Augmentation(horizontalFlip: true, cropPadding: 1, erasing: 0).apply(batch, generator: &g2)
        #expect(g1 == g2)
        // Three draws per image (flip, two shifts): nothing more.
        var g3 = RandomGenerator(seed: 3)
        for _ in 0..<(8 * 3) { _ = g3.next() }
        #expect(g1 == g3)
    }

    @Test func parsesAndWritesTheCommandLineForm() throws {
        #expect(try Augmentation(parsing: "erase:0.5") == Augmentation(erasing: 0.5))
        #expect(try Augmentation(parsing: "flip, crop:4, erase:0.25") == Augmentation(horizontalFlip: true, cropPadding: 4, erasing: 0.25))
        #expect(Augmentation(horizontalFlip: true, erasing: 0.25).text == "flip,erase:0.25")
        #expect(try Augmentation(parsing: Augmentation(cropPadding: 2, erasing: 1).text) == Augmentation(cropPadding: 2, erasing: 1))
        #expect(!Augmentation(erasing: 0.1).isIdentity)
        for (text, message) in [("erase:1.5", "augmentation: 'erase:1.5': erase takes a probability between 0 and 1, e.g. erase:0.5"),
                                ("erase:x", "augmentation: 'erase:x': erase takes a probability between 0 and 1, e.g. erase:0.5"),
                                ("crop:-1", "augmentation: 'crop:-1': crop takes a whole number of pixels ≥ 0, e.g. crop:4")] {
            do {
                _ = try Augmentation(parsing: text)
                Issue.record("\(text) parsed")
            } catch {
                #expect("\(error)" == message)
            }
        }
    }

    @Test func recipesKeepErasingAndReadOldOnesWithout() throws {
        let augmentation = Augmentation(horizontalFlip: true, erasing: 0.3)
        let json = try JSONEncoder().encode(augmentation)
        #expect(try JSONDecoder().decode(Augmentation.self, from: json) == augmentation)
        let old = Data(#"{"horizontalFlip": true, "cropPadding": 4}"#.utf8)
        #expect(try JSONDecoder().decode(Augmentation.self, from: old) == Augmentation(horizontalFlip: true, cropPadding: 4))
        // Without erasing, the JSON is what it was before erasing existed.
        let plain = String(decoding: try JSONEncoder().encode(Augmentation(cropPadding: 4)), as: UTF8.self)
        #expect(!plain.contains("erasing"))
        let bad = Data(#"{"horizontalFlip": false, "cropPadding": 0, "erasing": 2}"#.utf8)
        #expect(throws: SettingError.self) { try JSONDecoder().decode(Augmentation.self, from: bad) }
    }
}
