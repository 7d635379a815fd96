import Foundation
import Nabla

/// What `nabla train` checks and does to its run folder, after every option, the data and the model
/// have been checked and before anything is written: a folder holding a run is never replaced
/// unless asked (`--force` keeps it under another name), and a path that cannot be a folder is a
/// one-line error.
enum RunFolderSafety {
    /// Makes `folder` ready for a new run: refuses a file, a run (without `force`) or a folder that
    /// cannot be made; with `force`, renames an old run to `folder.old-<time>`.
    /// - Returns: the name the old run was kept under, if any.
    static func prepareNewRun(_ folder: String, force: Bool) throws -> String? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        var kept: String? = nil
        if fm.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CommandError("--out \(folder): a file, not a folder") }
            if fm.fileExists(atPath: RunFolder.configPath(folder)) {
                guard force else {
                    throw CommandError("--out \(folder) holds a run already: continue it with --resume \(folder), or add --force to keep it as \(folder).old-TIME and start anew")
                }
                let formatter = DateFormatter()
                formatter.dateFormat = "yyyyMMdd-HHmmss"
                var name = "\(folder).old-\(formatter.string(from: Date()))"
                var n = 2
                while fm.fileExists(atPath: name) { name = "\(folder).old-\(formatter.string(from: Date()))-\(n)"; n += 1 }
                guard rename(folder, name) == 0 else { throw CommandError("--out \(folder): cannot keep the old run as \(name) (\(reason(errno)))") }
                kept = name
            }
        }
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            // A missing parent: make the whole path, as `mkdir -p` would.
            do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw CommandError("--out \(folder): cannot create the folder (\(reason(errno == 0 ? EACCES : errno)))")
            }
        }
        guard access(folder, W_OK) == 0 else { throw CommandError("--out \(folder): cannot write there (\(reason(errno)))") }
        return kept
    }

    /// Checks that `folder` can be resumed: a run folder that reached its first checkpoint, and a
    /// checkpoint that is whole (its checksum matches), before anything in the folder changes.
    static func checkResumable(_ folder: String) throws {
        let path = folder + "/checkpoint.safetensors"
        let again = "start it again with nabla train --out \(folder) --force and the same options (see \(RunFolder.configPath(folder)))"
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandError("\(folder) has no checkpoint (it was stopped before its first one was written), so it cannot resume: " + again)
        }
        do {
            _ = try Safetensors.read(path)
        } catch SerializationError.checksumMismatch {
            let previous = folder + "/checkpoint.previous.safetensors"
            if let (_, metadata) = try? Safetensors.read(previous), let epoch = metadata["epoch"], let step = metadata["step"] {
                throw CommandError("\(path): checksum mismatch: the file is damaged; the checkpoint before it (epoch \(epoch), step \(step)) is whole: "
                                   + "resume from it with mv \(previous) \(path) && nabla train --resume \(folder)")
            }
            throw CommandError("\(path): checksum mismatch: the file is damaged, so the run cannot resume from it: \(again); "
                               + "--force keeps the damaged run as \(folder).old-TIME")
        }
    }

    /// The C library's words for an error number ("Read-only file system").
    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
