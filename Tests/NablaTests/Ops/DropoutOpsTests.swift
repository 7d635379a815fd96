import Testing
@testable import Nabla

@Suite struct DropoutOpTests {
    @Test func fixedMaskGradientMatchesFiniteDifferences() {
        let x = seededNormals([4, 5], seed: 51)
        var g = RandomGenerator(seed: 52)
        let mask = dropoutMask([4, 5], probability: 0.5, dtype: .float64, generator: &g)
        #expect(Set(mask.doubles).isSubset(of: [0, 2]))
        let result = checkGradients(at: [x], step: 1e-4) { v in dropout(v[0], mask: mask) }
        #expect(result.passed(tolerance: 1e-6), "\(result)")
        let xv = Variable(x, requiresGrad: true)
        dropout(xv, mask: mask).sum().backward()
        #expect(xv.grad! == mask)
    }

    @Test func maskDropsTheRightFractionAndKeepsTheMean() {
        var g = RandomGenerator(seed: 53)
        let mask = dropoutMask([200_000], probability: 0.3, generator: &g)
        let values = mask.floats
        let dropped = Double(values.filter { $0 == 0 }.count) / Double(values.count)
        #expect(abs(dropped - 0.3) < 0.005)
        #expect(values.allSatisfy { $0 == 0 || $0 == Float(1 / 0.7) })
        #expect(abs(mask.mean().scalar - 1) < 0.01)
    }

    @Test func edgeProbabilitiesAndReproducibility() {
        var g = RandomGenerator(seed: 54)
        #expect(dropoutMask([100], probability: 0, generator: &g).floats.allSatisfy { $0 == 1 })
        #expect(dropoutMask([100], probability: 1, generator: &g).floats.allSatisfy { $0 == 0 })
        var a = RandomGenerator(seed: 55), b = RandomGenerator(seed: 55)
        #expect(dropoutMask([1000], probability: 0.5, generator: &a) == dropoutMask([1000], probability: 0.5, generator: &b))
        #expect(dropoutMask([1000], probability: 0.5, generator: &a) != dropoutMask([1000], probability: 0.5, generator: &g))
    }
}
