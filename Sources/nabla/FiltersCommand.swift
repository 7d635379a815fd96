import ArgumentParser
import Foundation
import Nabla

struct FiltersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filters",
        abstract: "Draw the first layer's weights of a run as a grid of small images (PNG).",
        discussion: """
        Example:
          nabla filters runs/mnist --out filters.png
        The first convolution's filters, or the first dense layer's weights reshaped to the input image \
        (28×28 for MNIST), each scaled to its own range and enlarged without smoothing; color for \
        3-channel inputs. Smooth, structured filters mark a healthy network; noisy ones, one that has \
        not learned (learning rate too low, or too few epochs).
        """
    )

    @Argument(help: "A run folder written by nabla train --out.")
    var folder: String

    @Option(help: "The PNG file to write (default: RUN/filters.png).")
    var out: String?

    @Option(help: "Weights file of the run folder.")
    var weights: String = "best.safetensors"

    @Option(help: "Enlargement: each weight becomes an N×N square (default: about 64 pixels per filter).")
    var scale: Int?

    @Option(help: "Filters per row (default: about the square root of their number).")
    var columns: Int?

    func run() throws {
        if let scale, scale < 1 { throw ValidationError("--scale must be at least 1") }
        if let columns, columns < 1 { throw ValidationError("--columns must be at least 1") }
        do {
            let (model, config) = try RunFolder.loadModel(folder, weights: weights)
            let filters = try FilterGrid.firstLayerFilters(of: model, inputShape: config.inputShape)
            let image = FilterGrid.render(filters, scale: scale, columns: columns)
            let path = out ?? folder + "/filters.png"
            try image.writePNG(to: path)
            let layer = FilterGrid.firstWeightLayer(model).map { $0.description } ?? "?"
            let s = filters.shape
            print("\(layer): \(s[0]) filters of \(s[1])×\(s[2])×\(s[3]) → \(path) (\(image.width)×\(image.height) pixels)")
        } catch {
            fflush(stdout)
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
