import Foundation
import Testing
@testable import Nabla

/// `Downloader` against a small HTTP server on 127.0.0.1 (a Python script the tests write), serving
/// tiny generated MNIST and CIFAR-10 files described by a test catalog. Nothing leaves the machine.
@Suite(.serialized) struct DownloadTests {
    // MARK: - Helpers

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

    // MARK: - Tests

    @Test func fullDownloadLoadsAsMNIST() throws {
        try withServer(prepare: { try Self.makeMNIST(in: $0.served) }) { sandbox, server in
            let events = EventLog()
            let report = try Self.downloader(server, events: events).download(try Self.mnistSource(sandbox), to: sandbox.out)
            #expect(report.files.map(\.outcome) == Array(repeating: .downloaded, count: 4))
            #expect(report.baseURL == server.url)
            for name in Self.mnistNames {
                #expect(try sandbox.bytes(sandbox.out + "/" + name) == sandbox.bytes(sandbox.served + "/" + name))
                #expect(!sandbox.exists(sandbox.out + "/" + name + ".part"))
            }
            #expect(report.transferred == Self.mnistNames.reduce(0) { $0 + LocalFile.size(sandbox.served + "/" + $1)! })
            #expect(server.requests.map(\.range) == ["-", "-", "-", "-"])
            let (train, test) = try IDX.load(directory: sandbox.out)
            #expect(train.features.shape == [60, 1, 28, 28])
            #expect(test?.features.shape == [20, 1, 28, 28])
            #expect(train.features.floats == Self.noisyPixels(60 * 784, seed: 1))
            #expect(events.events.contains(.finished(file: Self.mnistNames[0], size: LocalFile.size(sandbox.served + "/" + Self.mnistNames[0])!,
                                                     transferred: LocalFile.size(sandbox.served + "/" + Self.mnistNames[0])!)))
            #expect(events.events.contains { if case .progress = $0 { return true } else { return false } })
        }
    }

    @Test func resumesAPartialDownloadWithARangeRequest() throws {
        try withServer(prepare: { try Self.makeMNIST(in: $0.served) }) { sandbox, server in
            let name = Self.mnistNames[0]
            let whole = try sandbox.bytes(sandbox.served + "/" + name)
            let half = whole.count / 2
            try FileManager.default.createDirectory(atPath: sandbox.out, withIntermediateDirectories: true)
            try sandbox.write(Array(whole[..<half]), sandbox.out + "/" + name + ".part")

            let source = Self.source([try Self.entry(name, in: sandbox.served)])
            let report = try Self.downloader(server).download(source, to: sandbox.out)
            #expect(report.files[0].outcome == .resumed(offset: Int64(half)))
            #expect(report.files[0].transferred == Int64(whole.count - half))
            #expect(server.requests.map(\.range) == ["bytes=\(half)-"])
            #expect(try sandbox.bytes(sandbox.out + "/" + name) == whole)
            #expect(!sandbox.exists(sandbox.out + "/" + name + ".part"))
        }
    }

    @Test func aCompletePartialFileIsOnlyVerifiedAndRenamed() throws {
        try withServer(prepare: { try Self.makeMNIST(in: $0.served) }) { sandbox, server in
            let name = Self.mnistNames[2]
            let whole = try sandbox.bytes(sandbox.served + "/" + name)
            try FileManager.default.createDirectory(atPath: sandbox.out, withIntermediateDirectories: true)
            try sandbox.write(whole, sandbox.out + "/" + name + ".part")
            let report = try Self.downloader(server).download(Self.source([try Self.entry(name, in: sandbox.served)]), to: sandbox.out)
            #expect(report.files[0].outcome == .resumed(offset: Int64(whole.count)))
            #expect(report.transferred == 0)
            #expect(server.requests.isEmpty)
            #expect(try sandbox.bytes(sandbox.out + "/" + name) == whole)
            #expect(!sandbox.exists(sandbox.out + "/" + name + ".part"))
        }
    }

    @Test func startsOverWhenTheServerIgnoresRange() throws {
        try withServer(ignoreRange: true, prepare: { try Self.makeMNIST(in: $0.served) }) { sandbox, server in
            let name = Self.mnistNames[0]
            let whole = try sandbox.bytes(sandbox.served + "/" + name)
            try FileManager.default.createDirectory(atPath: sandbox.out, withIntermediateDirectories: true)
            // Wrong bytes in the partial file: they must not survive the fresh start.
            try sandbox.write([UInt8](repeating: 0xAB, count: 1000), sandbox.out + "/" + name + ".part")

            let events = EventLog()
            let report = try Self.downloader(server, events: events).download(Self.source([try Self.entry(name, in: sandbox.served)]), to: sandbox.out)
            #expect(report.files[0].outcome == .downloaded)
            #expect(report.files[0].transferred == Int64(whole.count))
            #expect(server.requests.map(\.range) == ["bytes=1000-"])
            #expect(try sandbox.bytes(sandbox.out + "/" + name) == whole)
            #expect(events.events.contains(.restarting(file: name, reason: "the server cannot resume downloads; starting over")))
        }
    }

    @Test func aBadPartialFileIsFetchedAgainWhole() throws {
        try withServer(prepare: { try Self.makeMNIST(in: $0.served) }) { sandbox, server in
            let name = Self.mnistNames[0]
            let whole = try sandbox.bytes(sandbox.served + "/" + name)
            try FileManager.default.createDirectory(atPath: sandbox.out, withIntermediateDirectories: true)
            try sandbox.write([UInt8](repeating: 0, count: 100), sandbox.out + "/" + name + ".part")

            let report = try Self.downloader(server).download(Self.source([try Self.entry(name, in: sandbox.served)]), to: sandbox.out)
            #expect(report.files[0].outcome == .downloaded)
            #expect(server.requests.map(\.range) == ["bytes=100-", "-"])
            #expect(try sandbox.bytes(sandbox.out + "/" + name) == whole)
        }
    }

    @Test func aCorruptedFileIsRejectedAndDeleted() throws {
        try withServer(prepare: { try Self.makeMNIST(in: $0.served) }) { sandbox, server in
            let name = Self.mnistNames[1]
            let entry = try Self.entry(name, in: sandbox.served)
            var bytes = try sandbox.bytes(sandbox.served + "/" + name)
            bytes[bytes.count / 2] ^= 0xFF                       // same size, one wrong byte
            try sandbox.write(bytes, sandbox.served + "/" + name)
            let actual = try Downloader.md5(ofFile: sandbox.served + "/" + name)

            let error = message { try Self.downloader(server).download(Self.source([entry]), to: sandbox.out) }
            #expect(error.hasPrefix("\(name): MD5 mismatch (expected \(entry.md5), got \(actual))"))
            #expect(!sandbox.exists(sandbox.out + "/" + name))
            #expect(!sandbox.exists(sandbox.out + "/" + name + ".part"))
        }
    }

    @Test func aFileOfTheWrongSizeIsRejected() throws {
        try withServer(prepare: { try Self.makeMNIST(in: $0.served) }) { sandbox, server in
            let name = Self.mnistNames[1]
            var entry = try Self.entry(name, in: sandbox.served)
            entry.size += 10
            let error = message { try Self.downloader(server).download(Self.source([entry]), to: sandbox.out) }
            #expect(error.hasPrefix("\(name): size mismatch (expected \(entry.size) bytes"))
            #expect(!sandbox.exists(sandbox.out + "/" + name))
            #expect(!sandbox.exists(sandbox.out + "/" + name + ".part"))
        }
    }

    @Test func aCompleteFileIsNotDownloadedAgain() throws {
        try withServer(prepare: { try Self.makeMNIST(in: $0.served) }) { sandbox, server in
            let source = try Self.mnistSource(sandbox)
            try Self.downloader(server).download(source, to: sandbox.out)
            #expect(server.requests.count == 4)

            let report = try Self.downloader(server).download(source, to: sandbox.out)
            #expect(report.files.map(\.outcome) == Array(repeating: .alreadyPresent, count: 4))
            #expect(report.transferred == 0)
            #expect(server.requests.count == 4)

            // A damaged file in place is replaced.
            try sandbox.write([1, 2, 3], sandbox.out + "/" + Self.mnistNames[3])
            let again = try Self.downloader(server).download(source, to: sandbox.out)
            #expect(again.files.map(\.outcome) == [.alreadyPresent, .alreadyPresent, .alreadyPresent, .downloaded])
            #expect(server.requests.count == 5)
            #expect(try IDX.load(directory: sandbox.out).test?.labels.count == 20)
        }
    }

    @Test func unpacksTheCIFARArchiveWhereTheLoaderFindsIt() throws {
        let archive = "cifar-10-binary.tar.gz"
        var entry: RemoteFile?
        try withServer(prepare: { sandbox in
            let staging = sandbox.root + "/staging/cifar-10-batches-bin"
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            try CIFAR10.write(images: Tensor(Self.noisyPixels(3 * 3072, seed: 3), shape: [3, 3, 32, 32]), labels: [1, 2, 3],
                              to: staging + "/data_batch_1.bin")
            try CIFAR10.write(images: Tensor(Self.noisyPixels(2 * 3072, seed: 4), shape: [2, 3, 32, 32]), labels: [9, 0],
                              to: staging + "/test_batch.bin")
            try "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"
                .write(toFile: staging + "/batches.meta.txt", atomically: true, encoding: .utf8)
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: Downloader.findExecutable("tar")!)
            tar.arguments = ["-czf", sandbox.served + "/" + archive, "-C", sandbox.root + "/staging", "cifar-10-batches-bin"]
            try tar.run()
            tar.waitUntilExit()
            #expect(tar.terminationStatus == 0)
            entry = try Self.entry(archive, in: sandbox.served, unpacksTo: [
                UnpackedFile("cifar-10-batches-bin/data_batch_1.bin", size: 3 * 3073),
                UnpackedFile("cifar-10-batches-bin/test_batch.bin", size: 2 * 3073),
                UnpackedFile("cifar-10-batches-bin/batches.meta.txt"),
            ])
        }) { sandbox, server in
            let source = Self.source([entry!])
            // A staging folder left by a run killed while unpacking is cleared away.
            try FileManager.default.createDirectory(atPath: sandbox.out + "/.unpack-\(archive)-dead/cifar-10-batches-bin",
                                                    withIntermediateDirectories: true)
            let report = try Self.downloader(server).download(source, to: sandbox.out)
            #expect(report.files[0].outcome == .downloaded)
            #expect(report.files[0].unpacked)
            let (train, test) = try CIFAR10.load(directory: sandbox.out)
            #expect(train.labels == [1, 2, 3])
            #expect(test?.labels == [9, 0])
            #expect(train.classNames.first == "airplane")
            #expect(train.features.floats == Self.noisyPixels(3 * 3072, seed: 3))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: sandbox.out).sorted()
            #expect(leftovers == ["cifar-10-batches-bin", archive])

            // Unpacked files in place: nothing to fetch, even without the archive.
            try FileManager.default.removeItem(atPath: sandbox.out + "/" + archive)
            let again = try Self.downloader(server).download(source, to: sandbox.out)
            #expect(again.files[0].outcome == .alreadyUnpacked)
            #expect(server.requests.count == 1)
        }
    }

    @Test func anArchiveWithoutTheExpectedFilesIsAnError() throws {
        try withServer(prepare: { sandbox in
            try FileManager.default.createDirectory(atPath: sandbox.root + "/staging", withIntermediateDirectories: true)
            try "hello".write(toFile: sandbox.root + "/staging/other.txt", atomically: true, encoding: .utf8)
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: Downloader.findExecutable("tar")!)
            tar.arguments = ["-czf", sandbox.served + "/data.tar.gz", "-C", sandbox.root + "/staging", "other.txt"]
            try tar.run()
            tar.waitUntilExit()
        }) { sandbox, server in
            let entry = try Self.entry("data.tar.gz", in: sandbox.served, unpacksTo: [UnpackedFile("folder/data.bin")])
            let error = message { try Self.downloader(server).download(Self.source([entry]), to: sandbox.out) }
            #expect(error == "\(sandbox.out)/data.tar.gz: the archive does not hold folder/data.bin")
            #expect(!sandbox.exists(sandbox.out + "/other.txt"))
            // Only the verified archive is left; no staging folder.
            #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.out) == ["data.tar.gz"])
        }
    }

    @Test func notFoundNamesTheURLAndStatus() throws {
        try withServer { sandbox, server in
            let entry = RemoteFile(name: "missing.gz", size: 10, md5: String(repeating: "0", count: 32))
            let error = message { try Self.downloader(server).download(Self.source([entry]), to: sandbox.out) }
            #expect(error == "\(server.url)missing.gz: HTTP status 404 (not found)")
            let left = try FileManager.default.contentsOfDirectory(atPath: sandbox.out)
            #expect(left.isEmpty)
        }
    }

    @Test func aNetworkFailureNamesTheURL() throws {
        let sandbox = try Sandbox()
        let server = try Server(sandbox: sandbox)
        server.stop()                                           // nothing listens on its port now
        let entry = RemoteFile(name: "file.gz", size: 10, md5: String(repeating: "0", count: 32))
        let error = message { try Self.downloader(server).download(Self.source([entry]), to: sandbox.out) }
        #expect(error.hasPrefix("\(server.url)file.gz: network error: "))
    }

    @Test func theMirrorComesFromTheOptionThenTheEnvironment() throws {
        let source = DataSources.mnist
        #expect(try Downloader(environment: [:]).baseURL(for: source) == "https://ossci-datasets.s3.amazonaws.com/mnist/")
        #expect(try Downloader(environment: ["NABLA_DATA_MIRROR": ""]).baseURL(for: source) == source.baseURL)
        #expect(try Downloader(environment: ["NABLA_DATA_MIRROR": "http://example.org/m"]).baseURL(for: source) == "http://example.org/m/")
        #expect(try Downloader(mirror: "https://a.example/x/", environment: ["NABLA_DATA_MIRROR": "http://b.example/"])
            .baseURL(for: source) == "https://a.example/x/")
        #expect(message { try Downloader(mirror: "ftp://a.example/", environment: [:]).baseURL(for: source) }
            == "ftp://a.example/: the mirror is not an http:// or https:// URL")
        #expect(message { try Downloader(environment: ["NABLA_DATA_MIRROR": "mirror"]).baseURL(for: source) }
            == "mirror: NABLA_DATA_MIRROR is not an http:// or https:// URL")
    }

    @Test func theCatalog() {
        #expect(DataSources.named("mnist") == DataSources.mnist)
        #expect(DataSources.named("CIFAR-10") == DataSources.cifar10)
        #expect(DataSources.named("imagenet") == nil)
        for source in DataSources.all {
            for file in source.files {
                #expect(file.md5.count == 32 && file.md5.allSatisfy(\.isHexDigit), "\(file.name)")
                #expect(file.size > 0)
            }
        }
        #expect(DataSources.mnist.files.map(\.name) == Self.mnistNames)
        #expect(DataSources.cifar10.files[0].unpacksTo.map(\.path).contains("cifar-10-batches-bin/data_batch_5.bin"))
    }

    @Test func md5OfAFile() throws {
        let sandbox = try Sandbox()
        try sandbox.write(Array("The quick brown fox jumps over the lazy dog".utf8), sandbox.root + "/fox.txt")
        #expect(try Downloader.md5(ofFile: sandbox.root + "/fox.txt") == "9e107d9d372bb6826bd81d3542a419d6")
        try sandbox.write([], sandbox.root + "/empty")
        #expect(try Downloader.md5(ofFile: sandbox.root + "/empty") == "d41d8cd98f00b204e9800998ecf8427e")
    }
}
