/// Finding NaN and infinity in loaded data, cheaply: one integer pass over the bits (which
/// vectorizes), instead of a slow per-element check while parsing.
extension Tensor {
    /// The flat index of the first NaN or infinite element, or nil when all are finite.
    public func firstNonFiniteIndex() -> Int? {
        switch dtype {
        case .float32: return firstNonFinite(pointer(Float.self), count: count, exponent: UInt32(0x7f80_0000))
        case .float64: return firstNonFinite(pointer(Double.self), count: count, exponent: UInt64(0x7ff0_0000_0000_0000))
        }
    }
}

/// A float is NaN or infinite exactly when its exponent bits are all ones. Chunks keep the hot loop
/// branch-free; the element is located only inside the chunk that has one.
private func firstNonFinite<T: BinaryFloatingPoint, Bits: FixedWidthInteger>(
    _ p: UnsafeMutablePointer<T>, count: Int, exponent: Bits) -> Int? {
    p.withMemoryRebound(to: Bits.self, capacity: count) { bits in
        let chunk = 4096
        var start = 0
        while start < count {
            let end = min(start + chunk, count)
            var any: Bits = 0
            for i in start..<end { any |= (bits[i] & exponent) == exponent ? 1 : 0 }
            if any != 0 { return (start..<end).first { (bits[$0] & exponent) == exponent } }
            start = end
        }
        return nil
    }
}

/// "index (1, 2, 3)" of flat index `i` in `shape`, for messages about one element.
func multiIndex(_ i: Int, in shape: [Int]) -> String {
    var rest = i
    var index: [Int] = []
    for size in shape.reversed() where size > 0 {
        index.append(rest % size)
        rest /= size
    }
    return "(" + index.reversed().map(String.init).joined(separator: ", ") + ")"
}
