import Foundation

/// A problem found while decoding; `Safetensors.decode` adds the file name.
struct SafetensorsProblem: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// One tensor as the header describes it.
struct SafetensorsEntry {
    var name: String
    var dtype: SafetensorsDType
    var shape: [Int]
    var count: Int
    /// Byte range in the data section.
    var begin: Int, end: Int
}

/// Reading and writing the JSON header.
enum SafetensorsHeader {
    /// Parses and checks the header: a JSON object mapping each tensor name to
    /// `{"dtype", "shape", "data_offsets"}`, plus an optional `"__metadata__"` of string values.
    /// Checks each entry on its own (the layout of the data section is checked by the caller).
    static func parse(_ json: UnsafeRawBufferPointer) throws
        -> (entries: [SafetensorsEntry], metadata: [String: String]) {
        guard String(validating: json, as: UTF8.self) != nil else {
            throw SafetensorsProblem("the header is not valid UTF-8 (is this a safetensors file?)")
        }
        let root: SafetensorsJSONValue
        do {
            root = try JSONDecoder().decode(SafetensorsJSONValue.self, from: Data(json))
        } catch {
            throw SafetensorsProblem("the header is not valid JSON (is this a safetensors file?): \(describe(error))")
        }
        guard case .object(let fields) = root else {
            throw SafetensorsProblem("the header must be a JSON object, found \(root.kind)")
        }
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw SafetensorsProblem("\"__metadata__\" must be an object of strings, found \(value.kind)")
                }
                for (key, item) in pairs {
                    guard case .string(let text) = item else {
                        throw SafetensorsProblem("\"__metadata__\" entry '\(key)' must be a string, found \(item.kind)")
                    }
                    metadata[key] = text
                }
            } else {
                entries.append(try entry(name, value))
            }
        }
        return (entries, metadata)
    }

    private static func entry(_ name: String, _ value: SafetensorsJSONValue) throws -> SafetensorsEntry {
        func problem(_ text: String) -> SafetensorsProblem { SafetensorsProblem("tensor '\(name)': \(text)") }
        guard case .object(let info) = value else { throw problem("expected an object, found \(value.kind)") }
        guard case .string(let dtypeName)? = info["dtype"] else {
            throw problem("\"dtype\" must be a string, found \(info["dtype"]?.kind ?? "nothing")")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw problem("unsupported dtype '\(dtypeName)' (Nabla reads \(SafetensorsDType.supportedList))")
        }
        guard case .array(let dims)? = info["shape"], let shape = integers(dims) else {
            throw problem("\"shape\" must be an array of non-negative integers, "
                          + "found \(info["shape"]?.text ?? "nothing")")
        }
        guard case .array(let offsetValues)? = info["data_offsets"], let offsets = integers(offsetValues),
              offsets.count == 2, offsets[0] <= offsets[1] else {
            throw problem("\"data_offsets\" must be [begin, end] with 0 <= begin <= end, "
                          + "found \(info["data_offsets"]?.text ?? "nothing")")
        }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw problem("shape \(shape) has too many elements") }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, bytes == offsets[1] - offsets[0] else {
            throw problem("shape \(shape) of \(dtypeName) needs \(overflow ? "too many" : String(bytes)) bytes, "
                          + "but data_offsets [\(offsets[0]), \(offsets[1])] span \(offsets[1] - offsets[0])")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, count: count,
                                begin: offsets[0], end: offsets[1])
    }

    /// The values as non-negative `Int`s, or nil if any is something else.
    private static func integers(_ values: [SafetensorsJSONValue]) -> [Int]? {
        var result: [Int] = []
        for v in values {
            guard case .int(let i) = v, i >= 0 else { return nil }
            result.append(i)
        }
        return result
    }

    private static func describe(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .dataCorrupted(let context), .typeMismatch(_, let context),
             .valueNotFound(_, let context), .keyNotFound(_, let context):
            let underlying = (context.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
            return context.debugDescription + underlying
        @unknown default:
            return "\(error)"
        }
    }

    /// The header in the layout the Python library writes: no spaces, `"__metadata__"` first
    /// (left out when empty, keys sorted), then each tensor in data order with its fields in the
    /// order `dtype`, `shape`, `data_offsets`. Not yet padded.
    static func json(_ entries: [SafetensorsEntry], metadata: [String: String]) -> String {
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(quoted($0.value))" }
            parts.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        for e in entries {
            let shape = e.shape.map(String.init).joined(separator: ",")
            parts.append("\(quoted(e.name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],"
                         + "\"data_offsets\":[\(e.begin),\(e.end)]}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A JSON string literal, escaped as serde_json does: the short escapes, `\u00XX` for the other
    /// control characters, everything else as UTF-8.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Any JSON value, decoded without losing the difference between integers, other numbers and
/// booleans (which `JSONSerialization`'s `NSNumber`s blur).
indirect enum SafetensorsJSONValue: Decodable {
    case null, bool(Bool), int(Int), number(Double), string(String)
    case array([SafetensorsJSONValue]), object([String: SafetensorsJSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([SafetensorsJSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: SafetensorsJSONValue].self)) }
    }

    /// What kind of value this is, for error messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A short rendering for error messages.
    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .number(let d): return String(d)
        case .string(let s): return SafetensorsHeader.quoted(s)
        case .array(let a): return "[" + a.map(\.text).joined(separator: ", ") + "]"
        case .object: return "an object"
        }
    }
}
