import Foundation
import Testing
@testable import Nabla

/// The vectorized Float `exp` and `sigmoid` (Elementwise.swift) against Double libm as the oracle.
@Suite struct ExpTests {
    /// Error of `value` in units in the last place of the correctly rounded Float result;
    /// in the subnormal range the unit is the smallest subnormal.
    func ulps(_ value: Float, exact: Double) -> Double {
        let rounded = Float(exact)
        if rounded.isInfinite { return value == rounded ? 0 : .infinity }
        let unit = Double(Swift.max(rounded.ulp, Float.leastNonzeroMagnitude))
        return Swift.abs(Double(value) - exact) / unit
    }

    /// Evenly spaced points over every input that gives a finite, non-zero result and beyond,
    /// plus every Float in [-1, 1] at a fixed bit-pattern stride (small arguments, where the
    /// reduction does nothing and the polynomial alone sets the error).
    func samples() -> [Float] {
        var xs = (0..<120_001).map { Float(-110 + 200 * Double($0) / 120_000) }
        var bits = Float(-1).bitPattern
        while bits > Float(-1e-30).bitPattern { xs.append(Float(bitPattern: bits)); bits -= 997 }
        bits = Float(1e-30).bitPattern
        while bits < Float(1).bitPattern { xs.append(Float(bitPattern: bits)); bits += 997 }
        return xs
    }

    @Test func expIsWithinTwoUlpsEverywhere() {
        let xs = samples()
        let ys = exp(Tensor(xs)).floats
        var worst = 0.0, worstX: Float = 0
        for (x, y) in zip(xs, ys) {
            let e = ulps(y, exact: Foundation.exp(Double(x)))
            if e > worst { worst = e; worstX = x }
        }
        #expect(worst <= 2, "exp: \(worst) ulps at x = \(worstX)")
    }

    @Test func expSpecialValues() {
        let xs: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 88.72, 88.73, 89, 1000, -87.3, -100, -103.9, -104, -1000,
                           .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        let ys = exp(Tensor(xs)).floats
        #expect(ys[0] == 1 && ys[1] == 1)
        #expect(ys[2] == .infinity && ys[3] == 0 && ys[4].isNaN)
        #expect(ys[5].isFinite && ys[6] == .infinity && ys[7] == .infinity && ys[8] == .infinity)
        #expect(ys[9] > 0 && ys[9].isNormal)
        #expect(ys[10] > 0 && ys[10].isSubnormal && ys[11] > 0)
        #expect(ys[12] == 0 && ys[13] == 0 && ys[14] == .infinity && ys[15] == 0)
    }

    @Test func everyLengthAndBothThreadPathsGiveTheSameValues() {
        // Lengths around the vector width exercise the padded tail; 100_003 is split over cores.
        for n in [1, 7, 8, 9, 15, 17, 100_003] {
            let xs = (0..<n).map { Float(-20 + 40 * Double($0 % 997) / 997) }
            let ys = exp(Tensor(xs)).floats
            for i in [0, n / 2, n - 1] {
                #expect(ulps(ys[i], exact: Foundation.exp(Double(xs[i]))) <= 2, "n = \(n), i = \(i)")
            }
        }
    }

    @Test func doubleExpIsLibm() {
        let xs: [Double] = [-3, -0.5, 0, 0.25, 2, 700]
        #expect(exp(Tensor(xs, shape: [6], dtype: .float64)).doubles == xs.map { Foundation.exp($0) })
    }

    @Test func sigmoidIsWithinThreeUlps() {
        let xs = (0..<40_001).map { Float(-110 + 220 * Double($0) / 40_000) }
        let ys = sigmoid(Tensor(xs)).floats
        var worst = 0.0, worstX: Float = 0
        for (x, y) in zip(xs, ys) {
            let e = ulps(y, exact: 1 / (1 + Foundation.exp(-Double(x))))
            if e > worst { worst = e; worstX = x }
        }
        #expect(worst <= 3, "sigmoid: \(worst) ulps at x = \(worstX)")
        let special = sigmoid(Tensor([0, -0.0, .infinity, -.infinity, .nan, 1000, -1000])).floats
        #expect(Array(special[0..<4]) == [0.5, 0.5, 1, 0] && special[4].isNaN && Array(special[5...]) == [1, 0])
    }
}
