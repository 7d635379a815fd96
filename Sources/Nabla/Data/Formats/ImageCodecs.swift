import CJPEG
import CPNG
import Foundation

/// An 8-bit image held in memory: `height` rows of `width` pixels, each `channels` bytes
/// (1: grey, 3: red, green, blue), row-major and interleaved as PNG and JPEG files hold them.
public struct DecodedImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "DecodedImage: 1 or 3 channels, got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "DecodedImage: \(pixels.count) bytes for \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}

/// PNG and JPEG decoding and encoding through the system's libpng (its simplified `png_image`
/// API) and libjpeg-turbo. Images come out grey when the file is grey, RGB otherwise; an alpha
/// channel is dropped by compositing over black, a palette is expanded, 16-bit samples are reduced
/// to 8 bits.
public enum ImageCodecs {
    /// Decodes a PNG or JPEG file's bytes, recognized by their signature.
    /// - Throws: `DataError` naming `file` when the bytes are neither, or the decoder's message
    ///   when they are corrupt or cut short.
    public static func decode(_ bytes: [UInt8], file: String) throws -> DecodedImage {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(bytes, file: file) }
        if bytes.starts(with: [0xFF, 0xD8]) { return try decodeJPEG(bytes, file: file) }
        throw DataError(file: file, "not a PNG or JPEG image (its first bytes are neither signature)")
    }

    /// Decodes PNG bytes with libpng.
    public static func decodePNG(_ bytes: [UInt8], file: String) throws -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        func failure(_ what: String) -> DataError {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return DataError(file: file, "\(what) PNG image (libpng: \(message.isEmpty ? "unknown error" : message))")
        }
        guard bytes.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else {
            throw failure("corrupt or truncated")
        }
        let color = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        image.format = color ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0   // PNG_FORMAT_RGB or PNG_FORMAT_GRAY
        let (width, height, channels) = (Int(image.width), Int(image.height), color ? 3 : 1)
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw failure("corrupt or truncated") }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Decodes JPEG bytes with libjpeg-turbo.
    public static func decodeJPEG(_ bytes: [UInt8], file: String) throws -> DecodedImage {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
        let status = bytes.withUnsafeBufferPointer { source in
            nabla_jpeg_decode(source.baseAddress, UInt(source.count), &out, &width, &height, &channels, &message)
        }
        defer { free(out) }
        guard status == 0, let out else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DataError(file: file, "corrupt or truncated JPEG image (libjpeg: \(text))")
        }
        let count = Int(width) * Int(height) * Int(channels)
        return DecodedImage(width: Int(width), height: Int(height), channels: Int(channels),
                            pixels: Array(UnsafeBufferPointer(start: out, count: count)))
    }

    /// The PNG file of `image` (8-bit grey or RGB), written by libpng.
    public static func encodePNG(_ image: DecodedImage) -> [UInt8] {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = image.channels == 3 ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0
        var size: Int = 0
        _ = image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, 0, nil) }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { buffer in
            image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, buffer.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        precondition(ok != 0, "encodePNG: libpng failed on a \(image.width)×\(image.height) image")
        return Array(out.prefix(size))
    }

    /// The baseline JPEG file of `image` at `quality` (1–100), written by libjpeg-turbo.
    public static func encodeJPEG(_ image: DecodedImage, quality: Int = 90) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
        let status = image.pixels.withUnsafeBufferPointer {
            nabla_jpeg_encode($0.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                              Int32(quality), &out, &size, &message)
        }
        defer { free(out) }
        precondition(status == 0 && out != nil, "encodeJPEG: libjpeg failed on a \(image.width)×\(image.height) image")
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}

extension DecodedImage {
    /// The image with 3 channels: a grey one's value repeated in red, green and blue.
    public func rgb() -> DecodedImage {
        guard channels == 1 else { return self }
        var out = [UInt8](repeating: 0, count: pixels.count * 3)
        for (i, v) in pixels.enumerated() { out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
        return DecodedImage(width: width, height: height, channels: 3, pixels: out)
    }

    /// The image resized to `width × height` by bilinear interpolation, pixel centres aligned
    /// (`align_corners=False`, as PyTorch and OpenCV resize), rounded to the nearest byte.
    public func resized(width newWidth: Int, height newHeight: Int) -> DecodedImage {
        guard newWidth != width || newHeight != height else { return self }
        precondition(newWidth > 0 && newHeight > 0, "resized: size \(newWidth)×\(newHeight)")
        // For each output coordinate: the two source coordinates and the weight of the second.
        func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
            let ratio = Float(inSize) / Float(outSize)
            return (0..<outSize).map { o in
                let x = Swift.max(0, (Float(o) + 0.5) * ratio - 0.5)
                let lower = Swift.min(Int(x), inSize - 1)
                return (lower, Swift.min(lower + 1, inSize - 1), x - Float(lower))
            }
        }
        let xs = taps(newWidth, width), ys = taps(newHeight, height)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * channels)
        for (oy, (y0, y1, fy)) in ys.enumerated() {
            for (ox, (x0, x1, fx)) in xs.enumerated() {
                for c in 0..<channels {
                    func at(_ y: Int, _ x: Int) -> Float { Float(pixels[(y * width + x) * channels + c]) }
                    let top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx
                    let bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx
                    let value = top + (bottom - top) * fy
                    out[(oy * newWidth + ox) * channels + c] = UInt8(Swift.min(255, Swift.max(0, value.rounded())))
                }
            }
        }
        return DecodedImage(width: newWidth, height: newHeight, channels: channels, pixels: out)
    }

    /// The pixels as `[channels, height, width]` planes, the NCHW order of the models.
    public func planar() -> [UInt8] {
        guard channels > 1 else { return pixels }
        var out = [UInt8](repeating: 0, count: pixels.count)
        let area = width * height
        for i in 0..<area { for c in 0..<channels { out[c * area + i] = pixels[i * channels + c] } }
        return out
    }
}
