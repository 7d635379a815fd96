import Foundation
import Testing
@testable import Nabla

/// The helpers of `DownloadTests`: a sandbox folder, the local HTTP server, generated MNIST files,
/// a test catalog and an event log.
extension DownloadTests {
    /// A temporary folder: `served/` (what the server serves), `out/` (where downloads go).
    final class Sandbox {
        let root: String
        var served: String { root + "/served" }
        var out: String { root + "/out" }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-download-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root + "/served", withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        func bytes(_ path: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }
        func write(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
    }

    /// The HTTP server: honours `Range: bytes=N-` (206 with Content-Range) unless `ignoreRange`,
    /// logs each request's path and Range header, and quits when its standard input closes (so it
    /// never outlives the test process) or after 60 seconds.
    final class Server {
        static let script = #"""
        import http.server, os, sys, threading
        root, log, ignore_range = sys.argv[1], sys.argv[2], sys.argv[3] == "ignore-range"

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def do_GET(self):
                requested = self.headers.get("Range")
                with open(log, "a") as f:
                    f.write(f"{self.path} {requested or '-'}\n")
                path = os.path.join(root, self.path.lstrip("/"))
                if not os.path.isfile(path):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with open(path, "rb") as f:
                    data = f.read()
                start = 0
                if requested and not ignore_range and requested.startswith("bytes=") and requested.endswith("-"):
                    start = int(requested[6:-1])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        def quit_when_stdin_closes():
            sys.stdin.read()
            os._exit(0)
        threading.Thread(target=quit_when_stdin_closes, daemon=True).start()
        threading.Timer(60, lambda: os._exit(0)).start()
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

        let process = Process()
        let input = Pipe()
        let logPath: String
        private(set) var port = 0
        var url: String { "http://127.0.0.1:\(port)/" }

        init(sandbox: Sandbox, ignoreRange: Bool = false) throws {
            let scriptPath = sandbox.root + "/server.py"
            logPath = sandbox.root + "/requests-\(UUID().uuidString).log"
            try Server.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            guard let python = Downloader.findExecutable("python3") else {
                throw DataError(file: "python3", "not found; the download tests need it for their local HTTP server")
            }
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [scriptPath, sandbox.served, logPath, ignoreRange ? "ignore-range" : "honour-range"]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            // The first line is the port the server chose.
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                stop()
                throw DataError(file: scriptPath, "the test server did not start")
            }
            self.port = port
        }

        /// Each request: the path and the Range header ("-" when none).
        var requests: [(path: String, range: String)] {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map { line in
                let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
                return (fields[0], fields.count > 1 ? fields[1] : "-")
            }
        }

        func stop() {
            guard process.isRunning else { return }
            try? input.fileHandleForWriting.close()
            process.terminate()
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    /// Runs `body` with a sandbox and a server on it, stopping the server afterwards.
    func withServer(ignoreRange: Bool = false, prepare: (Sandbox) throws -> Void = { _ in },
                    _ body: (Sandbox, Server) throws -> Void) throws {
        let sandbox = try Sandbox()
        try prepare(sandbox)
        let server = try Server(sandbox: sandbox, ignoreRange: ignoreRange)
        defer { server.stop() }
        try body(sandbox, server)
    }

    /// Pixel values that gzip cannot shrink much, so that files span several network reads.
    static func noisyPixels(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 56)
        }
    }

    /// Writes MNIST-style gzip IDX files (train: 60 images, test: 20) into `folder`.
    static func makeMNIST(in folder: String) throws {
        let trainImages = Tensor(noisyPixels(60 * 784, seed: 1), shape: [60, 1, 28, 28])
        let testImages = Tensor(noisyPixels(20 * 784, seed: 2), shape: [20, 1, 28, 28])
        try IDX.write(images: trainImages, labels: (0..<60).map { $0 % 10 },
                      imagesPath: folder + "/train-images-idx3-ubyte.gz", labelsPath: folder + "/train-labels-idx1-ubyte.gz", gzip: true)
        try IDX.write(images: testImages, labels: (0..<20).map { $0 % 10 },
                      imagesPath: folder + "/t10k-images-idx3-ubyte.gz", labelsPath: folder + "/t10k-labels-idx1-ubyte.gz", gzip: true)
    }

    static let mnistNames = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]

    /// A catalog entry whose size and MD5 match the served file.
    static func entry(_ name: String, in folder: String, unpacksTo: [UnpackedFile] = []) throws -> RemoteFile {
        let path = folder + "/" + name
        return RemoteFile(name: name, size: LocalFile.size(path)!, md5: try Downloader.md5(ofFile: path), unpacksTo: unpacksTo)
    }

    static func source(_ files: [RemoteFile]) -> DataSource {
        DataSource(name: "test", title: "Test data", baseURL: "http://127.0.0.1:9/unused/", files: files)
    }

    static func mnistSource(_ sandbox: Sandbox) throws -> DataSource {
        source(try mnistNames.map { try entry($0, in: sandbox.served) })
    }

    /// A downloader for `server`, blind to the real environment's NABLA_DATA_MIRROR.
    static func downloader(_ server: Server, events: EventLog? = nil) -> Downloader {
        Downloader(mirror: server.url, environment: [:], timeout: 10, onEvent: events.map { log in { @Sendable event in log.append(event) } })
    }

    final class EventLog: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [DownloadEvent] = []
        func append(_ event: DownloadEvent) { lock.lock(); stored.append(event); lock.unlock() }
        var events: [DownloadEvent] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }
}
