import Foundation

/// The first layer's weights drawn as a grid of small images (the lectures' "visualize the first
/// layer": smooth, structured filters in a healthy network, noise in one that has not learned).
///
/// Each filter is normalized to its own range (its smallest weight black, its largest white),
/// enlarged by an integer factor without smoothing (nearest neighbour), and drawn in color when it
/// has 3 input channels (red, green, blue), in gray otherwise (one tile per channel).
public enum FilterGrid {
    /// The filters of the first convolution or dense layer of `model`, as `[filters, channels, height, width]`.
    ///
    /// A dense layer's weight `[out, in]` is reshaped to the input image: `inputShape` when it is
    /// `[C, H, W]` with `C·H·W = in`; else a square gray (`in = s²`) or color (`in = 3·s²`) image.
    /// - Throws: `MonitoringError` when the model has no such layer or its weights do not form an image.
    public static func firstLayerFilters(of model: any Module, inputShape: [Int]) throws -> Tensor {
        guard let weight = firstWeightLayer(model)?.filterWeight else {
            throw MonitoringError("the model has no convolution or dense layer whose weights could be shown")
        }
        if weight.shape.count == 4 { return weight }
        let (out, inputs) = (weight.shape[0], weight.shape[1])
        if inputShape.count == 3, inputShape.reduce(1, *) == inputs { return weight.reshaped([out] + inputShape) }
        for channels in [1, 3] where inputs % channels == 0 {
            let side = Int(Double(inputs / channels).squareRoot().rounded())
            if side * side * channels == inputs { return weight.reshaped([out, channels, side, side]) }
        }
        throw MonitoringError("the first dense layer has \(inputs) inputs per unit, which is not an image (input shape \(inputShape)); its weights cannot be drawn as pictures")
    }

    /// The first convolution or dense layer, searching children depth first: the first module whose
    /// own `weight` is `[out, in, kH, kW]` or `[out, in]` (batch norm's `weight` is one value per channel).
    public static func firstWeightLayer(_ module: any Module) -> (any Module)? {
        if module.filterWeight != nil { return module }
        for child in module.children { if let found = firstWeightLayer(child.module) { return found } }
        return nil
    }

    /// The enlargement that makes a `height × width` filter about `target` pixels tall (at least 1):
    /// 12× for 5 × 5 kernels, 2× for 28 × 28 images.
    public static func defaultScale(height: Int, width: Int, target: Int = 64) -> Int {
        max(1, target / max(height, width, 1))
    }

    /// Draws `filters` (`[count, channels, height, width]`) as a grid.
    ///
    /// - Parameters:
    ///   - scale: each weight becomes a `scale × scale` square (default: `defaultScale`).
    ///   - columns: tiles per row (default: about the square root of the tile count).
    ///   - spacing: pixels between tiles and around the grid.
    ///   - background: the color between tiles (default: dark blue for gray filters, white for color
    ///     ones, so that tiles stand apart from their own black and white).
    /// - Returns: an image `columns · (w·scale + spacing) + spacing` pixels wide and
    ///   `rows · (h·scale + spacing) + spacing` tall.
    public static func render(_ filters: Tensor, scale: Int? = nil, columns: Int? = nil, spacing: Int = 3,
                              background: Color? = nil) -> RasterImage {
        precondition(filters.rank == 4, "FilterGrid.render: filters must be [count, channels, height, width], got \(filters.shape)")
        let (count, channels, h, w) = (filters.shape[0], filters.shape[1], filters.shape[2], filters.shape[3])
        let color = channels == 3
        let tiles = color ? count : count * channels
        let scale = max(1, scale ?? defaultScale(height: h, width: w))
        let columns = max(1, min(tiles, columns ?? Int(Double(tiles).squareRoot().rounded(.up))))
        let rows = (tiles + columns - 1) / columns
        let tileW = w * scale, tileH = h * scale
        let image = RasterImage(width: columns * (tileW + spacing) + spacing, height: rows * (tileH + spacing) + spacing,
                                background: background ?? (color ? .white : Color(30, 60, 110)))
        let values = filters.floats, plane = h * w
        for tile in 0..<tiles {
            // One tile: a filter (all three channels) or one channel of a filter.
            let start = color ? tile * channels * plane : tile * plane
            let length = color ? channels * plane : plane
            let slice = values[start..<(start + length)]
            let lo = slice.min() ?? 0, hi = slice.max() ?? 0
            let range = hi - lo
            func level(_ v: Float) -> UInt8 { range > 0 ? UInt8(((v - lo) / range * 255).rounded()) : 128 }
            let picture = RasterImage(width: w, height: h)
            for y in 0..<h {
                for x in 0..<w {
                    let i = start + y * w + x
                    picture[x, y] = color ? Color(level(values[i]), level(values[i + plane]), level(values[i + 2 * plane]))
                                          : Color(level(values[i]), level(values[i]), level(values[i]))
                }
            }
            let x0 = spacing + (tile % columns) * (tileW + spacing), y0 = spacing + (tile / columns) * (tileH + spacing)
            image.draw(picture, x: x0, y: y0, scale: scale)
        }
        return image
    }
}
