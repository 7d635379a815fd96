import Foundation
import Testing

/// `nabla grad` run as a subprocess: what a user sees on stdout and stderr, and the exit code.
@Suite struct GradCommandTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The built `nabla` executable. `swift test` builds every product into the folder that holds
    /// the test bundle (`.build/<config>/`, or the `--scratch-path` equivalent), so look there
    /// first; fall back to the package's own `.build` folder.
    static func nablaExecutable() -> URL? {
        let fm = FileManager.default
        var folders: [URL] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0],
                        relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath, isDirectory: true))
        // The test binary sits directly in the products folder, or inside a bundle there.
        for url in [argv0, Bundle.main.bundleURL, Bundle.main.executableURL].compactMap({ $0 }) {
            var folder = url.standardizedFileURL.deletingLastPathComponent()
            for _ in 0..<4 {
                folders.append(folder)
                folder = folder.deletingLastPathComponent()
            }
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        folders += ["debug", "release"].map { packageRoot.appendingPathComponent(".build/\($0)") }
        return folders.lazy.map { $0.appendingPathComponent("nabla") }.first { url in
            var isFolder: ObjCBool = false
            return fm.fileExists(atPath: url.path, isDirectory: &isFolder) && !isFolder.boolValue
                && fm.isExecutableFile(atPath: url.path)
        }
    }

    /// Runs the built `nabla` with `arguments` and collects its output and exit code; the CLI
    /// tests of every subcommand use it.
    static func run(_ arguments: [String]) throws -> Run {
        let executable = try #require(Self.nablaExecutable(), "the nabla executable was not found next to the tests")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting, so that a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    func nabla(_ arguments: String...) throws -> Run { try Self.run(arguments) }

    @Test func printsValueAndPartials() throws {
        let run = try nabla("grad", "(x + y) * z", "--at", "x=-2,y=5,z=-4")
        #expect(run.status == 0)
        #expect(run.stdout == "f = -12\ndf/dx = -4\ndf/dy = -4\ndf/dz = 3\n")
        #expect(run.stderr.isEmpty)
    }

    @Test func printsIntermediatesOfAMultiStepGraph() throws {
        let run = try nabla("grad", "c = a + b; d = b + 1; e = c * d", "--at", "a=2,b=1")
        #expect(run.status == 0)
        #expect(run.stdout == "c = 3\nd = 2\ne = 6\nde/da = 2\nde/db = 5\nde/dc = 2\nde/dd = 3\n")
    }

    @Test func printsShortestRoundTripNumbers() throws {
        let run = try nabla("grad", "1 + exp(w1 * x + w0)", "--at", "x=1,w1=2,w0=1")
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("f = 21.085536923187668\n"))
    }

    @Test func malformedExpressionIsOneLineError() throws {
        let run = try nabla("grad", "(x + y))", "--at", "x=1,y=2")
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "error: unexpected ')' at column 8 in \"(x + y))\"\n")
    }

    @Test func malformedValueIsOneLineError() throws {
        let run = try nabla("grad", "x * 2", "--at", "x=abc")
        #expect(run.status != 0)
        #expect(run.stderr == "error: expected a number for 'x' but found 'abc' at column 3 in \"x=abc\"\n")
    }

    @Test func aFormulaStartingWithMinusIsTheFormulaNotAnOption() throws {
        for arguments in [["grad", "-x^2", "--at", "x=3"], ["grad", "--at", "x=3", "-x^2"], ["grad", "--at", "x=3", "--", "-x^2"]] {
            let run = try Self.run(arguments)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            #expect(run.stdout == "f = -9\ndf/dx = -6\n", "\(arguments)")
        }
        let missing = try nabla("grad", "--at", "x=3")
        #expect(missing.status != 0 && missing.stderr.contains("Missing expected argument '<expression>'"))
    }
}
