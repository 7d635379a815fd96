import Foundation

/// Fetching one file of a download: keep a file already in place when its size and MD5 match,
/// resume a `.part` left by an earlier run, verify the MD5 of what arrived, and move it into place.
extension Downloader {
    func fetch(_ file: RemoteFile, from urlString: String, to path: String) throws -> DownloadReport.File {
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
}
