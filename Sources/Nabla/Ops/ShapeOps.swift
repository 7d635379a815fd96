extension Variable {
    /// The same elements with another shape; the gradient is reshaped back.
    public func reshaped(_ shape: [Int]) -> Variable {
        let original = self.shape
        return Variable(op: "reshape", value: value.reshaped(shape), inputs: [self]) { g in [g.reshaped(original)] }
    }

    /// Reorders the axes; the gradient is permuted back by the inverse permutation.
    public func permuted(_ axes: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Variable(op: "permute", value: value.permuted(axes), inputs: [self]) { g in [g.permuted(inverse)] }
    }

    /// The transpose (last two axes swapped).
    public func transposed() -> Variable {
        Variable(op: "transpose", value: value.transposed(), inputs: [self]) { g in [g.transposed()] }
    }

    /// Entries `range` along `axis`; the gradient is zero outside them.
    public func slice(axis: Int = 0, _ range: Range<Int>) -> Variable {
        let shape = self.shape
        let axis = value.normalizedAxis(axis, op: "slice")
        return Variable(op: "slice", value: value.slice(axis: axis, range), inputs: [self]) { g in
            var parts: [Tensor] = []
            var before = shape, after = shape
            before[axis] = range.lowerBound
            after[axis] = shape[axis] - range.upperBound
            if range.lowerBound > 0 { parts.append(.zeros(before, dtype: g.dtype)) }
            parts.append(g)
            if after[axis] > 0 { parts.append(.zeros(after, dtype: g.dtype)) }
            return [Tensor.concatenate(parts, axis: axis)]
        }
    }

    /// Entries along axis 0 at `indices`; an index picked twice gets both gradients.
    public func gathering(rows indices: [Int]) -> Variable {
        let shape = self.shape
        return Variable(op: "gather", value: value.gathering(rows: indices), inputs: [self]) { g in
            [g.scatteringRows(indices, into: shape)]
        }
    }

    /// Variables joined along `axis`; each gets back its part of the gradient.
    public static func concatenate(_ parts: [Variable], axis: Int = 0) -> Variable {
        let value = Tensor.concatenate(parts.map(\.value), axis: axis)
        let axis = value.normalizedAxis(axis, op: "concatenate")
        let sizes = parts.map { $0.shape[axis] }
        return Variable(op: "concatenate", value: value, inputs: parts) { g in
            var start = 0
            return sizes.map { n in
                defer { start += n }
                return g.slice(axis: axis, start..<(start + n))
            }
        }
    }

    /// The value repeated along broadcast dimensions; the gradient is summed back.
    public func broadcast(to shape: [Int]) -> Variable {
        let original = self.shape
        return Variable(op: "broadcast", value: value.broadcast(to: shape), inputs: [self]) { g in [g.unbroadcast(to: original)] }
    }
}
