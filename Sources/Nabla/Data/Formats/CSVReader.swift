/// Numeric CSV files: one example per line, comma-separated numbers, one column holding the label.
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
    /// - Throws: `DataError` naming the file and line for a missing or non-numeric value, a line with
    ///   the wrong number of fields, a label that is not a non-negative integer, or an unknown column.
    public static func load(_ path: String, labelColumn: LabelColumn = .index(-1)) throws -> Dataset {
        try parse(Gzip.readFile(path), file: path, labelColumn: labelColumn)
    }

    /// Parses CSV text (as bytes).
    public static func parse(_ bytes: [UInt8], file: String, labelColumn: LabelColumn = .index(-1)) throws -> Dataset {
        var features: [Float] = []
        var labels: [Int] = []
        var width: Int? = nil
        var labelIndex: Int? = nil
        var header: [String]? = nil
        var lineNumber = 0
        var fields: [Substring] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.allSatisfy(\.isWhitespace) { continue }
            fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if width == nil {
                width = fields.count
                if fields.contains(where: { Double($0.trimmingCharacters(in: .whitespaces)) == nil }) {
                    header = fields.map { $0.trimmingCharacters(in: .whitespaces) }
                    labelIndex = try resolve(labelColumn, header: header, width: fields.count, file: file)
                    continue
                }
                labelIndex = try resolve(labelColumn, header: nil, width: fields.count, file: file)
            }
            guard fields.count == width else {
                throw DataError(file: file, location: "line \(lineNumber)", "\(fields.count) fields, expected \(width!) like the first line")
            }
            for (column, field) in fields.enumerated() {
                let trimmed = field.trimmingCharacters(in: .whitespaces)
                let name = header.map { "column '\($0[column])'" } ?? "column \(column + 1)"
                guard !trimmed.isEmpty else {
                    throw DataError(file: file, location: "line \(lineNumber)", "missing value in \(name)")
                }
                guard let value = Double(trimmed), value.isFinite else {
                    throw DataError(file: file, location: "line \(lineNumber)", "'\(trimmed)' in \(name) is not a number")
                }
                if column == labelIndex {
                    guard value >= 0, value == value.rounded(), value < 1e9 else {
                        throw DataError(file: file, location: "line \(lineNumber)", "label '\(trimmed)' in \(name) is not a non-negative integer")
                    }
                    labels.append(Int(value))
                } else {
                    features.append(Float(value))
                }
            }
        }
        guard let width, !labels.isEmpty else { throw DataError(file: file, "no data rows") }
        return Dataset(features: Tensor(features, shape: [labels.count, width - 1]), labels: labels)
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
