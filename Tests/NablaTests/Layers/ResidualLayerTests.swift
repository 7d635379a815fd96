import Foundation
import Testing
@testable import Nabla

/// The `Residual` block and `GlobalAvgPool2D` as modules: values, gradients in Double, modes,
/// random states and saved names.
@Suite struct ResidualLayerTests {
    @Test func theInputIsAddedToTheBodysOutput() {
        let body = Sequential(Linear(3, 3, seed: 1), Tanh())
        let block = Residual(body)
        let x = Tensor([0.5, -1, 2, 0, 1, -0.25], shape: [2, 3])
        #expect(block(x) == body(x) + x)
        #expect(block.parameters().map(\.name) == ["body.0.weight", "body.0.bias"])
        #expect(block.shortDescription == "Residual(2 layers)")
        #expect(block.description == "Residual(Linear(3 => 3), Tanh(); skip: identity)")
    }

    @Test func identityBlockGradients() {
        let block = Residual(Sequential(Conv2D(2, 2, kernel: 3, padding: 1, dtype: .float64, seed: 1), Tanh(),
                                        Conv2D(2, 2, kernel: 3, padding: 1, dtype: .float64, seed: 2)))
        let result = moduleGradientCheck(block, input: seededNormals([2, 2, 5, 5], seed: 31), step: 1e-5)
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    @Test func convolutionProjectionGradients() {
        // Stride 2 and more channels in the body: a strided 1×1 convolution on the skip path. (No
        // bias before batch norm, which subtracts it again: its gradient is 0, all rounding.)
        let block = Residual(Sequential(Conv2D(2, 3, kernel: 3, stride: 2, padding: 1, bias: false, dtype: .float64, seed: 3),
                                        BatchNorm(3, dtype: .float64), Tanh()),
                             skip: Conv2D(2, 3, kernel: 1, stride: 2, dtype: .float64, seed: 4))
        let result = moduleGradientCheck(block, input: seededNormals([3, 2, 5, 5], seed: 32), step: 1e-5)
        // Batch norm over 27 values per channel leaves input derivatives near 1e-4, where the
        // objective's rounding (≈ 1e-16 · |Σ y ⊙ R| / h ≈ 2e-10) is about 1e-6 of them.
        #expect(result.maxRelativeError < 1e-5, "\(result)")
        #expect(block.parameters().map(\.name).suffix(2) == ["skip.weight", "skip.bias"])
    }

    @Test func linearProjectionGradients() {
        let block = Residual(Sequential(Linear(4, 6, dtype: .float64, seed: 5), Tanh(), Linear(6, 3, dtype: .float64, seed: 6)),
                             skip: Linear(4, 3, dtype: .float64, seed: 7))
        let result = moduleGradientCheck(block, input: seededNormals([5, 4], seed: 33), step: 1e-5)
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    @Test func globalAveragePoolingByHandAndItsGradient() {
        let x = Tensor([1, 2, 3, 4, 10, 20, 30, 40], shape: [1, 2, 2, 2])
        #expect(GlobalAvgPool2D()(x).floats == [2.5, 25])
        #expect(GlobalAvgPool2D()(x).shape == [1, 2])
        let v = Variable(x, requiresGrad: true)
        (globalAvgPool2d(v) * Variable(Tensor([1, 2], shape: [1, 2]))).sum().backward()
        #expect(v.grad!.floats == [0.25, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 0.5])
        let result = checkGradients(at: [seededNormals([3, 4, 3, 5], seed: 34)], step: 1e-5) { v in globalAvgPool2d(v[0]) }
        #expect(result.passed(tolerance: 1e-6), "\(result)")
        let module = moduleGradientCheck(GlobalAvgPool2D(), input: seededNormals([2, 3, 4, 4], seed: 35))
        #expect(module.maxRelativeError < 1e-6, "\(module)")
    }

    @Test func aResidualNetworkFromTheSpecPassesTheModelGradientCheck() throws {
        var g = RandomGenerator(seed: 9)
        let spec = "conv(3, 3, pad: 1), batchnorm, tanh, residual(conv(3, 3, pad: 1), batchnorm, tanh, conv(3, 3, pad: 1)), tanh, "
            + "residual(conv(4, 3, stride: 2, pad: 1), tanh), globalavgpool, residual(linear(6), tanh, linear(5)), linear(3)"
        let (model, _) = try ModelSpec.parse(spec).build(inputShape: [1, 6, 6], classCount: 3, dtype: .float64, generator: &g)
        let batch = Batch(features: seededNormals([4, 1, 6, 6], seed: 36), labels: [0, 1, 2, 1])
        var options = ModelGradientCheckOptions()
        options.maxElementsPerTensor = 20
        let result = try checkModelGradients(model, batch: batch, options: options)
        #expect(result.passed, "worst \(result.maxRelativeError)")
        #expect(result.parameters.map(\.name).contains("5.skip.weight"))
        #expect(result.parameters.map(\.name).contains("7.skip.weight"))
    }

    @Test func modesAndRandomStatesReachTheLayersInsideBlocks() throws {
        var g = RandomGenerator(seed: 2)
        let (model, _) = try ModelSpec.parse("linear(8), residual(linear(8), batchnorm, dropout(0.5), residual(dropout(0.2))), linear(2)")
            .build(inputShape: [4], generator: &g)
        let block = model.layers[1] as! Residual
        let batchNorm = block.body.layers[1] as! BatchNorm
        model.eval()
        #expect(!batchNorm.isTraining && !model.isTraining)
        model.train()
        #expect(batchNorm.isTraining)
        #expect(model.randomStates().keys.sorted() == ["1.body.2", "1.body.3.body.0"])
        // The dropout masks inside blocks resume where they were.
        let states = model.randomStates()
        let x = Tensor.ones([3, 4])
        let first = model(x)
        model.loadRandomStates(states)
        #expect(model(x) == first)
    }

    @Test func savedWeightsRoundTripWithBlockNames() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-residual-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func build(_ seed: UInt64) throws -> Sequential {
            var g = RandomGenerator(seed: seed)
            return try ModelSpec.parse(ResidualSpecTests.resnet).build(inputShape: [1, 28, 28], classCount: 10, generator: &g).model
        }
        let original = try build(1), restored = try build(2)
        var g = RandomGenerator(seed: 77)
        original.train()
        _ = original(Tensor.randomNormal([4, 1, 28, 28], generator: &g))   // the running statistics move
        original.eval()
        try original.save(to: dir + "/model.safetensors")
        let (tensors, _) = try Safetensors.read(dir + "/model.safetensors")
        #expect(tensors["3.body.0.weight"]?.shape == [16, 16, 3, 3])
        #expect(tensors["5.skip.weight"]?.shape == [32, 16, 1, 1])
        #expect(tensors["5.body.4.running_var"]?.shape == [32])
        try restored.load(from: dir + "/model.safetensors")
        restored.eval()
        let x = Tensor.randomNormal([2, 1, 28, 28], generator: &g)
        #expect(restored(x) == original(x))
    }
}
