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
func systemErrorMessage() -> String {
    String(cString: strerror(errno))
}
