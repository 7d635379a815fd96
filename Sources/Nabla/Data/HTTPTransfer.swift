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

/// One HTTP GET streamed into a `.part` file, with the MD5 computed on the way.
final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
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
