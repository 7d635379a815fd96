extension ModelSpec {
    /// The layer at `path` (`[3, 0]`: the first layer inside the model's fourth), as `ModelPlan.Layer.specPath` gives it.
    public func layer(at path: [Int]) -> Layer {
        var layer = layers[path[0]]
        for index in path.dropFirst() { layer = layer.body[index] }
        return layer
    }

    /// The skip path of `residual(…)` when its body turns examples of `input` into `output`:
    /// nothing when they match; a 1×1 convolution with bias (the stride that gives the body's
    /// height and width) for images; a linear layer for vectors.
    ///
    /// - Throws: `ModelSpecError` naming the block when no projection fits: the body changes the
    ///   rank (a flatten or linear layer on images), or its size is not a strided subsampling of
    ///   the input's (an unpadded convolution).
    func residualProjection(_ block: Layer, at path: [Int], from input: [Int], to output: [Int]) throws -> ModelPlan.Layer? {
        if input == output { return nil }
        func projection(_ kind: ModelPlan.Layer.Kind, parameters: Int) -> ModelPlan.Layer {
            ModelPlan.Layer(kind: kind, inputShape: input, outputShape: output, parameters: parameters, specPath: path)
        }
        let turns = "residual: its body turns \(input) into \(output)"
        switch (input.count, output.count) {
        case (1, 1):
            return projection(.linear(input: input[0], output: output[0], bias: true),
                              parameters: saturatingSum([saturatingProduct([input[0], output[0]]), output[0]]))
        case (3, 3):
            let (h, w) = (input[1], input[2])
            // A 1×1 window with stride s keeps rows 0, s, 2s, …: (h - 1) / s + 1 of them.
            guard let stride = (1...max(h, w)).first(where: { (h - 1) / $0 + 1 == output[1] && (w - 1) / $0 + 1 == output[2] }) else {
                throw fail(block, "\(turns); no 1×1 projection of any stride makes \(output[1])×\(output[2]) of \(h)×\(w) for the skip "
                            + "path: pad the convolutions inside (pad: 1 for a 3×3 kernel) so that only strides change the size")
            }
            return projection(.conv(inputChannels: input[0], outputChannels: output[0], kernel: 1, stride: stride, padding: 0, bias: true),
                              parameters: saturatingSum([saturatingProduct([input[0], output[0]]), output[0]]))
        default:
            throw fail(block, "\(turns), which cannot be added to its input even with a projection: a block must keep "
                        + "images as images [C, H, W] (no flatten, linear or globalavgpool inside) and vectors as vectors")
        }
    }
}
