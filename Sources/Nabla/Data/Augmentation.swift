import Foundation

/// Random changes to training images that keep their class: a mirrored, slightly shifted or partly
/// hidden digit or photo is still the same thing, so the network sees more varied data. Applied per
/// batch, seeded, to `[N, C, H, W]` batches; never to validation or test data. The draws come from
/// the trainer's generator, which checkpoints save: a resumed run augments as the uninterrupted one.
public struct Augmentation: Codable, Equatable, Sendable {
    /// Mirror each image left–right with probability 1/2.
    public var horizontalFlip: Bool
    /// Pad each image with this many zeros on every side, then crop a random window of the original
    /// size: a random translation by up to this many pixels (0: none).
    public var cropPadding: Int
    /// The probability of random erasing (Zhong et al., 2017; torchvision's `RandomErasing`): a
    /// rectangle of 2–33% of the image, of aspect ratio 0.3–3.3, set to 0 in every channel (0: never).
    /// Applied after flip and crop, to the preprocessed image, where 0 is the data's mean.
    public var erasing: Double

    public init(horizontalFlip: Bool = false, cropPadding: Int = 0, erasing: Double = 0) {
        self.horizontalFlip = horizontalFlip
        self.cropPadding = cropPadding
        self.erasing = erasing
    }

    /// Parses `flip`, `crop:4`, `erase:0.5`, or several comma-separated (`flip,crop:4,erase:0.25`).
    public init(parsing text: String) throws {
        self.init()
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if part == "flip" { horizontalFlip = true; continue }
            if part.hasPrefix("crop:") {
                guard let k = Int(part.dropFirst(5)), k >= 0 else {
                    throw SettingError(field: "augmentation", "'\(part)': crop takes a whole number of pixels ≥ 0, e.g. crop:4")
                }
                cropPadding = k
                continue
            }
            if part.hasPrefix("erase:") {
                guard let p = Double(part.dropFirst(6)), p >= 0 && p <= 1 else {
                    throw SettingError(field: "augmentation", "'\(part)': erase takes a probability between 0 and 1, e.g. erase:0.5")
                }
                erasing = p
                continue
            }
            throw SettingError(field: "augmentation", "unknown augmentation '\(part)'; use flip, crop:PIXELS, erase:PROBABILITY or several (flip,crop:4,erase:0.5)")
        }
    }

    /// The text `init(parsing:)` reads back (`flip,crop:4,erase:0.5`; empty for none).
    public var text: String {
        ([horizontalFlip ? "flip" : nil, cropPadding > 0 ? "crop:\(cropPadding)" : nil, erasing > 0 ? "erase:\(Tensor.format(erasing))" : nil]
            as [String?]).compactMap { $0 }.joined(separator: ",")
    }

    /// Whether this augmentation changes anything.
    public var isIdentity: Bool { !horizontalFlip && cropPadding == 0 && erasing == 0 }

    private enum CodingKeys: String, CodingKey { case horizontalFlip, cropPadding, erasing }

    /// Reads the fields; `erasing` may be missing (recipes written before it existed).
    /// - Throws: `SettingError` for an erasing probability outside 0…1.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(horizontalFlip: try c.decode(Bool.self, forKey: .horizontalFlip), cropPadding: try c.decode(Int.self, forKey: .cropPadding),
                  erasing: try c.decodeIfPresent(Double.self, forKey: .erasing) ?? 0)
        guard erasing >= 0 && erasing <= 1 else {
            throw SettingError(field: "augmentation.erasing", "the probability of erasing must be between 0 and 1, got \(erasing)")
        }
    }

    /// Writes `erasing` only when it is on, so that recipes without it read as before.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(horizontalFlip, forKey: .horizontalFlip)
        try c.encode(cropPadding, forKey: .cropPadding)
        if erasing > 0 { try c.encode(erasing, forKey: .erasing) }
    }

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
            // No draws without erasing, so that runs with flip and crop alone keep their sequences.
            if erasing > 0, generator.nextUniform() < erasing, let box = Augmentation.erasedBox(height: h, width: w, generator: &generator) {
                switch images.dtype {
                case .float32: Augmentation.erase(out.pointer(Float.self), i, c, h, w, box)
                case .float64: Augmentation.erase(out.pointer(Double.self), i, c, h, w, box)
                }
            }
        }
        return out
    }

    /// The rectangle random erasing hides in an `height × width` image, as torchvision draws it: an
    /// area of 2–33% of the image and an aspect ratio log-uniform in 0.3–3.3, sides rounded; up to
    /// 10 tries for a rectangle that fits inside, else none.
    static func erasedBox(height: Int, width: Int, generator: inout RandomGenerator) -> (y: Int, x: Int, h: Int, w: Int)? {
        let area = Double(height * width), (logLow, logHigh) = (log(0.3), log(3.3))
        for _ in 0..<10 {
            let target = area * (0.02 + 0.31 * generator.nextUniform())
            let aspect = exp(logLow + (logHigh - logLow) * generator.nextUniform())
            let h = Int((target * aspect).squareRoot().rounded()), w = Int((target / aspect).squareRoot().rounded())
            guard h >= 1 && w >= 1 && h < height && w < width else { continue }
            let y = Int(generator.next() % UInt64(height - h + 1)), x = Int(generator.next() % UInt64(width - w + 1))
            return (y, x, h, w)
        }
        return nil
    }

    /// Sets the box to 0 in every channel of image `i`.
    private static func erase<T: TensorScalar>(_ dst: UnsafeMutablePointer<T>, _ i: Int, _ c: Int, _ h: Int, _ w: Int,
                                               _ box: (y: Int, x: Int, h: Int, w: Int)) {
        for ch in 0..<c {
            let base = (i * c + ch) * h * w
            for y in box.y..<(box.y + box.h) { for x in box.x..<(box.x + box.w) { dst[base + y * w + x] = 0 } }
        }
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
