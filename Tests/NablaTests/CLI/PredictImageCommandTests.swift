import Foundation
import Testing
@testable import Nabla

/// `nabla predict RUN a.png b.jpg …`: images as inputs of a run trained on MNIST digits.
@Suite struct PredictImageCommandTests {
    typealias E = EvaluatePredictCommandTests

    @Test func pngDigitsGetTheClassesOfTheirPixels() throws {
        let f = try E.fixture.get()
        let digits = try E.digits(3)
        let pixels = digits.features.floats.map { UInt8($0) }
        var files: [String] = []
        for i in 0..<3 {
            let image = DecodedImage(width: 28, height: 28, channels: 1, pixels: Array(pixels[(i * 784)..<((i + 1) * 784)]))
            files.append(f.folder + "/digit\(i).png")
            try AtomicFile.write(ImageCodecs.encodePNG(image), to: files[i])
        }
        let run = try E.nabla(["predict", f.runA] + files)
        #expect(run.status == 0, "\(run.stderr)")
        let expected = try E.expectedClasses(f.runA, digits)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        for i in 0..<3 { #expect(lines[i].hasPrefix("\(files[i])[0]: class \(expected[i]) (p")) }

        let colour = DecodedImage(width: 4, height: 4, channels: 3, pixels: [UInt8](repeating: 9, count: 48))
        try AtomicFile.write(ImageCodecs.encodeJPEG(colour), to: f.folder + "/colour.jpg")
        let refused = try E.nabla("predict", f.runA, f.folder + "/colour.jpg")
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: \(f.folder)/colour.jpg: a colour image, but the run was trained on grey images\n")
    }
}
