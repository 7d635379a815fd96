/// An n-dimensional array of `Float` or `Double`: contiguous, row-major, with value semantics.
///
/// Copies are cheap: tensors share memory until one of them is written to (copy on write).
/// A tensor of rank 0 (shape `[]`) holds one scalar.
///
/// ```swift
/// let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
/// let y = (x * 2 + 1).sum(alongAxes: 1)      // [8, 20]
/// ```
public struct Tensor {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The element type.
    public let dtype: DType
    /// The number of elements.
    public let count: Int
    var storage: TensorStorage

    /// A tensor of the given shape and type whose elements are not initialized.
    /// Every kernel that uses it writes all elements before anyone reads them.
    init(uninitializedShape shape: [Int], dtype: DType) {
        let count = Tensor.elementCount(shape)
        self.shape = shape
        self.dtype = dtype
        self.count = count
        self.storage = TensorStorage(byteCount: count * dtype.byteSize)
    }

    init(shape: [Int], dtype: DType, storage: TensorStorage) {
        self.shape = shape
        self.dtype = dtype
        self.count = Tensor.elementCount(shape)
        self.storage = storage
    }

    /// A `Float` tensor holding `scalars` in row-major order. (Array literals land here:
    /// `Float` is the default element type.)
    public init(_ scalars: [Float], shape: [Int]) {
        self.init(shape: shape, scalars: scalars)
    }

    /// A tensor of the given dtype holding `scalars`, converted, in row-major order.
    public init(_ scalars: [Double], shape: [Int], dtype: DType) {
        switch dtype {
        case .float32: self.init(shape: shape, scalars: scalars.map { Float($0) })
        case .float64: self.init(shape: shape, scalars: scalars)
        }
    }

    /// A tensor whose dtype is that of `T`, holding `scalars` in row-major order.
    public init<T: TensorScalar>(shape: [Int], scalars: [T]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(Tensor.elementCount(shape) == scalars.count,
                     "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
        self.init(uninitializedShape: shape, dtype: T.dtype)
        scalars.withUnsafeBufferPointer { src in
            if count > 0 { storage.raw.copyMemory(from: src.baseAddress!, byteCount: count * dtype.byteSize) }
        }
    }

    /// A rank-1 `Float` tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        self.init(scalars, shape: [scalars.count])
    }

    /// A `Float` matrix from its rows, which must all have the same length.
    public init(rows: [[Float]]) {
        let width = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == width }, "Tensor(rows:): rows have different lengths")
        self.init(rows.flatMap { $0 }, shape: [rows.count, width])
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    // MARK: Raw access

    /// Calls `body` with a pointer to the elements, which must be of type `T`.
    @inline(__always)
    public func withUnsafeBufferPointer<T: TensorScalar, R>(
        as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(T.dtype == dtype, "Tensor: elements are \(dtype), not \(T.dtype)")
        let base = storage.raw.assumingMemoryBound(to: T.self)
        return try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Calls `body` with a mutable pointer to the elements, copying them first if they are shared.
    @inline(__always)
    public mutating func withUnsafeMutableBufferPointer<T: TensorScalar, R>(
        as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(T.dtype == dtype, "Tensor: elements are \(dtype), not \(T.dtype)")
        makeUnique()
        let base = storage.raw.assumingMemoryBound(to: T.self)
        return try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    /// Gives this tensor its own copy of the storage if another tensor shares it.
    @inline(__always)
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Pointer to elements of type `T` for kernels that have checked the dtype themselves.
    @inline(__always)
    func pointer<T: TensorScalar>(_: T.Type) -> UnsafeMutablePointer<T> {
        storage.raw.assumingMemoryBound(to: T.self)
    }

    // MARK: Scalars

    /// The elements in row-major order, converted to `T`.
    public func scalars<T: TensorScalar>(as type: T.Type = T.self) -> [T] {
        switch dtype {
        case .float32: return withUnsafeBufferPointer(as: Float.self) { $0.map { T($0) } }
        case .float64: return withUnsafeBufferPointer(as: Double.self) { $0.map { T($0) } }
        }
    }

    /// The elements in row-major order as `Float`.
    public var floats: [Float] { scalars(as: Float.self) }
    /// The elements in row-major order as `Double`.
    public var doubles: [Double] { scalars(as: Double.self) }

    /// The value of a tensor with exactly one element.
    public var scalar: Double {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return self[flat: 0]
    }

    /// The element at a flat (row-major) index, as `Double`.
    public subscript(flat index: Int) -> Double {
        get {
            precondition(index >= 0 && index < count, "Tensor: flat index \(index) out of range 0..<\(count)")
            switch dtype {
            case .float32: return Double(pointer(Float.self)[index])
            case .float64: return pointer(Double.self)[index]
            }
        }
        set {
            precondition(index >= 0 && index < count, "Tensor: flat index \(index) out of range 0..<\(count)")
            makeUnique()
            switch dtype {
            case .float32: pointer(Float.self)[index] = Float(newValue)
            case .float64: pointer(Double.self)[index] = newValue
            }
        }
    }

    /// The element at a multi-dimensional index, as `Double`.
    public subscript(index: Int...) -> Double {
        get { self[flat: flatIndex(index)] }
        set { self[flat: flatIndex(index)] = newValue }
    }

    /// The row-major offset of a multi-dimensional index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "Tensor: index \(index) has \(index.count) components for shape \(shape)")
        var offset = 0
        for (i, (k, n)) in zip(index, shape).enumerated() {
            precondition(k >= 0 && k < n, "Tensor: index \(index) out of range for shape \(shape) (axis \(i))")
            offset = offset * n + k
        }
        return offset
    }

    /// The multi-dimensional index of a row-major offset.
    public func index(ofFlat flat: Int) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: rank)
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    // MARK: Conversion

    /// This tensor with elements of another type (the same tensor if the type already matches).
    public func converted(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        var out = Tensor(uninitializedShape: shape, dtype: dtype)
        switch (self.dtype, dtype) {
        case (.float32, .float64): convert(pointer(Float.self), out.pointer(Double.self), count)
        case (.float64, .float32): convert(pointer(Double.self), out.pointer(Float.self), count)
        default: break
        }
        out.shape = shape
        return out
    }

    /// Elements equal within `tolerance` (absolute), same shape; dtypes may differ.
    public func isAlmostEqual(to other: Tensor, tolerance: Double = 1e-6) -> Bool {
        guard shape == other.shape else { return false }
        let a = doubles, b = other.doubles
        return zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }
}

@inline(__always)
private func convert<A: TensorScalar, B: TensorScalar>(
    _ src: UnsafeMutablePointer<A>, _ dst: UnsafeMutablePointer<B>, _ count: Int
) {
    for i in 0..<count { dst[i] = B(src[i]) }
}

extension Tensor: Equatable {
    /// Same shape, same dtype, same elements.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.dtype == rhs.dtype
            && memcmp(lhs.storage.raw, rhs.storage.raw, lhs.count * lhs.dtype.byteSize) == 0
    }
}

import Foundation
