import Testing
@testable import Nabla

@Suite struct ReLUMaxPoolTests {
    /// The fused op against `maxPool2d(relu(x))`, values and input gradients, on inputs with ties
    /// (small integers), zeros, negatives and a NaN; widths with and without a tail after the
    /// eight-window vector loop. Values agree exactly; gradients too, up to the sign of zeros.
    @Test(arguments: [[2, 3, 4, 4], [1, 2, 6, 20], [3, 1, 2, 34], [2, 2, 8, 16]])
    func matchesReLUThenMaxPool(_ shape: [Int]) {
        for dtype in [DType.float32, .float64] {
            var g = RandomGenerator(seed: 21)
            let count = shape.reduce(1, *)
            var values = (0..<count).map { _ in Double(Int(g.next() % 7)) - 3 }
            values[count / 2] = .nan
            let x = Tensor(values, shape: shape, dtype: dtype)
            let seed = seededNormals([shape[0], shape[1], shape[2] / 2, shape[3] / 2], seed: 22).converted(to: dtype)
            let fusedInput = Variable(x, requiresGrad: true), plainInput = Variable(x, requiresGrad: true)
            let fused = reluMaxPool2x2(fusedInput), plain = maxPool2d(relu(plainInput), kernel: 2)
            #expect(fused.value.doubles == plain.value.doubles, "\(shape) \(dtype)")
            fused.backward(seed: seed)
            plain.backward(seed: seed)
            #expect(fusedInput.grad!.doubles == plainInput.grad!.doubles, "\(shape) \(dtype)")
        }
    }

    /// Float rows go through vector loops (8 windows at a time with an overlapping last chunk, or two
    /// overlapping chunks of 4 for rows of 4 to 7 windows); Double rows through the scalar loop.
    /// Both give the same values, and gradients equal to rounding, fused or not.
    @Test(arguments: [[2, 2, 4, 14], [1, 3, 2, 10], [2, 1, 6, 28], [1, 2, 2, 34], [1, 1, 2, 6]])
    func vectorRowsMatchTheScalarLoop(_ shape: [Int]) {
        var g = RandomGenerator(seed: 24)
        let values = (0..<shape.reduce(1, *)).map { _ in Double(Int(g.next() % 9)) - 4 }
        let seed = seededNormals([shape[0], shape[1], shape[2] / 2, shape[3] / 2], seed: 25).converted(to: .float32)
        for fused in [true, false] {
            var results: [[Tensor]] = []
            for dtype in [DType.float32, .float64] {
                let input = Variable(Tensor(values, shape: shape, dtype: dtype), requiresGrad: true)
                let y = fused ? reluMaxPool2x2(input) : maxPool2d(input, kernel: 2)
                y.backward(seed: seed.converted(to: dtype))
                results.append([y.value, input.grad!])
            }
            #expect(results[0][0].doubles == results[1][0].doubles, "\(shape) fused: \(fused)")
            #expect(results[0][1].isAlmostEqual(to: results[1][1], tolerance: 1e-6), "\(shape) fused: \(fused)")
        }
    }

    @Test func gradientMatchesFiniteDifferences() {
        // Normal samples are distinct and away from 0 by more than the step.
        let x = seededNormals([2, 3, 4, 6], seed: 23)
        let result = checkGradients(at: [x], step: 1e-6) { v in reluMaxPool2x2(v[0]) }
        #expect(result.passed(tolerance: 1e-6), "\(result)")
    }

    /// `Sequential` fuses ReLU + 2×2 max pooling, and leaves other pools (and odd sizes) alone.
    @Test func sequentialFusesOnlyTheTwoByTwoPool() {
        let four = [2, 3, 4, 4], odd = [2, 3, 5, 4]
        #expect(Sequential.fusesReLUMaxPool(ReLU(), MaxPool2D(kernel: 2), four))
        #expect(!Sequential.fusesReLUMaxPool(ReLU(), MaxPool2D(kernel: 2), odd))
        #expect(!Sequential.fusesReLUMaxPool(ReLU(), MaxPool2D(kernel: 3), four))
        #expect(!Sequential.fusesReLUMaxPool(ReLU(), MaxPool2D(kernel: 2, stride: 1), four))
        #expect(!Sequential.fusesReLUMaxPool(MaxPool2D(kernel: 2), ReLU(), four))
        let model = Sequential(Conv2D(3, 4, kernel: 3, padding: 1, seed: 1), ReLU(), MaxPool2D(kernel: 2))
        let x = seededNormals(four, seed: 24).converted(to: .float32)
        let plain = maxPool2d(relu(model.layers[0](Variable(x))), kernel: 2)
        #expect(model(Variable(x)).value.floats == plain.value.floats)
    }
}
