import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a download is doing, reported as it happens (for progress output).
public enum DownloadEvent: Sendable, Equatable {
    /// The file is already in place with the right size and MD5 checksum; it is not fetched again.
    case alreadyPresent(file: String)
    /// Every file this archive unpacks to is already in place; the archive is not needed.
    case alreadyUnpacked(file: String)
    /// A transfer begins at byte `offset` of `size` (non-zero when resuming a partial download).
    case started(file: String, url: String, offset: Int64, size: Int64)
    /// `received` of `size` bytes are on disk.
    case progress(file: String, received: Int64, size: Int64)
    /// The file is complete, verified and in place; `transferred` bytes of it came over the network
    /// this time (less than `size` after a resume).
    case finished(file: String, size: Int64, transferred: Int64)
    /// A problem the download recovers from by fetching the file from its start again, e.g. a
    /// server that ignores the resume request, or a damaged file from an earlier download.
    case restarting(file: String, reason: String)
    /// The archive is being unpacked.
    case unpacking(file: String)
    /// The archive is unpacked: `count` files were put in place.
    case unpacked(file: String, count: Int)
}

/// What a download did.
public struct DownloadReport: Sendable, Equatable {
    /// What happened to one file.
    public enum Outcome: Sendable, Equatable {
        /// Fetched whole.
        case downloaded
        /// Fetched from byte `offset` on, after a partial download.
        case resumed(offset: Int64)
        /// Already present and valid; not fetched.
        case alreadyPresent
        /// An archive whose unpacked files were all present; not fetched.
        case alreadyUnpacked
    }

    /// One file's outcome.
    public struct File: Sendable, Equatable {
        /// The file's name.
        public var name: String
        /// What happened.
        public var outcome: Outcome
        /// Bytes that came over the network for it.
        public var transferred: Int64
        /// Whether it was an archive that was unpacked this time.
        public var unpacked: Bool
    }

    /// The directory the data set is in.
    public var directory: String
    /// The base URL the files came from (the catalog's, or a mirror).
    public var baseURL: String
    /// The files, in the catalog's order.
    public var files: [File]

    /// Bytes that came over the network, all files together.
    public var transferred: Int64 { files.reduce(0) { $0 + $1.transferred } }
}

/// Downloads a data set from the catalog (`DataSources`) into a directory, so that the loaders
/// (`IDX.load(directory:)`, `CIFAR10.load(directory:)`) find it there.
///
/// For each file:
/// - a file already in place with the catalog's size and MD5 checksum is kept; so is an archive
///   whose unpacked files are all in place (the archive itself may then be deleted);
/// - otherwise it is fetched over HTTP(S) into `NAME.part`, hashing while streaming (nothing is held
///   in memory), checked against the size and MD5 checksum, flushed to disk and only then renamed to
///   `NAME`, so that `NAME` is always complete;
/// - an existing `NAME.part` (an interrupted download) is resumed with a `Range: bytes=N-` request;
///   a server that answers with the whole file (200 instead of 206) is read from the start instead;
/// - a wrong size or checksum deletes the `.part` and throws `FILE: MD5 mismatch (expected …, got …)`
///   (after one automatic fresh try when the bad file came from a resume); a network failure keeps
///   the `.part`, so that running again resumes;
/// - an archive (`RemoteFile.unpacksTo` not empty: CIFAR-10's `.tar.gz`) is then unpacked with the
///   system's `tar` into a hidden folder in the directory, its expected files are checked, and its
///   files are moved into place one by one (`rename`). The archive is kept.
///
/// Every failure is a `DataError` naming the file or the URL: an HTTP error gives the status, a
/// network failure the system's reason.
public struct Downloader: Sendable {
    /// A base URL replacing the catalog's (`--mirror`): each file is fetched from this URL followed
    /// by the file's name. Takes precedence over the environment variable `NABLA_DATA_MIRROR`.
    public var mirror: String?
    /// The environment, for `NABLA_DATA_MIRROR`.
    public var environment: [String: String]
    /// Seconds without any data after which a transfer fails.
    public var timeout: TimeInterval
    /// Called with each event, one call at a time (some on a background thread).
    public var onEvent: (@Sendable (DownloadEvent) -> Void)?

    /// A downloader using `mirror` (or `NABLA_DATA_MIRROR`, or the catalog's URL).
    public init(mirror: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                timeout: TimeInterval = 60, onEvent: (@Sendable (DownloadEvent) -> Void)? = nil) {
        self.mirror = mirror
        self.environment = environment
        self.timeout = timeout
        self.onEvent = onEvent
    }

    /// The base URL the data set's files are fetched from: `mirror`, else `NABLA_DATA_MIRROR` (when
    /// set and not empty), else the catalog's; always ending in `/`.
    /// - Throws: `DataError` when it is not an `http://` or `https://` URL with a host.
    public func baseURL(for source: DataSource) throws -> String {
        let (value, origin): (String, String)
        if let mirror {
            (value, origin) = (mirror, "the mirror")
        } else if let variable = environment[DataSources.mirrorEnvironmentVariable], !variable.isEmpty {
            (value, origin) = (variable, DataSources.mirrorEnvironmentVariable)
        } else {
            (value, origin) = (source.baseURL, "the catalog's URL for \(source.name)")
        }
        let base = value.hasSuffix("/") ? value : value + "/"
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw DataError(file: value, "\(origin) is not an http:// or https:// URL")
        }
        return base
    }

    /// Downloads `source` into `directory` (created if missing), as described above.
    /// - Returns: what happened to each file.
    /// - Throws: `DataError` for a bad mirror URL, a directory that cannot be created, an HTTP error,
    ///   a network failure, a size or MD5 mismatch, or an archive that does not unpack.
    @discardableResult
    public func download(_ source: DataSource, to directory: String) throws -> DownloadReport {
        let base = try baseURL(for: source)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DataError(file: directory, "cannot create the directory: \(error.localizedDescription)")
        }
        var report = DownloadReport(directory: directory, baseURL: base, files: [])
        for file in source.files {
            let path = (directory as NSString).appendingPathComponent(file.name)
            if file.isArchive, try Self.unpackedFilesPresent(file, in: directory) {
                onEvent?(.alreadyUnpacked(file: file.name))
                report.files.append(.init(name: file.name, outcome: .alreadyUnpacked, transferred: 0, unpacked: false))
                continue
            }
            var result = try fetch(file, from: base + file.name, to: path)
            if file.isArchive {
                onEvent?(.unpacking(file: file.name))
                let count = try Self.unpack(archive: path, file: file, into: directory)
                onEvent?(.unpacked(file: file.name, count: count))
                result.unpacked = true
            }
            report.files.append(result)
        }
        return report
    }

    /// The MD5 checksum of a file (32 lowercase hexadecimal digits), read in 1 MiB chunks.
    /// - Throws: `DataError` when the file cannot be read.
    public static func md5(ofFile path: String) throws -> String {
        var hasher = MD5()
        try LocalFile.forEachChunk(of: path) { hasher.update(bufferPointer: $0) }
        return hex(hasher.finalize())
    }

    // MARK: - One file

    private func fetch(_ file: RemoteFile, from urlString: String, to path: String) throws -> DownloadReport.File {
        guard let url = URL(string: urlString) else { throw DataError(file: urlString, "not a valid URL") }
        let part = path + ".part"

        if let size = LocalFile.size(path) {
            if size == file.size, try Self.md5(ofFile: path) == file.md5 {
                onEvent?(.alreadyPresent(file: file.name))
                return .init(name: file.name, outcome: .alreadyPresent, transferred: 0, unpacked: false)
            }
            let problem = size == file.size ? "its MD5 checksum is wrong" : "it is \(size) bytes, expected \(file.size)"
            onEvent?(.restarting(file: file.name, reason: "the file in place is damaged (\(problem)); downloading it again"))
        }

        var mayResume = true   // false after a fresh start was needed: then never resume again
        var transferred: Int64 = 0
        while true {
            var offset: Int64 = 0
            if let size = LocalFile.size(part) {
                if !mayResume || size > file.size {
                    try LocalFile.remove(part)
                } else {
                    offset = size
                }
            }

            let digest: String
            if offset > 0 && offset == file.size {
                // A complete `.part` from a run stopped between the transfer and the rename.
                digest = try Self.md5(ofFile: part)
            } else {
                let transfer = Transfer(file: file, url: url, partPath: part, offset: offset, timeout: timeout, onEvent: onEvent)
                switch try transfer.run() {
                case .complete(let md5, let bytes):
                    digest = md5
                    transferred += bytes
                    if transfer.restartedFromZero { offset = 0 }
                case .startOver(let reason):
                    guard mayResume else { throw DataError(file: urlString, reason) }
                    onEvent?(.restarting(file: file.name, reason: reason))
                    mayResume = false
                    continue
                }
            }

            guard digest == file.md5 else {
                try LocalFile.remove(part)
                if offset > 0 && mayResume {
                    // The earlier part may have come from a different version of the file.
                    onEvent?(.restarting(file: file.name, reason: "MD5 mismatch after resuming (expected \(file.md5), got \(digest)); downloading the whole file again"))
                    mayResume = false
                    continue
                }
                throw DataError(file: file.name, "MD5 mismatch (expected \(file.md5), got \(digest)); the download was deleted")
            }
            try LocalFile.moveIntoPlace(part, path)
            onEvent?(.finished(file: file.name, size: file.size, transferred: transferred))
            return .init(name: file.name, outcome: offset > 0 ? .resumed(offset: offset) : .downloaded,
                         transferred: transferred, unpacked: false)
        }
    }

    // MARK: - Archives

    /// Whether every file the archive unpacks to exists (with its size, where known).
    static func unpackedFilesPresent(_ file: RemoteFile, in directory: String) throws -> Bool {
        file.unpacksTo.allSatisfy { member in
            let size = LocalFile.size((directory as NSString).appendingPathComponent(member.path))
            return size != nil && (member.size == nil || size == member.size)
        }
    }

    /// Unpacks a `.tar.gz` with the system's `tar` into a hidden folder in `directory`, checks that it
    /// holds the expected files, and moves its regular files into place (replacing older ones).
    /// - Returns: the number of files moved into place.
    static func unpack(archive: String, file: RemoteFile, into directory: String) throws -> Int {
        guard let tar = findExecutable("tar") else {
            throw DataError(file: archive, "cannot unpack: the tar program was not found (Debian: apt-get install tar)")
        }
        let absoluteDirectory = URL(fileURLWithPath: directory).standardizedFileURL.path
        let absoluteArchive = URL(fileURLWithPath: archive).standardizedFileURL.path
        // Staging folders left by an earlier run that was killed while unpacking go first.
        let stagingPrefix = ".unpack-\(file.name)-"
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: absoluteDirectory)) ?? [] where stale.hasPrefix(stagingPrefix) {
            try? FileManager.default.removeItem(atPath: (absoluteDirectory as NSString).appendingPathComponent(stale))
        }
        let staging = (absoluteDirectory as NSString).appendingPathComponent(
            stagingPrefix + String(UInt64.random(in: 0...UInt64.max), radix: 16))
        do {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw DataError(file: staging, "cannot create a folder to unpack into: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(atPath: staging) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: tar)
        process.arguments = ["-x", "-z", "--no-same-owner", "-f", absoluteArchive, "-C", staging]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw DataError(file: archive, "cannot unpack: cannot run \(tar): \(error.localizedDescription)")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let detail = message.split(separator: "\n").prefix(3).joined(separator: "; ")
            throw DataError(file: archive, "cannot unpack: tar failed (status \(process.terminationStatus))"
                            + (detail.isEmpty ? "" : ": \(detail)"))
        }

        for member in file.unpacksTo {
            guard let size = LocalFile.size((staging as NSString).appendingPathComponent(member.path)) else {
                throw DataError(file: archive, "the archive does not hold \(member.path)")
            }
            if let expected = member.size, size != expected {
                throw DataError(file: archive, "\(member.path) in the archive is \(size) bytes, expected \(expected)")
            }
        }

        // Regular files only: links and special files in an archive are not followed or copied.
        var moved = 0
        guard let walker = FileManager.default.enumerator(atPath: staging) else {
            throw DataError(file: staging, "cannot list the unpacked files")
        }
        while let relative = walker.nextObject() as? String {
            let source = (staging as NSString).appendingPathComponent(relative)
            var info = stat()
            guard lstat(source, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let destination = (absoluteDirectory as NSString).appendingPathComponent(relative)
            do {
                try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
            } catch {
                throw DataError(file: destination, "cannot create its folder: \(error.localizedDescription)")
            }
            guard rename(source, destination) == 0 else {
                throw DataError(file: destination, "cannot move the unpacked file into place: \(systemErrorMessage())")
            }
            moved += 1
        }
        return moved
    }

    /// The first executable named `name` on the `PATH` (or in /usr/bin, /bin).
    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin"]
        return folders.lazy.map { ($0 as NSString).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Lowercase hexadecimal digits of a digest.
private func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { String(format: "%02x", $0) }.joined()
}

// MARK: - One HTTP transfer

/// One HTTP GET streamed into a `.part` file, with the MD5 computed on the way.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Result {
        /// The `.part` file holds `file.size` bytes with this MD5; `transferred` came this time.
        case complete(md5: String, transferred: Int64)
        /// The partial download cannot be continued; delete it and fetch the whole file.
        case startOver(reason: String)
    }

    let file: RemoteFile
    let url: URL
    let partPath: String
    let offset: Int64
    let timeout: TimeInterval
    let onEvent: (@Sendable (DownloadEvent) -> Void)?

    // Touched by the delegate queue only until `done` is signalled, then by `run`.
    private var hasher = MD5()
    private var part: LocalFile.Writer?
    private var received: Int64 = 0
    private var transferred: Int64 = 0
    private var failure: Error?
    private var startOver: String?
    private(set) var restartedFromZero = false
    private let done = DispatchSemaphore(value: 0)

    init(file: RemoteFile, url: URL, partPath: String, offset: Int64, timeout: TimeInterval,
         onEvent: (@Sendable (DownloadEvent) -> Void)?) {
        self.file = file
        self.url = url
        self.partPath = partPath
        self.offset = offset
        self.timeout = timeout
        self.onEvent = onEvent
    }

    func run() throws -> Result {
        if offset > 0 {
            // The bytes already downloaded go into the checksum first.
            try LocalFile.forEachChunk(of: partPath, limit: offset) { hasher.update(bufferPointer: $0) }
            received = offset
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalAndRemoteCacheData, timeoutInterval: timeout)
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.urlCache = nil
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
        onEvent?(.started(file: file.name, url: url.absoluteString, offset: offset, size: file.size))
        session.dataTask(with: request).resume()
        done.wait()
        session.finishTasksAndInvalidate()

        if let startOver {
            try? part?.close()
            return .startOver(reason: startOver)
        }
        if let failure {
            try? part?.close()
            throw failure
        }
        guard let part else { throw DataError(file: url.absoluteString, "the server sent no response") }
        try part.flushAndClose()
        guard received == file.size else {
            try LocalFile.remove(partPath)
            throw DataError(file: file.name, "size mismatch (expected \(file.size) bytes, got \(received)); the download was deleted")
        }
        return .complete(md5: hex(hasher.finalize()), transferred: transferred)
    }

    // MARK: URLSessionDataDelegate

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = DataError(file: url.absoluteString, "not an HTTP response")
            return completionHandler(.cancel)
        }
        let status = http.statusCode
        let name = HTTPURLResponse.localizedString(forStatusCode: status)
        var resuming = offset > 0
        switch status {
        case 206 where resuming:
            // Content-Range: bytes START-END/TOTAL must continue where the `.part` ends.
            let range = (http.value(forHTTPHeaderField: "Content-Range") ?? "").lowercased()
            let start = range.hasPrefix("bytes ") ? Int64(range.dropFirst(6).prefix { $0.isNumber }) : nil
            guard start == offset else {
                startOver = "the server sent the wrong part of the file (Content-Range '\(range)' for bytes=\(offset)-); starting over"
                return completionHandler(.cancel)
            }
        case 200:
            if resuming {
                // The server ignores Range and sends the whole file: start the `.part` over.
                restartedFromZero = true
                resuming = false
                hasher = MD5()
                received = 0
                onEvent?(.restarting(file: file.name, reason: "the server cannot resume downloads; starting over"))
            }
        case 416 where resuming:
            startOver = "the server cannot send the rest of the partial download (HTTP 416); starting over"
            return completionHandler(.cancel)
        default:
            failure = DataError(file: url.absoluteString, "HTTP status \(status) (\(name.lowercased()))")
            return completionHandler(.cancel)
        }

        let remaining = http.expectedContentLength
        if remaining >= 0 && received + remaining != file.size {
            if resuming {
                startOver = "the server's file is \(received + remaining) bytes, expected \(file.size); starting over"
            } else {
                try? LocalFile.remove(partPath)
                failure = DataError(file: file.name, "size mismatch (expected \(file.size) bytes, the server has \(received + remaining))")
            }
            return completionHandler(.cancel)
        }
        do {
            part = try LocalFile.Writer(path: partPath, truncate: !resuming)
        } catch {
            failure = error
            return completionHandler(.cancel)
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, startOver == nil, let part else { return }
        if received + Int64(data.count) > file.size {
            try? part.close()
            self.part = nil
            try? LocalFile.remove(partPath)
            failure = DataError(file: file.name, "size mismatch (expected \(file.size) bytes, the server sent more); the download was deleted")
            return dataTask.cancel()
        }
        do {
            try part.append(data)
        } catch {
            failure = error
            return dataTask.cancel()
        }
        data.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        received += Int64(data.count)
        transferred += Int64(data.count)
        onEvent?(.progress(file: file.name, received: received, size: file.size))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, failure == nil, startOver == nil {
            let kept = received > 0 ? " (the \(received) bytes received are kept in \((partPath as NSString).lastPathComponent); run again to resume)" : ""
            failure = DataError(file: url.absoluteString, "network error: \(error.localizedDescription)\(kept)")
        }
        done.signal()
    }
}

// MARK: - Files

/// Small file-system helpers with errors that name the file.
enum LocalFile {
    /// The size of a regular file, or nil when there is none.
    static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Removes a file if it exists.
    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw DataError(file: path, "cannot delete: \(systemErrorMessage())")
        }
    }

    /// Calls `body` with successive chunks of the file (its first `limit` bytes when given).
    static func forEachChunk(of path: String, limit: Int64? = nil, chunkSize: Int = 1 << 20,
                             _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DataError(file: path, "cannot open: \(systemErrorMessage())") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var left = limit ?? Int64.max
        while left > 0 {
            let n = read(fd, buffer.baseAddress!, Int(min(Int64(chunkSize), left)))
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(file: path, "cannot read: \(systemErrorMessage())")
            }
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            left -= Int64(n)
        }
    }

    /// Flushes `source` to disk and renames it to `destination` (replacing it in one step), then
    /// flushes the directory entry.
    static func moveIntoPlace(_ source: String, _ destination: String) throws {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
        guard rename(source, destination) == 0 else {
            throw DataError(file: destination, "cannot rename \((source as NSString).lastPathComponent) to it: \(systemErrorMessage())")
        }
        let directoryFD = open((destination as NSString).deletingLastPathComponent.isEmpty
                               ? "." : (destination as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Appends to a file.
    final class Writer {
        let path: String
        private var fd: Int32

        /// Opens (creating) `path` for appending, emptying it first when `truncate`.
        init(path: String, truncate: Bool) throws {
            self.path = path
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o666)
            guard fd >= 0 else { throw DataError(file: path, "cannot open for writing: \(systemErrorMessage())") }
        }

        deinit { if fd >= 0 { _ = systemClose(fd) } }

        func append(_ data: Data) throws {
            try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                var written = 0
                while written < bytes.count {
                    let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw DataError(file: path, "cannot write: \(systemErrorMessage())")
                    }
                    written += n
                }
            }
        }

        func flushAndClose() throws {
            guard fd >= 0 else { return }
            guard fsync(fd) == 0 else { throw DataError(file: path, "cannot flush to disk: \(systemErrorMessage())") }
            try close()
        }

        func close() throws {
            guard fd >= 0 else { return }
            let result = systemClose(fd)
            fd = -1
            guard result == 0 else { throw DataError(file: path, "cannot close: \(systemErrorMessage())") }
        }
    }
}

private func systemClose(_ fd: Int32) -> Int32 { close(fd) }

/// The message for the current `errno`.
private func systemErrorMessage() -> String {
    String(cString: strerror(errno))
}
