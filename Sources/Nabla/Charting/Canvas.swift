import Foundation

/// An RGB color with 8 bits per channel.
public struct Color: Equatable, Hashable, Sendable {
    /// The channels, 0…255.
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    /// A color from its channels, 0…255.
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Paper.
    public static let white = Color(255, 255, 255)
    public static let black = Color(0, 0, 0)
    /// The color of text and axes.
    public static let ink = Color(40, 40, 40)
    /// The color of grid lines.
    public static let grid = Color(226, 226, 226)

    /// Distinct colors for the series of a chart, in order (blue, orange, green, red, purple, …).
    public static let palette: [Color] = [
        Color(31, 119, 180), Color(255, 127, 14), Color(44, 160, 44), Color(214, 39, 40),
        Color(148, 103, 189), Color(140, 86, 75), Color(227, 119, 194), Color(127, 127, 127),
    ]

    /// This color mixed with `other`: `fraction` 0 gives this color, 1 gives `other`.
    public func mixed(with other: Color, _ fraction: Double) -> Color {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8(max(0, min(255, (Double(a) * (1 - fraction) + Double(b) * fraction).rounded())))
        }
        return Color(mix(red, other.red), mix(green, other.green), mix(blue, other.blue))
    }

    /// A lighter version, as used for a raw series drawn under its smoothed version.
    public var lightened: Color { mixed(with: .white, 0.6) }
}

/// A point in pixels, `x` to the right and `y` down.
public struct Point: Equatable, Sendable {
    public var x: Double
    public var y: Double
    /// The point (`x`, `y`).
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A rectangle in pixels: its top-left corner and its size.
public struct Rect: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    /// The rectangle with top-left corner (`x`, `y`) and the given size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// The right edge.
    public var maxX: Double { x + width }
    /// The bottom edge.
    public var maxY: Double { y + height }

    /// Whether `p` lies inside.
    public func contains(_ p: Point) -> Bool { p.x >= x && p.x <= maxX && p.y >= y && p.y <= maxY }

    /// This rectangle shrunk by the given margins.
    public func inset(left: Double, top: Double, right: Double, bottom: Double) -> Rect {
        Rect(x: x + left, y: y + top, width: max(1, width - left - right), height: max(1, height - top - bottom))
    }
}

/// Where a text's anchor point lies along the text.
public enum TextAnchor: Sendable { case start, middle, end }

/// Something charts draw on: a raster image (`RasterImage`, saved as PNG) or an SVG document
/// (`SVGDocument`). Both use the same metrics for text, so that one layout serves both.
///
/// Text uses a fixed-width font whose size is an integer `scale`: each character is
/// `6 · scale` pixels wide, capitals are `7 · scale` pixels tall.
public protocol Canvas: AnyObject {
    var width: Int { get }
    var height: Int { get }
    /// Fills a rectangle.
    func fill(_ rect: Rect, color: Color)
    /// Draws connected line segments.
    func stroke(_ points: [Point], color: Color, lineWidth: Double)
    /// Draws one line of text: `at` is the anchor point horizontally and the middle of the
    /// capitals vertically; `rotated` turns the text a quarter turn counter-clockwise (reading upwards).
    func text(_ string: String, at: Point, scale: Int, color: Color, anchor: TextAnchor, rotated: Bool)
}

extension Canvas {
    /// Draws a rectangle's outline.
    public func strokeRectangle(_ r: Rect, color: Color, lineWidth: Double = 1) {
        let h = lineWidth / 2
        stroke([Point(r.x + h, r.y + h), Point(r.maxX - h, r.y + h), Point(r.maxX - h, r.maxY - h),
                Point(r.x + h, r.maxY - h), Point(r.x + h, r.y + h)], color: color, lineWidth: lineWidth)
    }
}

/// A width in pixels of `string` at a text scale (free function for layout code).
func textWidth(_ string: String, scale: Int) -> Double { Double(max(0, string.count * 6 * scale - scale)) }

/// Anything that can draw itself into a frame of a canvas: line charts, bar charts, figures.
public protocol Chart {
    /// Draws into `frame` (pixels) of `canvas`.
    func draw(on canvas: any Canvas, in frame: Rect)
}

extension Chart {
    /// The chart as an SVG document of the given size.
    public func svg(width: Int = 900, height: Int = 560) -> String {
        let document = SVGDocument(width: width, height: height)
        draw(on: document, in: Rect(x: 0, y: 0, width: Double(width), height: Double(height)))
        return document.text
    }

    /// The chart drawn on a white raster image of the given size.
    public func raster(width: Int = 900, height: Int = 560) -> RasterImage {
        let image = RasterImage(width: width, height: height)
        draw(on: image, in: Rect(x: 0, y: 0, width: Double(width), height: Double(height)))
        return image
    }

    /// The chart as PNG file bytes.
    public func png(width: Int = 900, height: Int = 560) -> Data { raster(width: width, height: height).pngData() }

    /// Writes `<path>.svg` and `<path>.png` (atomically); returns the two paths.
    @discardableResult
    public func write(to path: String, width: Int = 900, height: Int = 560) throws -> [String] {
        try AtomicFile.write(Data(svg(width: width, height: height).utf8), to: path + ".svg")
        try AtomicFile.write(png(width: width, height: height), to: path + ".png")
        return [path + ".svg", path + ".png"]
    }
}

/// Several charts in a grid, with an optional title above them (the lectures' subplots).
public struct Figure: Chart {
    /// The line above all panels.
    public var title: String?
    /// The charts, row by row.
    public var panels: [any Chart]
    /// Panels per row.
    public var columns: Int
    /// The text scale of the title.
    public var textScale: Int

    /// A grid of `panels`, `columns` to a row, each getting an equal share of the frame.
    public init(title: String? = nil, panels: [any Chart], columns: Int, textScale: Int = 2) {
        self.title = title
        self.panels = panels
        self.columns = max(1, columns)
        self.textScale = textScale
    }

    public func draw(on canvas: any Canvas, in frame: Rect) {
        canvas.fill(frame, color: .white)
        var area = frame
        if let title {
            canvas.text(title, at: Point(frame.x + frame.width / 2, frame.y + 8 + 3.5 * Double(textScale)),
                        scale: textScale, color: .ink, anchor: .middle, rotated: false)
            area = frame.inset(left: 0, top: 16 + 7 * Double(textScale), right: 0, bottom: 0)
        }
        guard !panels.isEmpty else { return }
        let rows = (panels.count + columns - 1) / columns
        let w = area.width / Double(columns), h = area.height / Double(rows)
        for (i, panel) in panels.enumerated() {
            let cell = Rect(x: area.x + Double(i % columns) * w, y: area.y + Double(i / columns) * h, width: w, height: h)
            panel.draw(on: canvas, in: cell)
        }
    }
}
