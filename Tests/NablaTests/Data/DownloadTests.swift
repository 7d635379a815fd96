import Foundation
import Testing
@testable import Nabla

/// `Downloader` against a small HTTP server on 127.0.0.1 (a Python script the tests write), serving
/// tiny generated MNIST and CIFAR-10 files described by a test catalog. Nothing leaves the machine.
@Suite(.serialized) struct DownloadTests {
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
