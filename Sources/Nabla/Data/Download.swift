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
        let hasher = MD5()
        try LocalFile.forEachChunk(of: path) { hasher.update(bufferPointer: $0) }
        return hex(hasher.finalize())
    }
}

/// Lowercase hexadecimal digits of a digest.
func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { String(format: "%02x", $0) }.joined()
}
