import Foundation

/// An SVG document that charts draw on; `text` is the finished file.
///
/// Text is set in a monospace font at `10 · scale` pixels, whose characters are about
/// `6 · scale` pixels wide, matching the raster font's metrics.
public final class SVGDocument: Canvas {
    /// The size in pixels.
    public let width: Int
    public let height: Int
    private var elements: [String] = []

    /// An empty white document of the given size.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "SVGDocument: the size must be positive, got \(width)×\(height)")
        self.width = width
        self.height = height
    }

    /// The complete SVG file.
    public var text: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="white"/>
        \(elements.joined(separator: "\n"))
        </svg>

        """
    }

    public func fill(_ rect: Rect, color: Color) {
        elements.append("<rect x=\"\(n(rect.x))\" y=\"\(n(rect.y))\" width=\"\(n(rect.width))\" height=\"\(n(rect.height))\" fill=\"\(rgb(color))\"/>")
    }

    public func stroke(_ points: [Point], color: Color, lineWidth: Double) {
        guard !points.isEmpty else { return }
        let list = (points.count == 1 ? [points[0], points[0]] : points).map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
        elements.append("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(rgb(color))\" stroke-width=\"\(n(lineWidth))\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>")
    }

    public func text(_ string: String, at: Point, scale: Int, color: Color, anchor: TextAnchor, rotated: Bool) {
        let s = Double(max(1, scale))
        let anchorName = anchor == .start ? "start" : anchor == .middle ? "middle" : "end"
        // The baseline sits half a capital height below the given middle.
        let attributes = "font-family=\"monospace\" font-size=\"\(n(10 * s))\" text-anchor=\"\(anchorName)\" fill=\"\(rgb(color))\""
        if rotated {
            elements.append("<text transform=\"translate(\(n(at.x)),\(n(at.y))) rotate(-90)\" x=\"0\" y=\"\(n(3.5 * s))\" \(attributes)>\(escaped(string))</text>")
        } else {
            elements.append("<text x=\"\(n(at.x))\" y=\"\(n(at.y + 3.5 * s))\" \(attributes)>\(escaped(string))</text>")
        }
    }

    /// Writes the document to a file, atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    private func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private func rgb(_ c: Color) -> String { "rgb(\(c.red),\(c.green),\(c.blue))" }

    private func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
