import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader, or the file system after a crash, sees either the old file or
/// the complete new one, never a half-written one.
///
/// How: the bytes go to a hidden temporary file in the target's directory
/// (`.<name>.tmp-<random>`), which is flushed to disk (`fsync`) and then renamed over the target;
/// `rename` within one file system replaces the target in one step. The directory is flushed too,
/// so that the rename itself survives a crash. A replaced file keeps its permissions; a new one
/// gets the usual ones (0666 less the umask). The temporary file is removed if anything fails.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically, creating missing parent directories.
    ///
    /// - Throws: `SerializationError.fileSystem`, naming the path and the system's reason.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes `data` to `path` atomically, creating missing parent directories.
    public static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try write($0, to: path) }
    }

    static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        func failure(_ reason: String) -> SerializationError { .fileSystem(path: path, reason: reason) }
        guard !path.isEmpty, !path.hasSuffix("/") else { throw failure("cannot write: not a file path") }

        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw failure("cannot create directory '\(directory)': \(error.localizedDescription)")
        }

        // A fresh name; O_EXCL makes sure that it is really ours.
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<16 where fd < 0 {
            temporary = directory + "/." + url.lastPathComponent + ".tmp-"
                + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd < 0 && errno != EEXIST { break }
        }
        guard fd >= 0 else { throw failure("cannot create a temporary file in '\(directory)': \(systemError())") }

        var succeeded = false
        defer {
            if fd >= 0 { close(fd) }
            if !succeeded { unlink(temporary) }
        }
        var existing = stat()
        if stat(path, &existing) == 0 { fchmod(fd, existing.st_mode & 0o7777) }

        var written = 0
        while written < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write '\(temporary)': \(systemError())")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw failure("cannot flush '\(temporary)' to disk: \(systemError())") }
        let closed = close(fd)
        fd = -1
        guard closed == 0 else { throw failure("cannot close '\(temporary)': \(systemError())") }
        guard rename(temporary, path) == 0 else {
            throw failure("cannot rename the temporary file '\(temporary)' to it: \(systemError())")
        }
        succeeded = true

        // Flush the directory entry; some file systems cannot, and the data is safe regardless.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }
}

/// Reading a whole file, with errors that name it.
enum FileBytes {
    static func read(_ path: String) throws -> [UInt8] {
        func failure(_ reason: String) -> SerializationError { .fileSystem(path: path, reason: reason) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open: \(systemError())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("cannot read: \(systemError())") }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw failure("cannot read: it is a directory") }

        let size = max(Int(info.st_size), 0)
        return try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            // Stops early at end of file, should the file have shrunk since `fstat`.
            while initialized < size {
                let n = systemRead(fd, buffer.baseAddress! + initialized, size - initialized)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("cannot read: \(systemError())")
                }
                if n == 0 { break }
                initialized += n
            }
        }
    }
}

// Top-level names for the system calls, which the static `read` and `write` above would shadow.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// The message for the current `errno`.
private func systemError() -> String {
    String(cString: strerror(errno))
}
