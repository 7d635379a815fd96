/// A layer that can write itself into an ONNX graph, as it computes in evaluation mode.
protocol ONNXExportable {
    /// Adds the nodes that compute this layer on `input`, whose examples have `shape` (the batch
    /// axis not counted); `path` is the layer's dotted name in the model (`3`, for `3.weight`).
    /// Returns the output's name and example shape.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int])
}

extension Linear: ONNXExportable {
    /// `Gemm(x, W, b, transB: 1)` on rows `[N, in]`; on more axes, `MatMul(x, Wᵀ)` then `Add(b)`,
    /// acting on the last one as the layer does.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        precondition(shape.last == inputSize, "\(self): examples of shape \(shape)")
        let outShape = Array(shape.dropLast()) + [outputSize]
        if shape.count == 1 {
            let w = graph.constant(path + ".weight", weight.value)
            let b = bias.map { graph.constant(path + ".bias", $0.value) }
            let y = graph.node("Gemm", [input, w] + (b.map { [$0] } ?? []), name: path + "_linear",
                               attributes: [("transB", .int(1))])
            return (y, outShape)
        }
        let w = weight.value.converted(to: .float32).floats
        var transposed = [Float](repeating: 0, count: w.count)
        for o in 0..<outputSize { for i in 0..<inputSize { transposed[i * outputSize + o] = w[o * inputSize + i] } }
        let wT = graph.constant(path + ".weight_transposed", transposed, shape: [inputSize, outputSize])
        var y = graph.node("MatMul", [input, wT], name: path + "_matmul")
        if let bias { y = graph.node("Add", [y, graph.constant(path + ".bias", bias.value)], name: path + "_linear") }
        return (y, outShape)
    }
}

extension Conv2D: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        precondition(shape.count == 3 && shape[0] == inputChannels, "\(self): examples of shape \(shape)")
        let w = graph.constant(path + ".weight", weight.value)
        let b = bias.map { graph.constant(path + ".bias", $0.value) }
        let p = Int64(padding), s = Int64(stride)
        let y = graph.node("Conv", [input, w] + (b.map { [$0] } ?? []), name: path + "_conv",
                           attributes: [("kernel_shape", .ints([Int64(kernelHeight), Int64(kernelWidth)])),
                                        ("strides", .ints([s, s])), ("pads", .ints([p, p, p, p]))])
        let (h, w2) = outputSize(height: shape[1], width: shape[2])
        return (y, [outputChannels, h, w2])
    }
}

/// The attributes of a square pooling window, and the output shape (rounded down, as ONNX's
/// default `ceil_mode: 0` does).
private func pooling(_ kernel: Int, _ stride: Int, _ padding: Int, _ shape: [Int])
    -> (attributes: [(name: String, value: ONNXProto.AttributeValue)], shape: [Int]) {
    precondition(shape.count == 3, "pooling: examples of shape \(shape) are not images [C, H, W]")
    let (k, s, p) = (Int64(kernel), Int64(stride), Int64(padding))
    let out = [shape[0], (shape[1] + 2 * padding - kernel) / stride + 1, (shape[2] + 2 * padding - kernel) / stride + 1]
    return ([("kernel_shape", .ints([k, k])), ("strides", .ints([s, s])), ("pads", .ints([p, p, p, p]))], out)
}

extension MaxPool2D: ONNXExportable {
    /// `MaxPool`, whose padded positions never win, as in Nabla.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        let (attributes, out) = pooling(kernel, stride, padding, shape)
        return (graph.node("MaxPool", [input], name: path + "_maxpool", attributes: attributes), out)
    }
}

extension AvgPool2D: ONNXExportable {
    /// `AveragePool` with `count_include_pad: 1`: the padding's zeros count in the mean, as in Nabla.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        let (attributes, out) = pooling(kernel, stride, padding, shape)
        return (graph.node("AveragePool", [input], name: path + "_avgpool",
                           attributes: attributes + [("count_include_pad", .int(1))]), out)
    }
}

extension Flatten: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (graph.node("Flatten", [input], name: path + "_flatten", attributes: [("axis", .int(1))]), [shape.reduce(1, *)])
    }
}

extension Dropout: ONNXExportable {
    /// Nothing: in evaluation mode dropout passes its input through.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (input, shape)
    }
}

extension BatchNorm: ONNXExportable {
    /// `BatchNormalization` with the running statistics (evaluation mode).
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        precondition(shape.first == featureCount, "\(self): examples of shape \(shape)")
        let inputs = [input, graph.constant(path + ".weight", gamma.value), graph.constant(path + ".bias", beta.value),
                      graph.constant(path + ".running_mean", runningMean.value),
                      graph.constant(path + ".running_var", runningVariance.value)]
        return (graph.node("BatchNormalization", inputs, name: path + "_batchnorm",
                           attributes: [("epsilon", .float(Float(epsilon)))]), shape)
    }
}

extension ReLU: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (graph.node("Relu", [input], name: path + "_relu"), shape)
    }
}

extension Tanh: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (graph.node("Tanh", [input], name: path + "_tanh"), shape)
    }
}

extension Sigmoid: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (graph.node("Sigmoid", [input], name: path + "_sigmoid"), shape)
    }
}

extension LeakyReLU: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (graph.node("LeakyRelu", [input], name: path + "_leakyrelu", attributes: [("alpha", .float(Float(slope)))]), shape)
    }
}

extension ELU: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (graph.node("Elu", [input], name: path + "_elu", attributes: [("alpha", .float(Float(alpha)))]), shape)
    }
}

extension PReLU: ONNXExportable {
    /// `PRelu` with the slopes shaped to broadcast over axis 1: `[1]`, or `[C, 1, 1]` for images.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        let slopeShape = channels == 1 ? [1] : [channels] + [Int](repeating: 1, count: shape.count - 1)
        let slope = graph.constant(path + ".weight", weight.value, shape: slopeShape)
        return (graph.node("PRelu", [input, slope], name: path + "_prelu"), shape)
    }
}

extension Maxout: ONNXExportable {
    /// All pieces in one `Gemm` (`[N, pieces · out]`, piece-major as the layer computes them),
    /// `Reshape` to `[N, pieces, out]`, then `ReduceMax` over the pieces.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        precondition(shape == [inputSize], "\(self): examples of shape \(shape)")
        let w = graph.constant(path + ".weight", weight.value, shape: [pieces * outputSize, inputSize])
        let b = bias.map { graph.constant(path + ".bias", $0.value, shape: [pieces * outputSize]) }
        let z = graph.node("Gemm", [input, w] + (b.map { [$0] } ?? []), name: path + "_pieces", attributes: [("transB", .int(1))])
        let grouped = graph.node("Reshape", [z, graph.int64Constant(path + ".pieces_shape", [0, Int64(pieces), Int64(outputSize)])],
                                 name: path + "_grouped")
        return (graph.node("ReduceMax", [grouped], name: path + "_maxout",
                           attributes: [("axes", .ints([1])), ("keepdims", .int(0))]), [outputSize])
    }
}

extension Softmax: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (graph.node("Softmax", [input], name: path + "_softmax", attributes: [("axis", .int(Int64(axis)))]), shape)
    }
}

extension LogSoftmax: ONNXExportable {
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        (graph.node("LogSoftmax", [input], name: path + "_logsoftmax", attributes: [("axis", .int(Int64(axis)))]), shape)
    }
}

extension Sequential: ONNXExportable {
    /// Its layers one after another, named `path.0`, `path.1`, … (`0`, `1`, … at the top).
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        var current = (output: input, shape: shape)
        for (index, layer) in layers.enumerated() {
            // `ONNXExport` checks every layer before building: each one is exportable here.
            let exportable = layer as! any ONNXExportable
            current = exportable.exportONNX(current.output, shape: current.shape,
                                            path: path.isEmpty ? "\(index)" : "\(path).\(index)", to: &graph)
        }
        return current
    }
}

extension GlobalAvgPool2D: ONNXExportable {
    /// `GlobalAveragePool` (`[N, C, 1, 1]`), then `Flatten` to `[N, C]` as the layer outputs.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        precondition(shape.count == 3, "\(self): examples of shape \(shape) are not images [C, H, W]")
        let pooled = graph.node("GlobalAveragePool", [input], name: path + "_globalavgpool")
        return (graph.node("Flatten", [pooled], name: path + "_flatten", attributes: [("axis", .int(1))]), [shape[0]])
    }
}

extension Residual: ONNXExportable {
    /// The body (`path.body.0`, …) and the projection (`path.skip`) on the same input, then `Add`.
    func exportONNX(_ input: String, shape: [Int], path: String, to graph: inout ONNXGraphBuilder) -> (output: String, shape: [Int]) {
        let body = self.body.exportONNX(input, shape: shape, path: path + ".body", to: &graph)
        // `ONNXExport` checks every layer before building: the projection is exportable here.
        var skip = (output: input, shape: shape)
        if let projection = self.skip as? any ONNXExportable {
            skip = projection.exportONNX(input, shape: shape, path: path + ".skip", to: &graph)
        }
        precondition(body.shape == skip.shape, "\(shortDescription): the body's output \(body.shape) and the skip path's \(skip.shape) differ")
        return (graph.node("Add", [body.output, skip.output], name: path + "_add"), body.shape)
    }
}
