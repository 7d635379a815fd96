import ArgumentParser
import Foundation
import Nabla
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `nabla data download mnist|cifar10 --to DIR`: fetches a data set's official files, checks their
/// sizes and MD5 checksums, and unpacks them where `--data DIR` finds them.
struct DataDownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download MNIST, Fashion-MNIST or CIFAR-10, checking sizes and MD5 checksums.",
        discussion: """
        mnist: the four gzip-compressed IDX files (11.6 MB), kept compressed; \
        from \(DataSources.mnist.baseURL)
        fashion-mnist: the four gzip-compressed IDX files (30.9 MB), kept compressed; from \
        \(DataSources.fashionMNIST.baseURL) (Debian's dataset-fashion-mnist package has them too: \
        without --to, a copy it installed is used instead)
        cifar10: the binary version (170 MB), unpacked into DIR/cifar-10-batches-bin/; \
        from \(DataSources.cifar10.baseURL)

        Files already in place and valid are not fetched again. An interrupted download is kept \
        as FILE.part and resumed by the next run. A file whose size or MD5 checksum is wrong is \
        deleted and reported. Afterwards: nabla train --data NAME (found in data/NAME) or --data DIR.

        --mirror URL (or the environment variable \(DataSources.mirrorEnvironmentVariable)) fetches \
        every file from URL/FILE instead of the official address.
        """
    )

    @Argument(help: ArgumentHelp("The data set: \(DataSources.all.map(\.name).joined(separator: " or ")).", valueName: "dataset"))
    var dataset: String

    @Option(name: .customLong("to"), help: ArgumentHelp("The folder to put it in (default: data/NAME).", valueName: "dir"))
    var directory: String?

    @Option(help: ArgumentHelp("A base URL to fetch the files from instead of the official one.", valueName: "url"))
    var mirror: String?

    func validate() throws {
        guard DataSources.named(dataset) != nil else {
            throw ValidationError("unknown data set '\(dataset)'; valid ones: \(DataSources.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        let source = DataSources.named(dataset)!
        if directory == nil, let known = Datasets.known(source.name), let folder = known.locate() {
            print("\(source.title) is already in \(folder); use it with --data \(source.name)")
            return
        }
        let folder = directory ?? "data/\(source.name)"
        let printer = DownloadProgressPrinter(inPlace: isatty(STDOUT_FILENO) == 1)
        let downloader = Downloader(mirror: mirror, onEvent: { printer.handle($0) })
        do {
            let base = try downloader.baseURL(for: source)
            printer.line("Downloading \(source.title) into \(folder) from \(base)")
            let report = try downloader.download(source, to: folder)
            let fetched = report.transferred == 0 ? "nothing to download" : "\(grouped(report.transferred)) bytes downloaded"
            let name = directory == nil ? source.name : folder
            printer.line("\(source.title) is ready in \(folder) (\(fetched)); use it with --data \(name)")
        } catch let error as DataError {
            printer.clear()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// Prints download events: a line per file with bytes and a percentage, updated in place on a
/// terminal, and written once, when done, otherwise.
final class DownloadProgressPrinter: @unchecked Sendable {
    private let inPlace: Bool
    private let lock = NSLock()
    private var showing = false        // a progress line is on screen, without its newline
    private var lastPercent = -1
    private var resumedAt: Int64 = 0

    init(inPlace: Bool) {
        self.inPlace = inPlace
    }

    func handle(_ event: DownloadEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .alreadyPresent(let file):
            printLine("\(file): already present, MD5 ok")
        case .alreadyUnpacked(let file):
            printLine("\(file): already unpacked")
        case .started(let file, _, let offset, let size):
            resumedAt = offset
            lastPercent = -1
            if offset > 0 { printLine("\(file): resuming at \(grouped(offset)) bytes") }
            update(file, offset, size)
        case .progress(let file, let received, let size):
            update(file, received, size)
        case .finished(let file, let size, let transferred):
            let note = transferred < size ? " (\(grouped(transferred)) bytes transferred this time)" : ""
            printLine("\(file): \(grouped(size)) / \(grouped(size)) bytes (100%), MD5 ok\(note)")
        case .restarting(let file, let reason):
            printLine("\(file): \(reason)")
        case .unpacking(let file):
            if inPlace {
                write("\r\u{1B}[K\(file): unpacking...")
                showing = true
            }
        case .unpacked(let file, let count):
            printLine("\(file): unpacked \(count) files")
        }
    }

    /// A line of its own, after any progress line.
    func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        printLine(text)
    }

    /// Removes a progress line from the screen.
    func clear() {
        lock.lock()
        defer { lock.unlock() }
        if showing { write("\r\u{1B}[K") }
        showing = false
    }

    private func update(_ file: String, _ received: Int64, _ size: Int64) {
        guard inPlace else { return }
        let percent = size > 0 ? Int(received * 100 / size) : 100
        guard percent != lastPercent else { return }
        lastPercent = percent
        write("\r\u{1B}[K\(file): \(grouped(received)) / \(grouped(size)) bytes (\(percent)%)")
        showing = true
    }

    private func printLine(_ text: String) {
        write((showing ? "\r\u{1B}[K" : "") + text + "\n")
        showing = false
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// 9912422 → "9,912,422".
private func grouped(_ value: Int64) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (i, digit) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { result.append(",") }
        result.append(digit)
    }
    return (value < 0 ? "-" : "") + result
}
