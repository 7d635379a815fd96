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

/// Unpacking a downloaded archive (CIFAR-10's `.tar.gz`) with the system's `tar`.
extension Downloader {
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
