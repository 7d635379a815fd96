import Foundation

extension Tensor {
    /// The same elements with another shape of the same element count; one dimension may be -1
    /// and is then inferred. Shares storage (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var shape = newShape
        if let unknown = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0,
                         "reshape: cannot infer -1 in \(newShape) for \(count) elements (shape \(self.shape))")
            shape[unknown] = count / known
        }
        precondition(shape.allSatisfy { $0 >= 0 } && Tensor.elementCount(shape) == count,
                     "reshape: shape \(self.shape) (\(count) elements) cannot become \(newShape)")
        return Tensor(shape: shape, dtype: dtype, storage: storage)
    }

    /// This tensor as a rank-2 matrix `[shape[0], rest]` (e.g. images to rows of features).
    public func flattenedToMatrix() -> Tensor {
        precondition(rank >= 1, "flattenedToMatrix: needs rank ≥ 1, got shape \(shape)")
        return reshaped([shape[0], count / Swift.max(shape[0], 1)])
    }

    /// The tensor with its axes reordered: axis `i` of the result is axis `axes[i]` of this one.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permute: \(axes) is not a permutation of the axes of shape \(shape)")
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = axes.map { inStrides[$0] }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        switch dtype {
        case .float32: Tensor.gatherStrided(pointer(Float.self), out.pointer(Float.self), outShape, strides)
        case .float64: Tensor.gatherStrided(pointer(Double.self), out.pointer(Double.self), outShape, strides)
        }
        return out
    }

    /// Copies the elements of a strided view `(shape, strides)` of `src` into contiguous `dst`.
    static func gatherStrided<T: TensorScalar>(
        _ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>, _ shape: [Int], _ strides: [Int]
    ) {
        let total = Tensor.elementCount(shape)
        guard total > 0 else { return }
        let rank = shape.count
        if rank == 2 {
            // Blocked 2-D transpose: stays in cache for both the reads and the writes.
            let rows = shape[0], cols = shape[1], rs = strides[0], cs = strides[1]
            let block = 32
            for i0 in stride(from: 0, to: rows, by: block) {
                for j0 in stride(from: 0, to: cols, by: block) {
                    for i in i0..<Swift.min(i0 + block, rows) {
                        for j in j0..<Swift.min(j0 + block, cols) { dst[i * cols + j] = src[i * rs + j * cs] }
                    }
                }
            }
            return
        }
        let inner = shape[rank - 1], innerStride = strides[rank - 1]
        var counter = [Int](repeating: 0, count: rank - 1)
        var offset = 0
        var o = 0
        while o < total {
            for j in 0..<inner { dst[o + j] = src[offset + j * innerStride] }
            o += inner
            var d = rank - 2
            while d >= 0 {
                counter[d] += 1
                offset += strides[d]
                if counter[d] < shape[d] { break }
                offset -= strides[d] * shape[d]
                counter[d] = 0
                d -= 1
            }
        }
    }

    /// The transpose of a matrix; for higher ranks, the last two axes swapped.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed: needs rank ≥ 2, got shape \(shape)")
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return permuted(axes)
    }

    /// The transpose of a matrix.
    public var T: Tensor { transposed() }

    /// A copy of the elements `range` along `axis`.
    public func slice(axis: Int = 0, _ range: Range<Int>) -> Tensor {
        let axis = normalizedAxis(axis, op: "slice")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "slice: range \(range) out of bounds for axis \(axis) of shape \(shape)")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        outShape[axis] = range.count
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        let bytes = dtype.byteSize
        let rowBytes = range.count * inner * bytes
        for o in 0..<outer {
            let src = storage.raw + ((o * shape[axis] + range.lowerBound) * inner) * bytes
            (out.storage.raw + o * rowBytes).copyMemory(from: src, byteCount: rowBytes)
        }
        return out
    }

    /// The rows (entries along axis 0) at `range`.
    public subscript(rows range: Range<Int>) -> Tensor { slice(axis: 0, range) }

    /// The entries along axis 0 at the given indices, in that order (a mini-batch from a data set).
    public func gathering(rows indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gathering(rows:): needs rank ≥ 1, got shape \(shape)")
        var outShape = shape
        outShape[0] = indices.count
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        let rowBytes = (count / Swift.max(shape[0], 1)) * dtype.byteSize
        for (k, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[0], "gathering(rows:): index \(i) out of range 0..<\(shape[0])")
            (out.storage.raw + k * rowBytes).copyMemory(from: storage.raw + i * rowBytes, byteCount: rowBytes)
        }
        return out
    }

    /// The backward of `gathering(rows:)`: a zero tensor of `shape` with row `k` of this tensor
    /// added at row `indices[k]` (a row picked twice receives both).
    public func scatteringRows(_ indices: [Int], into shape: [Int]) -> Tensor {
        precondition(rank >= 1 && self.shape[0] == indices.count && Array(self.shape.dropFirst()) == Array(shape.dropFirst()),
                     "scatteringRows: \(indices.count) indices and rows of shape \(self.shape) do not fit \(shape)")
        let out = Tensor.zeros(shape, dtype: dtype)
        let row = count / Swift.max(indices.count, 1)
        func add<T: TensorScalar>(_: T.Type) {
            let src = pointer(T.self), dst = out.pointer(T.self)
            for (k, i) in indices.enumerated() {
                precondition(i >= 0 && i < shape[0], "scatteringRows: index \(i) out of range 0..<\(shape[0])")
                for j in 0..<row { dst[i * row + j] += src[k * row + j] }
            }
        }
        switch dtype {
        case .float32: add(Float.self)
        case .float64: add(Double.self)
        }
        return out
    }

    /// Tensors joined along `axis`; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate: no tensors")
        let first = tensors[0]
        let axis = first.normalizedAxis(axis, op: "concatenate")
        for t in tensors {
            precondition(t.dtype == first.dtype, "concatenate: dtypes \(first.dtype) and \(t.dtype) differ")
            precondition(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == axis || t.shape[$0] == first.shape[$0] },
                         "concatenate: shapes \(first.shape) and \(t.shape) differ outside axis \(axis)")
        }
        var outShape = first.shape
        outShape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
        let out = Tensor(uninitializedShape: outShape, dtype: first.dtype)
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *) * first.dtype.byteSize
        var dst = out.storage.raw
        for o in 0..<outer {
            for t in tensors {
                let bytes = t.shape[axis] * inner
                dst.copyMemory(from: t.storage.raw + o * bytes, byteCount: bytes)
                dst += bytes
            }
        }
        return out
    }

    /// The tensor repeated along broadcast dimensions to `shape` (a copy).
    public func broadcast(to shape: [Int]) -> Tensor {
        if shape == self.shape { return self }
        let result = broadcastShape(self.shape, shape, op: "broadcast(to:)")
        precondition(result == shape, "broadcast(to:): shape \(self.shape) does not broadcast to \(shape)")
        return combined(Tensor.zeros(shape, dtype: dtype), AddKernel.self, op: "broadcast(to:)")
    }

    /// A non-negative axis for a possibly negative one (-1 is the last axis).
    func normalizedAxis(_ axis: Int, op: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "\(op): axis \(axis) out of range for shape \(shape)")
        return a
    }
}
