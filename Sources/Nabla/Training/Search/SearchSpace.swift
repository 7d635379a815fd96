import Foundation

/// The ranges a hyperparameter search draws from, written as
/// `lr=log(1e-6,1e-3), reg=log(1e-5,1e5), hidden=choice(50,100,200), dropout=uniform(0,0.5), depth=int(1,3)`.
///
/// - `log(a, b)`: log-uniform, `10^uniform(log10 a, log10 b)` — the lectures' way to sample learning
///   rates and regularization strengths, which matter on a multiplicative scale;
/// - `uniform(a, b)`: uniform on [a, b];
/// - `int(a, b)`: a whole number in a…b, both included;
/// - `choice(v1, v2, …)`: one of the listed numbers.
public struct SearchSpace: Equatable, CustomStringConvertible {
    /// One searched parameter's range.
    public enum Range: Equatable {
        case logUniform(Double, Double)
        case uniform(Double, Double)
        case integer(Int, Int)
        case choice([Double])
    }

    /// The parameters in the order written.
    public var parameters: [(name: String, range: Range)]

    public static func == (a: SearchSpace, b: SearchSpace) -> Bool {
        a.parameters.map(\.name) == b.parameters.map(\.name) && a.parameters.map(\.range) == b.parameters.map(\.range)
    }

    public init(parameters: [(name: String, range: Range)]) { self.parameters = parameters }

    /// Parses the text form.
    /// - Throws: `SearchError` naming the parameter and what is wrong.
    public static func parse(_ text: String) throws -> SearchSpace {
        var parameters: [(String, Range)] = []
        // Split on commas outside parentheses.
        var parts: [String] = [], depth = 0, current = ""
        for c in text {
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
            if c == "," && depth == 0 { parts.append(current); current = "" } else { current.append(c) }
        }
        parts.append(current)
        for part in parts.map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            guard let eq = part.firstIndex(of: "=") else { throw SearchError("'\(part)' is not name=range (e.g. lr=log(1e-6,1e-3))") }
            let name = part[..<eq].trimmingCharacters(in: .whitespaces)
            let spec = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw SearchError("'\(name)' is not a valid parameter name")
            }
            guard !parameters.contains(where: { $0.0 == name }) else { throw SearchError("\(name) is given twice") }
            guard let open = spec.firstIndex(of: "("), spec.hasSuffix(")") else {
                throw SearchError("\(name): '\(spec)' is not a range; use log(a,b), uniform(a,b), int(a,b) or choice(v1,v2,…)")
            }
            let kind = spec[..<open].trimmingCharacters(in: .whitespaces)
            let args = spec[spec.index(after: open)..<spec.index(before: spec.endIndex)].split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let numbers = try args.map { a -> Double in
                guard let v = Double(a), v.isFinite else { throw SearchError("\(name): '\(a)' is not a number") }
                return v
            }
            func pair() throws -> (Double, Double) {
                guard numbers.count == 2 else { throw SearchError("\(name): \(kind)(…) takes two numbers, got \(numbers.count)") }
                let (a, b) = (Swift.min(numbers[0], numbers[1]), Swift.max(numbers[0], numbers[1]))
                guard a < b else { throw SearchError("\(name): the range \(kind)(\(args.joined(separator: ", "))) is empty") }
                return (a, b)
            }
            switch kind {
            case "log":
                let (a, b) = try pair()
                guard a > 0 else { throw SearchError("\(name): log(a, b) needs a > 0, got \(Tensor.format(a))") }
                parameters.append((name, .logUniform(a, b)))
            case "uniform":
                let (a, b) = try pair()
                parameters.append((name, .uniform(a, b)))
            case "int":
                let (a, b) = try pair()
                guard a == a.rounded(), b == b.rounded() else { throw SearchError("\(name): int(a, b) needs whole numbers") }
                parameters.append((name, .integer(Int(a), Int(b))))
            case "choice":
                guard !numbers.isEmpty else { throw SearchError("\(name): choice() needs at least one value") }
                parameters.append((name, .choice(numbers)))
            default:
                throw SearchError("\(name): unknown range '\(kind)'; use log(a,b), uniform(a,b), int(a,b) or choice(v1,v2,…)")
            }
        }
        guard !parameters.isEmpty else { throw SearchError("the search space is empty") }
        return SearchSpace(parameters: parameters)
    }

    /// A random point: each parameter drawn independently.
    public func sample(_ g: inout RandomGenerator) -> [String: Double] {
        var point: [String: Double] = [:]
        for (name, range) in parameters {
            switch range {
            case let .logUniform(a, b): point[name] = Foundation.pow(10, log10(a) + (log10(b) - log10(a)) * g.nextUniform())
            case let .uniform(a, b): point[name] = a + (b - a) * g.nextUniform()
            case let .integer(a, b): point[name] = Double(a + Int(g.next() % UInt64(b - a + 1)))
            case let .choice(values): point[name] = values[Int(g.next() % UInt64(values.count))]
            }
        }
        return point
    }

    /// Every combination of `points` evenly spaced values per range (log-spaced for log ranges;
    /// every value of a choice; at most `points` integers of an int range).
    public func grid(points: Int) -> [[String: Double]] {
        precondition(points >= 1, "grid: points must be ≥ 1")
        var result: [[String: Double]] = [[:]]
        for (name, range) in parameters {
            let values: [Double]
            func spaced(_ a: Double, _ b: Double) -> [Double] {
                points == 1 ? [(a + b) / 2] : (0..<points).map { a + (b - a) * Double($0) / Double(points - 1) }
            }
            switch range {
            case let .logUniform(a, b): values = spaced(log10(a), log10(b)).map { Foundation.pow(10, $0) }
            case let .uniform(a, b): values = spaced(a, b)
            case let .integer(a, b): values = Array(Set(spaced(Double(a), Double(b)).map { $0.rounded() })).sorted()
            case let .choice(v): values = v
            }
            result = result.flatMap { point in values.map { point.merging([name: $0]) { $1 } } }
        }
        return result
    }

    /// A narrower space around the given good points: for each continuous range, from the smallest
    /// to the largest of their values, widened by a quarter of that span on each side (in log
    /// space for log ranges) and kept inside the original range. Choices keep the values seen.
    public func narrowed(around points: [[String: Double]]) -> SearchSpace {
        guard !points.isEmpty else { return self }
        return SearchSpace(parameters: parameters.map { name, range in
            let values = points.compactMap { $0[name] }
            guard let lo = values.min(), let hi = values.max() else { return (name, range) }
            switch range {
            case let .logUniform(a, b):
                let (l, h) = (log10(lo), log10(hi)), pad = Swift.max((h - l) / 4, (log10(b) - log10(a)) / 20)
                return (name, .logUniform(Foundation.pow(10, Swift.max(log10(a), l - pad)), Foundation.pow(10, Swift.min(log10(b), h + pad))))
            case let .uniform(a, b):
                let pad = Swift.max((hi - lo) / 4, (b - a) / 20)
                return (name, .uniform(Swift.max(a, lo - pad), Swift.min(b, hi + pad)))
            case let .integer(a, b):
                return (name, .integer(Swift.max(a, Int(lo) - 1), Swift.min(b, Int(hi) + 1)))
            case .choice:
                return (name, .choice(Array(Set(values)).sorted()))
            }
        })
    }

    /// Whether `value` lies in the outer 10% of its range (on a log scale for log ranges): the
    /// lectures' warning that the best value may lie outside the range searched.
    public func isNearEdge(_ name: String, _ value: Double) -> Bool {
        guard let range = parameters.first(where: { $0.name == name })?.range else { return false }
        func near(_ x: Double, _ a: Double, _ b: Double) -> Bool { (x - a) / (b - a) < 0.1 || (b - x) / (b - a) < 0.1 }
        switch range {
        case let .logUniform(a, b): return near(log10(value), log10(a), log10(b))
        case let .uniform(a, b): return near(value, a, b)
        case let .integer(a, b): return b > a && near(value, Double(a), Double(b))
        case .choice: return false
        }
    }

    public var description: String {
        parameters.map { name, range in
            switch range {
            case let .logUniform(a, b): return "\(name)=log(\(SearchSpace.short(a)),\(SearchSpace.short(b)))"
            case let .uniform(a, b): return "\(name)=uniform(\(SearchSpace.short(a)),\(SearchSpace.short(b)))"
            case let .integer(a, b): return "\(name)=int(\(a),\(b))"
            case let .choice(v): return "\(name)=choice(\(v.map(SearchSpace.short).joined(separator: ",")))"
            }
        }.joined(separator: ", ")
    }

    /// A compact number: `%g` with 4 significant digits.
    public static func short(_ x: Double) -> String { String(format: "%.4g", x) }
}

/// A search setting that is not valid.
public struct SearchError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
