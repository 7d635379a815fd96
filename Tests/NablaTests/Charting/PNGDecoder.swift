import CZlib
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A minimal PNG reader for the tests (8-bit RGB, non-interlaced, as `RasterImage` writes):
/// checks the signature and every chunk's CRC, inflates the IDAT data with zlib's `uncompress`
/// and undoes the row filters.
struct DecodedPNG {
    let width: Int
    let height: Int
    /// RGB bytes, row by row.
    let pixels: [UInt8]

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw Failure(description: "not a PNG signature")
        }
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        var i = 8, width = 0, height = 0, idat: [UInt8] = [], sawEnd = false, types: [String] = []
        while i + 12 <= bytes.count {
            let length = u32(i), type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            guard i + 12 + length <= bytes.count else { throw Failure(description: "chunk \(type) runs past the end") }
            let body = Array(bytes[(i + 8)..<(i + 8 + length)])
            let typed = Array(bytes[(i + 4)..<(i + 8 + length)])
            let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
            guard Int(crc) == u32(i + 8 + length) else { throw Failure(description: "bad CRC in chunk \(type)") }
            types.append(type)
            switch type {
            case "IHDR":
                width = u32(i + 8); height = u32(i + 12)
                guard body[8] == 8, body[9] == 2, body[12] == 0 else { throw Failure(description: "not 8-bit RGB non-interlaced") }
            case "IDAT": idat += body
            case "IEND": sawEnd = true
            default: break
            }
            i += 12 + length
        }
        guard types.first == "IHDR", sawEnd, i == bytes.count else { throw Failure(description: "chunks \(types), \(bytes.count - i) bytes left") }
        let stride = width * 3
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var size = uLongf(raw.count)
        let status = uncompress(&raw, &size, idat, uLong(idat.count))
        guard status == Z_OK, Int(size) == raw.count else { throw Failure(description: "zlib uncompress: status \(status), \(size) bytes") }
        var pixels = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let r = raw[y * (stride + 1) + 1 + x]
                let a = x >= 3 ? Int(pixels[y * stride + x - 3]) : 0
                let b = y > 0 ? Int(pixels[(y - 1) * stride + x]) : 0
                let c = x >= 3 && y > 0 ? Int(pixels[(y - 1) * stride + x - 3]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw Failure(description: "unknown filter \(filter)")
                }
                pixels[y * stride + x] = UInt8(truncatingIfNeeded: Int(r) + predictor)
            }
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The color of a pixel as (red, green, blue).
    subscript(x: Int, y: Int) -> [UInt8] { Array(pixels[(3 * (y * width + x))..<(3 * (y * width + x) + 3)]) }

    /// The number of different colors.
    var distinctColors: Int {
        var seen = Set<Int>()
        for i in stride(from: 0, to: pixels.count, by: 3) {
            let r = Int(pixels[i]), g = Int(pixels[i + 1]), b = Int(pixels[i + 2])
            seen.insert(r << 16 | g << 8 | b)
        }
        return seen.count
    }

    /// How many pixels have exactly this color.
    func count(_ rgb: [UInt8]) -> Int {
        stride(from: 0, to: pixels.count, by: 3).filter { pixels[$0] == rgb[0] && pixels[$0 + 1] == rgb[1] && pixels[$0 + 2] == rgb[2] }.count
    }
}

/// Parses an SVG document with Foundation's XML parser; returns the element names in order.
func parseSVG(_ text: String) throws -> [String] {
    final class Collector: NSObject, XMLParserDelegate {
        var names: [String] = []
        var texts: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) { names.append(name) }
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    }
    let parser = XMLParser(data: Data(text.utf8))
    let collector = Collector()
    parser.delegate = collector
    guard parser.parse() else {
        throw DecodedPNG.Failure(description: "SVG is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")")
    }
    return collector.names
}
