/// CSV files: one example per line, comma-separated numbers, one column holding the label: a
/// class number, or a class name (`cat`, `dog`; the classes are then the names, sorted).
///
/// Format: lines of numbers separated by commas; an optional header line (detected when its fields
/// are not all numbers) names the columns; empty lines are skipped; the file may be gzip-compressed.
/// The label column is given by index (negative counts from the end) or, with a header, by name.
public enum CSVReader {
    /// Which column holds the label.
    public enum LabelColumn: Equatable {
        case index(Int)
        case name(String)
    }

    /// Loads `path` into a data set whose features are `[N, columns - 1]` floats.
    /// - Parameters:
    ///   - classCount: the number of classes, when known: labels must lie below it, and classes
    ///     without examples are allowed. When nil, labels must cover `0…largest` (see `ClassLabels`).
    ///   - allowNonFinite: accept `nan`, `inf` and values beyond a 32-bit float's range (which become
    ///     infinite); by default they are errors.
    /// - Throws: `DataError` naming the file and line for a missing, non-numeric or non-finite value,
    ///   a line with the wrong number of fields, a label that is not a non-negative integer or leaves
    ///   classes empty, or an unknown column.
    public static func load(_ path: String, labelColumn: LabelColumn = .index(-1), classCount: Int? = nil,
                            allowNonFinite: Bool = false) throws -> Dataset {
        try parse(Gzip.readFile(path), file: path, labelColumn: labelColumn, classCount: classCount, allowNonFinite: allowNonFinite)
    }

    /// Parses CSV text (as bytes). See `load`.
    public static func parse(_ bytes: [UInt8], file: String, labelColumn: LabelColumn = .index(-1), classCount: Int? = nil,
                             allowNonFinite: Bool = false) throws -> Dataset {
        let rows = try parseRows(bytes, file: file, labelColumn: labelColumn, allowNonFinite: allowNonFinite)
        let features = Tensor(rows.features, shape: [rows.labels.count, rows.width - 1])
        if let names = rows.labelNames {
            // Labels given as names (cat, dog): the classes are the names, sorted.
            let classNames = Array(Set(names)).sorted()
            if let classCount, classNames.count > classCount {
                throw DataError(file: file, "\(classNames.count) class names in the label column, more than the \(classCount) classes stated")
            }
            let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
            return Dataset(features: features, labels: names.map { index[$0]! }, classNames: classNames)
        }
        let classes = try ClassLabels.check(rows.labels, file: file, classCount: classCount) { "line \(rows.lineNumbers[$0])" }
        return Dataset(features: features, labels: rows.labels, classNames: (0..<classes).map(String.init))
    }

    private static func parseRows(_ bytes: [UInt8], file: String, labelColumn: LabelColumn,
                                  allowNonFinite: Bool) throws -> (features: [Float], labels: [Int], lineNumbers: [Int], width: Int, labelNames: [String]?) {
        var features: [Float] = []
        var labels: [Int] = []
        // Each row's label as text, once a label that is not a number (a class name) is seen.
        var labelNames: [String]? = nil
        var lineNumbers: [Int] = []  // of each example, for label errors found after parsing
        var width: Int? = nil
        var labelIndex = -1
        var header: [String]? = nil
        var fields: [Substring] = []
        var values: [Double] = []
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            // One line: [start, end), without its "\n" (and "\r").
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let next = end + 1
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            lineNumber += 1
            defer { start = next }
            if bytes[start..<end].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }

            values.removeAll(keepingCapacity: true)
            var bad: Int? = nil  // the first field that is not a number
            var fieldStart = start
            for i in start...end where i == end || bytes[i] == 0x2C {
                if let v = number(bytes, fieldStart, i), v.isFinite || allowNonFinite { values.append(v) } else {
                    if bad == nil { bad = values.count }
                    values.append(.nan)
                }
                fieldStart = i + 1
            }
            if width == nil {
                width = values.count
                let column = try? resolve(labelColumn, header: nil, width: values.count, file: file)
                let onlyLabel = bad != nil && column == bad && !values.enumerated().contains { $0.offset != column && $0.element.isNaN && !allowNonFinite }
                if bad != nil && !onlyLabel {
                    header = String(decoding: bytes[start..<end], as: UTF8.self)
                        .split(separator: ",", omittingEmptySubsequences: false)
                        .map { $0.trimmingCharacters(in: .whitespaces) }
                    labelIndex = try resolve(labelColumn, header: header, width: values.count, file: file)
                    continue
                }
                labelIndex = try resolve(labelColumn, header: nil, width: values.count, file: file)
            }
            guard values.count == width else {
                throw DataError(file: file, location: "line \(lineNumber)", "\(values.count) fields, expected \(width!) like the first line")
            }
            var labelName: String? = nil
            if bad == labelIndex {
                // A class name in the label column; any other field that is not a number is still an error.
                fields = String(decoding: bytes[start..<end], as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
                labelName = fields[labelIndex].trimmingCharacters(in: .whitespaces)
                bad = values.indices.first {
                    $0 != labelIndex && values[$0].isNaN && (!allowNonFinite || Double(fields[$0].trimmingCharacters(in: .whitespaces)) == nil)
                }
                if labelName!.isEmpty { bad = labelIndex }
            }
            if let column = bad {
                fields = String(decoding: bytes[start..<end], as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
                let text = fields[column].trimmingCharacters(in: .whitespaces)
                let name = header.map { "column '\($0[column])'" } ?? "column \(column + 1)"
                let nonFinite = Double(text).map { !$0.isFinite } ?? false
                throw DataError(file: file, location: "line \(lineNumber)",
                                text.isEmpty ? "missing value in \(name)"
                                    : nonFinite ? "'\(text)' in \(name) is not a finite number" : "'\(DataError.excerpt(text))' in \(name) is not a number")
            }
            for (column, value) in values.enumerated() {
                if column == labelIndex {
                    if labelName != nil || labelNames != nil {
                        if labelNames == nil { labelNames = labels.map(String.init) }
                        labelNames!.append(labelName ?? Tensor.format(value))
                        labels.append(0)
                        lineNumbers.append(lineNumber)
                        continue
                    }
                    guard value >= 0, value == value.rounded(), value < 1e9 else {
                        let name = header.map { "column '\($0[column])'" } ?? "column \(column + 1)"
                        throw DataError(file: file, location: "line \(lineNumber)",
                                        "label '\(Tensor.format(value))' in \(name) is not a non-negative integer")
                    }
                    labels.append(Int(value))
                    lineNumbers.append(lineNumber)
                } else {
                    let feature = Float(value)
                    // 1e40 is a fine Double but infinite as a Float.
                    guard feature.isFinite || allowNonFinite else {
                        let name = header.map { "column '\($0[column])'" } ?? "column \(column + 1)"
                        throw DataError(file: file, location: "line \(lineNumber)",
                                        "'\(Tensor.format(value))' in \(name) is too large for a 32-bit float (at most ±3.4e38)")
                    }
                    features.append(feature)
                }
            }
        }
        guard let width, !labels.isEmpty else { throw DataError(file: file, "no data rows") }
        return (features, labels, lineNumbers, width, labelNames)
    }

    /// The number (perhaps NaN or infinite) in `bytes[start..<end]` (spaces around it allowed), or nil.
    /// Plain integers, the bulk of image data, take a fast path.
    private static func number(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Double? {
        var s = start, e = end
        while s < e && bytes[s] == 0x20 { s += 1 }
        while e > s && bytes[e - 1] == 0x20 { e -= 1 }
        guard s < e else { return nil }
        if e - s <= 9 && bytes[s..<e].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            var v = 0
            for i in s..<e { v = v * 10 + Int(bytes[i] - 0x30) }
            return Double(v)
        }
        return Double(String(decoding: bytes[s..<e], as: UTF8.self))
    }

    private static func resolve(_ column: LabelColumn, header: [String]?, width: Int, file: String) throws -> Int {
        switch column {
        case .index(let i):
            let index = i < 0 ? width + i : i
            guard index >= 0 && index < width else {
                throw DataError(file: file, "label column \(i) does not exist: lines have \(width) fields")
            }
            return index
        case .name(let name):
            guard let header else { throw DataError(file: file, "label column '\(name)' given by name, but the file has no header line") }
            guard let index = header.firstIndex(of: name) else {
                throw DataError(file: file, location: "line 1", "no column named '\(name)'; columns are \(header.joined(separator: ", "))")
            }
            return index
        }
    }
}

import Foundation
