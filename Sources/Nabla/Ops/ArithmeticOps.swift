extension Tensor {
    /// Sums a broadcast gradient back down to `shape`: the backward of broadcasting.
    public func unbroadcast(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let lead = rank - shape.count
        precondition(lead >= 0, "unbroadcast: \(self.shape) cannot reduce to \(shape)")
        var axes = Array(0..<lead)
        for (i, n) in shape.enumerated() where n == 1 && self.shape[lead + i] != 1 { axes.append(lead + i) }
        let summed = axes.isEmpty ? self : sum(alongAxes: axes, keepingDims: true)
        return summed.reshaped(shape)
    }
}

// Each op computes its value, then says how a gradient flows back to each input.
extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        Variable(op: "add", value: a.value + b.value, inputs: [a, b]) { g in
            [g.unbroadcast(to: a.shape), g.unbroadcast(to: b.shape)]
        }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        Variable(op: "sub", value: a.value - b.value, inputs: [a, b]) { g in
            [g.unbroadcast(to: a.shape), (-g).unbroadcast(to: b.shape)]
        }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        let x = a.value, y = b.value
        return Variable(op: "mul", value: x * y, inputs: [a, b]) { g in
            [a.requiresGrad ? (g * y).unbroadcast(to: x.shape) : nil,
             b.requiresGrad ? (g * x).unbroadcast(to: y.shape) : nil]
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        let x = a.value, y = b.value
        let q = x / y
        return Variable(op: "div", value: q, inputs: [a, b]) { g in
            // d(x/y)/dx = 1/y, d(x/y)/dy = -x/y² = -q/y
            let gx = g / y
            return [a.requiresGrad ? gx.unbroadcast(to: x.shape) : nil,
                    b.requiresGrad ? (-(gx * q)).unbroadcast(to: y.shape) : nil]
        }
    }

    public static prefix func - (a: Variable) -> Variable {
        Variable(op: "neg", value: -a.value, inputs: [a]) { g in [-g] }
    }

    // Scalars mix in as constants of the variable's dtype.
    public static func + (a: Variable, b: Double) -> Variable { a + a.constant(b) }
    public static func - (a: Variable, b: Double) -> Variable { a - a.constant(b) }
    public static func * (a: Variable, b: Double) -> Variable {
        Variable(op: "scale", value: a.value * b, inputs: [a]) { g in [g * b] }
    }
    public static func / (a: Variable, b: Double) -> Variable { a * (1 / b) }
    public static func + (a: Double, b: Variable) -> Variable { b.constant(a) + b }
    public static func - (a: Double, b: Variable) -> Variable { b.constant(a) - b }
    public static func * (a: Double, b: Variable) -> Variable { b * a }
    public static func / (a: Double, b: Variable) -> Variable { b.constant(a) / b }

    /// A rank-0 constant of this variable's dtype.
    func constant(_ x: Double) -> Variable { Variable(.scalar(x, dtype: dtype)) }
}

/// Elementwise power `a^b`; `b` may be a variable too (then `d/db = a^b · ln a`, defined for `a > 0`).
public func pow(_ a: Variable, _ b: Variable) -> Variable {
    let x = a.value, y = b.value
    let p = pow(x, y)
    return Variable(op: "pow", value: p, inputs: [a, b]) { g in
        [a.requiresGrad ? (g * y * pow(x, y - 1)).unbroadcast(to: x.shape) : nil,
         b.requiresGrad ? (g * p * log(x)).unbroadcast(to: y.shape) : nil]
    }
}

/// Elementwise power with a constant exponent: `d/da a^k = k · a^(k-1)`.
public func pow(_ a: Variable, _ k: Double) -> Variable {
    let x = a.value
    return Variable(op: "pow", value: pow(x, k), inputs: [a]) { g in
        [g * (k == 2 ? x * 2 : pow(x, k - 1) * k)]
    }
}
