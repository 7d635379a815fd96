import Testing
@testable import Nabla

@Suite struct BatchNormReLUMaxPoolTests {
    /// The fused op against batch norm, ReLU and 2×2 max pooling in turn: values, statistics and
    /// all three gradients agree exactly (up to the sign of zeros), on inputs with ties (small
    /// integers: equal inputs normalize to equal outputs), even and odd sizes, and rows with and
    /// without a tail after the pool's eight-window vector loop.
    @Test(arguments: [[2, 3, 4, 4], [3, 2, 7, 7], [2, 2, 5, 6], [2, 2, 8, 20], [1, 3, 6, 34]])
    func matchesTheThreeOps(_ shape: [Int]) {
        for dtype in [DType.float32, .float64] {
            var random = RandomGenerator(seed: 41)
            let x = Tensor((0..<shape.reduce(1, *)).map { _ in Double(Int(random.next() % 7)) - 2 }, shape: shape, dtype: dtype)
            let gamma = seededNormals([shape[1]], seed: 42, mean: 1).converted(to: dtype)
            let beta = seededNormals([shape[1]], seed: 43).converted(to: dtype)
            let seed = seededNormals([shape[0], shape[1], shape[2] / 2, shape[3] / 2], seed: 44).converted(to: dtype)
            let fusedInputs = [x, gamma, beta].map { Variable($0, requiresGrad: true) }
            let plainInputs = [x, gamma, beta].map { Variable($0, requiresGrad: true) }
            let fused = batchNormReLUMaxPool2x2(fusedInputs[0], gamma: fusedInputs[1], beta: fusedInputs[2])
            let norm = batchNorm(plainInputs[0], gamma: plainInputs[1], beta: plainInputs[2])
            let plain = maxPool2d(relu(norm.output), kernel: 2)
            #expect(fused.output.value.doubles == plain.value.doubles, "\(shape) \(dtype)")
            #expect(fused.mean.doubles == norm.mean.doubles && fused.variance.doubles == norm.variance.doubles, "\(shape) \(dtype)")
            fused.output.backward(seed: seed)
            plain.backward(seed: seed)
            for (a, b) in zip(fusedInputs, plainInputs) {
                #expect(a.grad!.doubles == b.grad!.doubles, "\(shape) \(dtype)")
            }
        }
    }

    /// In Double against centered differences, for the input, the scale and the shift, with an odd
    /// size (the left-out row and column get no gradient). Normal samples are distinct and away from
    /// each other and from 0 by more than the step, so no max or ReLU switches under it.
    @Test(arguments: [[3, 2, 5, 6], [2, 3, 4, 4]])
    func gradientsMatchFiniteDifferences(_ shape: [Int]) {
        let x = seededNormals(shape, seed: 45, mean: 1, standardDeviation: 2)
        let gamma = seededNormals([shape[1]], seed: 46, mean: 1), beta = seededNormals([shape[1]], seed: 47)
        let result = checkGradients(at: [x, gamma, beta], step: 1e-6) { v in
            batchNormReLUMaxPool2x2(v[0], gamma: v[1], beta: v[2]).output
        }
        #expect(result.passed(tolerance: 1e-6), "\(shape): \(result)")
    }

    /// `Sequential` runs a training-mode `BatchNorm`, `ReLU`, `MaxPool2D(kernel: 2)` as the fused op,
    /// with the same output and running statistics as the layers one by one; in evaluation mode the
    /// layers run as they are (the running statistics, which the fused op does not use).
    @Test func sequentialFusesTheBlockInTraining() {
        let x = Variable(seededNormals([4, 3, 7, 6], seed: 48, mean: 0.5).converted(to: .float32))
        let model = Sequential(BatchNorm(3), ReLU(), MaxPool2D(kernel: 2))
        let separate = BatchNorm(3), relu = ReLU(), pool = MaxPool2D(kernel: 2)
        for training in [true, false] {
            model.setTraining(training)
            separate.setTraining(training)
            #expect(model(x).value.floats == pool(relu(separate(x))).value.floats, "training: \(training)")
            let norm = model.layers[0] as! BatchNorm
            #expect(norm.runningMean.value.floats == separate.runningMean.value.floats)
            #expect(norm.runningVariance.value.floats == separate.runningVariance.value.floats)
            #expect(norm.valuesPerExample == 42)
        }
        let fused = model(x)
        #expect(fused.op == "maxPool2d")
        model.train()
        #expect(model(x).op == "batchNormReLUMaxPool2x2")
        #expect(Sequential(BatchNorm(3), ReLU(), MaxPool2D(kernel: 2, stride: 1))(x).op == "maxPool2d")
    }
}
