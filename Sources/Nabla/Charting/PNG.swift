import CZlib
import Foundation

/// An RGB image in memory that charts can draw on (antialiased lines, rectangles, bitmap text),
/// saved as PNG.
///
/// ```swift
/// let image = RasterImage(width: 64, height: 32, background: .white)
/// image.fill(Rect(x: 8, y: 8, width: 16, height: 16), color: .black)
/// try image.writePNG(to: "square.png")
/// ```
public final class RasterImage: Canvas {
    /// The size in pixels.
    public let width: Int
    public let height: Int
    /// The pixels, row by row, three bytes (red, green, blue) each.
    public private(set) var pixels: [UInt8]

    /// An image of the given size filled with `background`.
    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "RasterImage: the size must be positive, got \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.red; pixels[3 * i + 1] = background.green; pixels[3 * i + 2] = background.blue
        }
    }

    /// The color of a pixel.
    public subscript(x: Int, y: Int) -> Color {
        get {
            let i = 3 * (y * width + x)
            return Color(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = 3 * (y * width + x)
            pixels[i] = newValue.red; pixels[i + 1] = newValue.green; pixels[i + 2] = newValue.blue
        }
    }

    /// The number of different colors in the image.
    public var distinctColorCount: Int {
        var seen = Set<UInt32>()
        for i in stride(from: 0, to: pixels.count, by: 3) {
            seen.insert(UInt32(pixels[i]) << 16 | UInt32(pixels[i + 1]) << 8 | UInt32(pixels[i + 2]))
        }
        return seen.count
    }

    /// Mixes `color` into a pixel with the given opacity (0…1).
    private func blend(_ x: Int, _ y: Int, _ color: Color, _ alpha: Float) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let i = 3 * (y * width + x), a = min(alpha, 1)
        pixels[i] = UInt8((Float(pixels[i]) * (1 - a) + Float(color.red) * a).rounded())
        pixels[i + 1] = UInt8((Float(pixels[i + 1]) * (1 - a) + Float(color.green) * a).rounded())
        pixels[i + 2] = UInt8((Float(pixels[i + 2]) * (1 - a) + Float(color.blue) * a).rounded())
    }

    // MARK: Canvas

    /// Fills the pixels whose centers lie inside `rect`.
    public func fill(_ rect: Rect, color: Color) {
        let x0 = max(0, Int((rect.x).rounded())), x1 = min(width, Int((rect.maxX).rounded()))
        let y0 = max(0, Int((rect.y).rounded())), y1 = min(height, Int((rect.maxY).rounded()))
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 { for x in x0..<x1 { self[x, y] = color } }
    }

    /// Draws an antialiased polyline: each pixel is covered by the distance from its center to the
    /// nearest segment, and blended once (so joints do not darken).
    public func stroke(_ points: [Point], color: Color, lineWidth: Double) {
        guard let first = points.first else { return }
        let r = max(lineWidth, 0.5) / 2
        var minX = first.x, maxX = first.x, minY = first.y, maxY = first.y
        for p in points { minX = min(minX, p.x); maxX = max(maxX, p.x); minY = min(minY, p.y); maxY = max(maxY, p.y) }
        let bx0 = max(0, Int((minX - r - 1).rounded(.down))), bx1 = min(width - 1, Int((maxX + r + 1).rounded(.up)))
        let by0 = max(0, Int((minY - r - 1).rounded(.down))), by1 = min(height - 1, Int((maxY + r + 1).rounded(.up)))
        guard bx0 <= bx1, by0 <= by1 else { return }
        let bw = bx1 - bx0 + 1
        var coverage = [Float](repeating: 0, count: bw * (by1 - by0 + 1))
        let segments = points.count == 1 ? [(first, first)] : (1..<points.count).map { (points[$0 - 1], points[$0]) }
        for (a, b) in segments {
            let x0 = max(bx0, Int((min(a.x, b.x) - r - 1).rounded(.down))), x1 = min(bx1, Int((max(a.x, b.x) + r + 1).rounded(.up)))
            let y0 = max(by0, Int((min(a.y, b.y) - r - 1).rounded(.down))), y1 = min(by1, Int((max(a.y, b.y) + r + 1).rounded(.up)))
            guard x0 <= x1, y0 <= y1 else { continue }
            let dx = b.x - a.x, dy = b.y - a.y, length2 = dx * dx + dy * dy
            for y in y0...y1 {
                for x in x0...x1 {
                    let px = Double(x) + 0.5, py = Double(y) + 0.5
                    let t = length2 > 0 ? max(0, min(1, ((px - a.x) * dx + (py - a.y) * dy) / length2)) : 0
                    let ex = px - (a.x + t * dx), ey = py - (a.y + t * dy)
                    let c = Float(max(0, min(1, r + 0.5 - (ex * ex + ey * ey).squareRoot())))
                    let k = (y - by0) * bw + (x - bx0)
                    if c > coverage[k] { coverage[k] = c }
                }
            }
        }
        for y in by0...by1 { for x in bx0...bx1 { blend(x, y, color, coverage[(y - by0) * bw + (x - bx0)]) } }
    }

    /// Draws text with the built-in 5 × 7 bitmap font, each font pixel a `scale × scale` square.
    public func text(_ string: String, at: Point, scale: Int, color: Color, anchor: TextAnchor, rotated: Bool) {
        let s = max(1, scale)
        let total = textWidth(string, scale: s)
        let offset: Double = anchor == .start ? 0 : anchor == .middle ? -total / 2 : -total
        // (u, v): position along the text and downwards from the top of the capitals.
        let u0 = Int(offset.rounded()), v0 = -Int((3.5 * Double(s)).rounded())
        let ax = Int(at.x.rounded()), ay = Int(at.y.rounded())
        for (i, character) in string.enumerated() {
            for (row, bits) in BitmapFont.rows(character).enumerated() {
                for column in 0..<5 where bits & (1 << (4 - column)) != 0 {
                    let u = u0 + (i * BitmapFont.advance + column) * s, v = v0 + row * s
                    for du in 0..<s {
                        for dv in 0..<s {
                            if rotated { self[ax + v + dv, ay - u - du - 1] = color } else { self[ax + u + du, ay + v + dv] = color }
                        }
                    }
                }
            }
        }
    }

    /// Copies `other` into this image with its top-left corner at (`x`, `y`), each of its pixels
    /// drawn as a `scale × scale` square (nearest neighbour: no smoothing).
    public func draw(_ other: RasterImage, x: Int, y: Int, scale: Int = 1) {
        for sy in 0..<other.height {
            for sx in 0..<other.width {
                let color = other[sx, sy]
                for dy in 0..<scale { for dx in 0..<scale { self[x + sx * scale + dx, y + sy * scale + dy] = color } }
            }
        }
    }

    // MARK: PNG

    /// The image as a PNG file: signature, `IHDR` (8-bit RGB), one `IDAT` (zlib `compress2` of the
    /// rows, each with filter byte 0), `IEND`; chunk checksums by zlib's `crc32`.
    public func pngData() -> Data {
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = [UInt8]()
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]   // bit depth 8, color type 2 (RGB), deflate, no filter method extras, no interlace
        appendChunk("IHDR", header, to: &out)

        let stride = width * 3
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        for y in 0..<height {
            raw[y * (stride + 1)] = 0
            for i in 0..<stride { raw[y * (stride + 1) + 1 + i] = pixels[y * stride + i] }
        }
        var length = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(length))
        let status = compress2(&compressed, &length, raw, uLong(raw.count), 9)
        precondition(status == Z_OK, "PNG: zlib compress2 failed with status \(status)")
        appendChunk("IDAT", Array(compressed[0..<Int(length)]), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Writes the image as a PNG file, atomically.
    public func writePNG(to path: String) throws {
        try AtomicFile.write(pngData(), to: path)
    }

    private func appendChunk(_ type: String, _ data: [UInt8], to out: inout Data) {
        let typed = Array(type.utf8) + data
        let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        out.append(contentsOf: bigEndian(UInt32(data.count)))
        out.append(contentsOf: typed)
        out.append(contentsOf: bigEndian(UInt32(crc)))
    }

    private func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
