import Foundation

/// A network written as text, the way `nabla train --model` takes it: a comma-separated list of
/// layers, each a name with optional arguments, positional or `name: value`:
///
///     conv(32, 3, pad: 1), batchnorm, relu, maxpool(2), flatten, dropout(0.5), linear(10)
///
/// Input sizes are not written: they follow from the data's example shape when the model is built.
/// A `linear` or `maxout` after image-shaped output flattens it first.
///
/// Layers (arguments in order, defaults in brackets):
/// - `linear(out, bias: [1])` (also `dense`, `fc`)
/// - `conv(out, kernel, stride: [1], pad: [0], bias: [1])` (also `conv2d`)
/// - `maxpool(kernel, stride: [kernel], pad: [0])`, `avgpool(kernel, stride: [kernel], pad: [0])`
/// - `flatten`, `dropout(p: [0.5])`, `batchnorm(eps: [1e-5], momentum: [0.1])`
/// - `relu`, `tanh`, `sigmoid`, `leakyrelu(slope: [0.01])`, `prelu(channels: [1])`, `elu(alpha: [1])`,
///   `maxout(out, pieces: [2])`
/// - `globalavgpool`: the mean of each channel, images `[C, H, W]` to `[C]`
/// - `residual(layers…)`: a block of layers whose input is added to its output, through a 1×1
///   convolution (images) or a linear layer (vectors) when the shapes differ:
///
///       conv(16, 3, pad: 1), batchnorm, relu,
///       residual(conv(32, 3, stride: 2, pad: 1), batchnorm, relu, conv(32, 3, pad: 1), batchnorm), relu,
///       globalavgpool, linear(10)
public struct ModelSpec: Equatable, CustomStringConvertible {
    /// One layer as written.
    public struct Layer: Equatable {
        public var name: String
        public var positional: [Double]
        public var named: [String: Double]
        /// Where the layer starts in the text (1-based), for error messages.
        public var column: Int
        /// The layers inside a block (`residual(…)`); empty for every other layer.
        public var body: [Layer] = []
    }

    public var layers: [Layer]
    /// The text the spec was parsed from.
    public var source: String

    /// The layer names understood, with their parameters.
    public static let catalog: [(name: String, parameters: [String], aliases: [String])] = [
        ("linear", ["out", "bias"], ["dense", "fc"]),
        ("conv", ["out", "kernel", "stride", "pad", "bias"], ["conv2d"]),
        ("maxpool", ["kernel", "stride", "pad"], []),
        ("avgpool", ["kernel", "stride", "pad"], []),
        ("flatten", [], []),
        ("dropout", ["p"], []),
        ("batchnorm", ["eps", "momentum"], []),
        ("relu", [], []), ("tanh", [], []), ("sigmoid", [], []),
        ("leakyrelu", ["slope"], []),
        ("prelu", ["channels"], []),
        ("elu", ["alpha"], []),
        ("maxout", ["out", "pieces"], []),
        ("globalavgpool", [], []),
        ("residual", [], []),
    ]

    /// Parses a spec; a JSON file's content (an array of layer strings, or `{"model": "..."}`) works too.
    public static func parse(_ text: String) throws -> ModelSpec {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("[") || trimmed.hasPrefix("{") {
            let json = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))
            if let list = json as? [String] { return try parse(list.joined(separator: ", ")) }
            if let object = json as? [String: Any], let model = object["model"] as? String { return try parse(model) }
            throw ModelSpecError("a JSON model spec must be an array of layer strings or {\"model\": \"…\"}", column: nil, text: text)
        }
        var parser = SpecParser(text: text)
        return ModelSpec(layers: try parser.parseLayers(), source: text)
    }

    public var description: String { ModelSpec.describe(layers) }

    private static func describe(_ layers: [Layer]) -> String {
        layers.map { layer in
            if !layer.body.isEmpty { return "\(layer.name)(\(describe(layer.body)))" }
            let args = layer.positional.map(Tensor.format) + layer.named.sorted { $0.key < $1.key }.map { "\($0.key): \(Tensor.format($0.value))" }
            return args.isEmpty ? layer.name : "\(layer.name)(\(args.joined(separator: ", ")))"
        }.joined(separator: ", ")
    }
}

/// A model spec that cannot be parsed or does not fit the data.
public struct ModelSpecError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var column: Int?
    public var text: String

    public init(_ message: String, column: Int?, text: String) {
        self.message = message
        self.column = column
        self.text = text
    }

    public var description: String {
        column.map { "\(message) at column \($0) in model \"\(text)\"" } ?? "\(message) (model \"\(text)\")"
    }
}

/// Recursive descent over `name(args), name, …`.
private struct SpecParser {
    let text: String
    let chars: [Character]
    var i = 0

    init(text: String) {
        self.text = text
        self.chars = Array(text)
    }

    mutating func parseLayers() throws -> [ModelSpec.Layer] {
        let layers = try parseList()
        guard i == chars.count else { throw error("unexpected '\(chars[i])'") }
        return layers
    }

    /// `layer, layer, …` up to the end or to what follows the last layer (a block's `)`).
    mutating func parseList() throws -> [ModelSpec.Layer] {
        var layers: [ModelSpec.Layer] = []
        repeat {
            skipSpaces()
            layers.append(try parseLayer())
            skipSpaces()
        } while eat(",")
        return layers
    }

    /// The layers of `residual(…)`, after its name: at least one, in parentheses.
    mutating func parseBlock(_ layer: inout ModelSpec.Layer) throws {
        skipSpaces()
        guard eat("(") else {
            throw ModelSpecError("\(layer.name) needs its layers in parentheses, e.g. residual(conv(16, 3, pad: 1), relu)",
                                 column: layer.column, text: text)
        }
        skipSpaces()
        guard !eat(")") else {
            throw ModelSpecError("\(layer.name)() is empty: put at least one layer inside, e.g. residual(conv(16, 3, pad: 1), relu)",
                                 column: layer.column, text: text)
        }
        layer.body = try parseList()
        guard eat(")") else {
            throw error(i < chars.count ? "expected ')' or ',' in \(layer.name)(…), found '\(chars[i])'" : "missing ')' of \(layer.name)(…)")
        }
    }

    mutating func parseLayer() throws -> ModelSpec.Layer {
        let column = i + 1
        let name = identifier().lowercased()
        guard !name.isEmpty else { throw error(i < chars.count ? "expected a layer name, found '\(chars[i])'" : "expected a layer name") }
        guard let entry = ModelSpec.catalog.first(where: { $0.name == name || $0.aliases.contains(name) }) else {
            throw ModelSpecError("unknown layer '\(name)'; known layers: \(ModelSpec.catalog.map(\.name).joined(separator: ", "))",
                                 column: column, text: text)
        }
        var layer = ModelSpec.Layer(name: entry.name, positional: [], named: [:], column: column)
        if entry.name == "residual" {
            try parseBlock(&layer)
            return layer
        }
        skipSpaces()
        if eat("(") {
            skipSpaces()
            if !eat(")") {
                repeat {
                    skipSpaces()
                    let start = i
                    let key = identifier()
                    skipSpaces()
                    if !key.isEmpty && eat(":") {
                        guard entry.parameters.contains(key) else {
                            throw ModelSpecError("\(entry.name) has no parameter '\(key)'; its parameters: \(entry.parameters.joined(separator: ", "))",
                                                 column: start + 1, text: text)
                        }
                        skipSpaces()
                        layer.named[key] = try number()
                    } else {
                        i = start
                        guard layer.named.isEmpty else { throw error("positional argument after a named one") }
                        layer.positional.append(try number())
                    }
                    skipSpaces()
                } while eat(",")
                guard eat(")") else { throw error(i < chars.count ? "expected ')' or ',', found '\(chars[i])'" : "missing ')'") }
            }
        }
        guard layer.positional.count <= entry.parameters.count else {
            throw ModelSpecError("\(entry.name) takes at most \(entry.parameters.count) arguments (\(entry.parameters.joined(separator: ", "))), got \(layer.positional.count)",
                                 column: column, text: text)
        }
        return layer
    }

    mutating func identifier() -> String {
        let start = i
        while i < chars.count, chars[i].isLetter || chars[i].isNumber && i > start || chars[i] == "_" { i += 1 }
        return String(chars[start..<i])
    }

    mutating func number() throws -> Double {
        let start = i
        while i < chars.count, chars[i].isNumber || "+-.eE".contains(chars[i]) { i += 1 }
        let token = String(chars[start..<i])
        if token == "", i < chars.count, chars[i].isLetter {
            let word = identifier()
            if word == "true" { return 1 }
            if word == "false" { return 0 }
            i = start
        }
        guard let value = Double(token), value.isFinite else {
            throw ModelSpecError(token.isEmpty ? "expected a number" : "'\(token)' is not a number", column: start + 1, text: text)
        }
        return value
    }

    mutating func skipSpaces() { while i < chars.count && chars[i].isWhitespace { i += 1 } }

    mutating func eat(_ c: Character) -> Bool {
        guard i < chars.count && chars[i] == c else { return false }
        i += 1
        return true
    }

    func error(_ message: String) -> ModelSpecError { ModelSpecError(message, column: i + 1, text: text) }
}
