/// Random changes to training images that keep their class: a mirrored or slightly shifted digit
/// or photo is still the same thing, so the network sees more varied data. Applied per batch,
/// seeded, to `[N, C, H, W]` batches; never to validation or test data.
public struct Augmentation: Codable, Equatable, Sendable {
    /// Mirror each image left–right with probability 1/2.
    public var horizontalFlip: Bool
    /// Pad each image with this many zeros on every side, then crop a random window of the original
    /// size: a random translation by up to this many pixels (0: none).
    public var cropPadding: Int

    public init(horizontalFlip: Bool = false, cropPadding: Int = 0) {
        self.horizontalFlip = horizontalFlip
        self.cropPadding = cropPadding
    }

    /// Parses `flip`, `crop:4`, or both comma-separated (`flip,crop:4`).
    public init(parsing text: String) throws {
        self.init()
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if part == "flip" { horizontalFlip = true; continue }
            if part.hasPrefix("crop:"), let k = Int(part.dropFirst(5)), k >= 0 { cropPadding = k; continue }
            throw SettingError(field: "augmentation", "unknown augmentation '\(part)'; use flip, crop:PIXELS or both (flip,crop:4)")
        }
    }

    /// The text `init(parsing:)` reads back (`flip,crop:4`; empty for none).
    public var text: String {
        ([horizontalFlip ? "flip" : nil, cropPadding > 0 ? "crop:\(cropPadding)" : nil] as [String?]).compactMap { $0 }.joined(separator: ",")
    }

    /// Whether this augmentation changes anything.
    public var isIdentity: Bool { !horizontalFlip && cropPadding == 0 }

    /// A randomly changed copy of a batch of images `[N, C, H, W]`.
    public func apply(_ images: Tensor, generator: inout RandomGenerator) -> Tensor {
        if isIdentity { return images }
        precondition(images.rank == 4, "Augmentation: needs images [N, C, H, W], got shape \(images.shape)")
        let out = Tensor(uninitializedShape: images.shape, dtype: images.dtype)
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let pad = cropPadding
        for i in 0..<n {
            let flip = horizontalFlip && generator.next() & 1 == 1
            // The window's top-left corner in padded coordinates, 0...2·pad; shift = corner - pad.
            let dy = pad > 0 ? Int(generator.next() % UInt64(2 * pad + 1)) - pad : 0
            let dx = pad > 0 ? Int(generator.next() % UInt64(2 * pad + 1)) - pad : 0
            switch images.dtype {
            case .float32: Augmentation.shift(images.pointer(Float.self), out.pointer(Float.self), i, c, h, w, dy, dx, flip)
            case .float64: Augmentation.shift(images.pointer(Double.self), out.pointer(Double.self), i, c, h, w, dy, dx, flip)
            }
        }
        return out
    }

    /// Output pixel (y, x) of image `i` is input pixel (y + dy, x' + dx), zero outside, where x' is
    /// x mirrored when flipping.
    private static func shift<T: TensorScalar>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>,
                                               _ i: Int, _ c: Int, _ h: Int, _ w: Int, _ dy: Int, _ dx: Int, _ flip: Bool) {
        for ch in 0..<c {
            let base = (i * c + ch) * h * w
            for y in 0..<h {
                let sy = y + dy
                for x in 0..<w {
                    let sx = (flip ? w - 1 - x : x) + dx
                    dst[base + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[base + sy * w + sx] : 0
                }
            }
        }
    }
}
