@testable import Nabla

/// The outcome of `moduleGradientCheck`: the worst relative error and where it was.
struct ModuleGradientCheckResult: CustomStringConvertible {
    var maxRelativeError = 0.0
    var worst = "nothing checked"
    var description: String { "max relative error \(maxRelativeError) at \(worst)" }
}

/// Checks a module's backpropagated gradients, for its input and for every parameter in place,
/// against centered finite differences in Double. The objective is `Σ module(x) ⊙ R` with a fixed
/// random `R`, so that every output element matters.
///
/// `checkGradients` checks functions of fresh variables; this one goes through the module's own
/// parameters, so it also tests that the layer wires them in. `beforeForward` runs before each
/// forward pass (to replay a dropout mask).
func moduleGradientCheck(_ module: any Module, input: Tensor, step h: Double = 1e-6, seed: UInt64 = 1,
                         beforeForward: () -> Void = {}) -> ModuleGradientCheckResult {
    let point = input.converted(to: .float64)
    let parameters = module.parameters()
    module.zeroGrad()
    let x = Variable(point, requiresGrad: true)
    beforeForward()
    let out = module(x)
    var generator = RandomGenerator(seed: seed)
    let projection = Tensor.randomNormal(out.shape, dtype: .float64, generator: &generator)
    (out * Variable(projection)).sum().backward()

    func objective(_ input: Tensor) -> Double {
        withoutGradients {
            beforeForward()
            return (module(Variable(input)).value * projection).sum().scalar
        }
    }
    var result = ModuleGradientCheckResult()
    func compare(_ analytic: Double, _ numeric: Double, _ name: String) {
        let error = relativeError(analytic, numeric)
        if error > result.maxRelativeError || result.worst == "nothing checked" {
            result.maxRelativeError = error
            result.worst = "\(name) (analytic \(analytic), numeric \(numeric))"
        }
    }

    let inputGrad = x.grad ?? .zeros(like: point)
    for k in 0..<point.count {
        var plus = point, minus = point
        plus[flat: k] += h
        minus[flat: k] -= h
        compare(inputGrad[flat: k], (objective(plus) - objective(minus)) / (2 * h), "input[\(point.index(ofFlat: k))]")
    }
    for (name, p) in parameters {
        let grad = p.grad ?? .zeros(like: p.value)
        for k in 0..<p.value.count {
            let original = p.value[flat: k]
            p.value[flat: k] = original + h
            let up = objective(point)
            p.value[flat: k] = original - h
            let down = objective(point)
            p.value[flat: k] = original
            compare(grad[flat: k], (up - down) / (2 * h), "\(name)[\(p.value.index(ofFlat: k))]")
        }
    }
    return result
}

/// A tensor of normal samples in Double, from a fixed seed.
func seededNormals(_ shape: [Int], seed: UInt64, mean: Double = 0, standardDeviation: Double = 1) -> Tensor {
    var g = RandomGenerator(seed: seed)
    return Tensor.randomNormal(shape, mean: mean, standardDeviation: standardDeviation, dtype: .float64, generator: &g)
}
