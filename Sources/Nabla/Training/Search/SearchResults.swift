import Foundation

/// One finished trial of a search, as stored in the results file.
public struct TrialRecord: Codable, Equatable {
    /// The trial's number within the whole search, from 0.
    public var trial: Int
    /// The coarse-to-fine stage it belongs to, from 0.
    public var stage: Int
    /// The sampled values, by parameter name.
    public var settings: [String: Double]
    /// The best validation accuracy reached (nil if the trial failed before one epoch).
    public var validationAccuracy: Double?
    public var epochsRun: Int
    public var seconds: Double
    /// `ok`, `diverged` or `failed`.
    public var status: String
    /// Why a trial diverged or failed.
    public var message: String?

    public init(trial: Int, stage: Int, settings: [String: Double], validationAccuracy: Double?, epochsRun: Int,
                seconds: Double, status: String, message: String? = nil) {
        self.trial = trial; self.stage = stage; self.settings = settings; self.validationAccuracy = validationAccuracy
        self.epochsRun = epochsRun; self.seconds = seconds; self.status = status; self.message = message
    }
}

/// The results file of a search: one JSON object per line, appended as each trial finishes, so an
/// interrupted search loses nothing and can be resumed without repeating finished trials.
public struct SearchResults {
    public let path: String

    public init(path: String) { self.path = path }

    /// The trials recorded so far. A last line cut short by a crash is ignored; any other bad line is an error.
    public func load() throws -> [TrialRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        var records: [TrialRecord] = []
        for (i, line) in lines.enumerated() {
            do {
                records.append(try JSONDecoder().decode(TrialRecord.self, from: Data(line.utf8)))
            } catch {
                if i == lines.count - 1 && !text.hasSuffix("\n") { break }
                throw SearchError("\(path), line \(i + 1): not a trial record (\(error))")
            }
        }
        return records
    }

    /// Cuts off a last line left incomplete by a crash, so that new records start on a line of their own.
    public func repair() throws {
        guard let data = FileManager.default.contents(atPath: path), let last = data.last, last != UInt8(ascii: "\n") else { return }
        let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        try AtomicFile.write(data.prefix(keep), to: path)
    }

    /// Appends one record as a line and flushes it to disk.
    public func append(_ record: TrialRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw SearchError("\(path): cannot be opened for writing (errno \(errno))") }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { throw SearchError("\(path): write failed (errno \(errno))") }
    }
}

/// The results ranked best first, in the lectures' format:
/// `val_acc: 0.527000, lr: 5.340517e-04, reg: 4.097824e-01, (0 / 100)`.
public func rankedTable(_ records: [TrialRecord], parameterOrder: [String]) -> String {
    // Ties go to the earlier trial, so the table does not depend on the order trials finished in
    // (serial, parallel and MPI runs append them in different orders).
    let ranked = records.sorted { a, b in
        let (x, y) = (a.validationAccuracy ?? -1, b.validationAccuracy ?? -1)
        return x != y ? x > y : a.trial < b.trial
    }
    return ranked.enumerated().map { rank, r in
        let settings = parameterOrder.compactMap { name in
            r.settings[name].map { $0 == $0.rounded() && Swift.abs($0) < 1e6 ? "\(name): \(Int($0))" : String(format: "%@: %e", name, $0) }
        }
        let accuracy = r.validationAccuracy.map { String(format: "%f", $0) } ?? "none"
        let status = r.status == "ok" ? "" : " [\(r.status)]"
        return "val_acc: \(accuracy), " + settings.joined(separator: ", ") + ", (\(rank) / \(records.count))" + status
    }.joined(separator: "\n")
}

/// The lectures' warning for each parameter whose best value lies near the edge of its range.
public func edgeWarnings(best: TrialRecord, space: SearchSpace) -> [String] {
    space.parameters.compactMap { name, _ in
        guard let value = best.settings[name], space.isNearEdge(name, value) else { return nil }
        return "warning: the best \(name) (\(SearchSpace.short(value))) lies near the edge of its range in \(space): this result should worry us — widen the range"
    }
}
