import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock on a folder (a run folder) held while one process writes it, so that a second
/// writer fails at once instead of interleaving its files with the first's.
///
/// How: `flock(LOCK_EX | LOCK_NB)` on `<folder>/.lock`, into which the holder writes its pid for the
/// message a second writer sees. The operating system releases the lock when the holder's file
/// descriptor closes, including when the process dies (`kill -9`), so a lock never goes stale; the
/// `.lock` file itself stays behind and means nothing without a holder. `flock` locks belong to an
/// open file description, so two `FolderLock`s in one process exclude each other as well.
///
///     let lock = try FolderLock(folder: "runs/x")   // throws if another process writes runs/x
///     defer { lock.release() }
public final class FolderLock {
    /// The locked folder.
    public let folder: String
    private var fd: Int32

    /// The name of the lock file inside the folder.
    public static let fileName = ".lock"

    /// Takes the lock on `folder`, creating the folder if missing; never waits.
    ///
    /// - Throws: `SerializationError.fileSystem` naming the folder: when another process (or another
    ///   `FolderLock`) holds it, with the holder's pid; or when the lock file cannot be created.
    public init(folder: String) throws {
        self.folder = folder
        func failure(_ reason: String) -> SerializationError { .fileSystem(path: folder, reason: reason) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw failure("cannot create the folder: \(lockSystemError(of: error))")
        }
        let path = folder + "/" + Self.fileName
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create the lock file '\(path)': \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? nil : String(cString: strerror(errno))
            let holder = Self.holder(ofFileAt: path)
            close(fd)
            fd = -1
            if let reason { throw failure("cannot lock '\(path)': \(reason)") }
            throw failure("another process (\(holder.map { "pid \($0)" } ?? "pid unknown")) is writing this folder; wait for it to finish or stop it")
        }
        // Ours now: record our pid for the message of whoever comes second.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
    }

    /// Whether another process holds `folder`'s lock now, and its pid if known; looks without
    /// taking the lock and without writing anything (an old run folder stays byte for byte).
    public static func heldByAnother(_ folder: String) -> (held: Bool, pid: Int32?) {
        let path = folder + "/" + fileName
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (false, nil) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return (true, holder(ofFileAt: path)) }
        flock(fd, LOCK_UN)
        return (false, nil)
    }

    /// The pid written in a lock file, if any.
    public static func holder(ofFileAt path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Whether this object still holds the lock.
    public var isHeld: Bool { fd >= 0 }

    /// Gives the lock up (also done on deinit). The lock file stays; the next holder overwrites it.
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

extension AtomicFile {
    /// Removes the temporary files (`.<name>.tmp-<hex>`) that an atomic write killed before its
    /// rename left in `directory`, and returns their names. Call it while holding the folder's
    /// `FolderLock`: without the lock, another process's write in progress would look stale.
    ///
    /// - Throws: `SerializationError.fileSystem` when the directory cannot be listed or a file removed.
    @discardableResult
    public static func removeStaleTemporaryFiles(in directory: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw SerializationError.fileSystem(path: directory, reason: "cannot list: \(lockSystemError(of: error))")
        }
        let stale = names.filter(isTemporaryName).sorted()
        for name in stale where unlink(directory + "/" + name) != 0 && errno != ENOENT {
            throw SerializationError.fileSystem(path: directory + "/" + name, reason: "cannot remove: \(String(cString: strerror(errno)))")
        }
        return stale
    }

    /// Whether `name` is one `write(_:to:)` makes: a dot, the target's name, `.tmp-`, hex digits.
    static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards), range.lowerBound > name.index(after: name.startIndex) else {
            return false
        }
        let suffix = name[range.upperBound...]
        return !suffix.isEmpty && suffix.allSatisfy(\.isHexDigit)
    }
}

/// The system's reason inside a Foundation error, without Foundation's domain and code text.
private func lockSystemError(of error: Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
    return nsError.localizedDescription
}
