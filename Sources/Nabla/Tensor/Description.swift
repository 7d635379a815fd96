import Foundation

extension Tensor: CustomStringConvertible {
    /// NumPy-style text: nested brackets, long axes summarized with `…`, then the shape and dtype.
    public var description: String {
        let values = doubles
        let formatted = values.map(Tensor.format)
        let width = formatted.map(\.count).max() ?? 0
        func render(_ axis: Int, _ offset: Int) -> String {
            if axis == rank { return String(repeating: " ", count: width - formatted[offset].count) + formatted[offset] }
            let n = shape[axis], stride = shape[(axis + 1)...].reduce(1, *)
            let shown: [Int?] = n > 6 ? [0, 1, 2, nil, n - 3, n - 2, n - 1] : (0..<n).map { $0 }
            let parts = shown.map { i in i.map { render(axis + 1, offset + $0 * stride) } ?? "…" }
            let separator = axis == rank - 1 ? ", " : ",\n" + String(repeating: " ", count: axis + 1)
            return "[" + parts.joined(separator: separator) + "]"
        }
        let body = count == 0 ? "[]" : render(0, 0)
        return "\(body) (shape \(shape), \(dtype))"
    }

    /// A number as Nabla prints it: integers without ".0", others to 6 significant digits.
    public static func format(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded() && Swift.abs(x) < 1e15 { return String(Int64(x)) }
        let m = Swift.abs(x)
        if m >= 1e-4 && m < 1e6 { return String(format: "%.6g", x) }
        return String(format: "%.4e", x)
    }
}
