import Foundation

/// `Benchmarks/reference.py --serve` running beside the benchmark: NumPy implementations of the
/// training workloads, timed on request so that its samples can alternate with Nabla's.
///
/// The subprocess gets this process's environment without `OPENBLAS_CORETYPE` and
/// `OPENBLAS_L2_SIZE`, so that NumPy's own OpenBLAS picks its kernels for this CPU by itself
/// rather than following settings meant for Nabla's.
final class NumPyReference {
    /// NumPy's version and the BLAS it runs on, as the script reports them.
    private(set) var description = ""
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffered = Data()

    /// Starts the script; nil (with the reason in `failure`) when Python, NumPy or the script is missing.
    init?(failure: inout String) {
        guard let script = NumPyReference.scriptPath() else {
            failure = "Benchmarks/reference.py not found"
            return nil
        }
        // Writing to the script after it has exited must fail with an error, not kill us.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--serve"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["OPENBLAS_L2_SIZE"] = nil
        process.environment = environment
        let toChild = Pipe(), fromChild = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        do { try process.run() } catch {
            failure = "could not start python3: \(error)"
            return nil
        }
        self.process = process
        self.input = toChild.fileHandleForWriting
        self.output = fromChild.fileHandleForReading
        let info = readLine().flatMap(NumPyReference.object)
        guard let numpy = info?["numpy"] as? String else {
            failure = (info?["error"] as? String) ?? "python3 \(script) did not start"
            stop()
            return nil
        }
        description = "NumPy \(numpy), \(info?["blas"] as? String ?? "BLAS unknown")"
    }

    /// Runs `workload` `calls` times in the subprocess; the seconds per call it measured there.
    func secondsPerCall(_ workload: String, calls: Int) -> Double {
        guard (try? input.write(contentsOf: "\(workload) \(calls)\n".data(using: .utf8)!)) != nil,
              let line = readLine(), let reply = NumPyReference.object(line) else {
            fatalError("reference.py stopped answering")
        }
        guard let seconds = reply["seconds"] as? Double else {
            fatalError("reference.py: \(reply["error"] as? String ?? line)")
        }
        return seconds
    }

    func stop() {
        try? input.write(contentsOf: "quit\n".data(using: .utf8)!)
        try? input.close()
        process.waitUntilExit()
    }

    private func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                buffered = Data(buffered[(newline + 1)...])
                return line
            }
            let chunk = output.availableData
            if chunk.isEmpty { return nil }   // end of file: the script exited
            buffered.append(chunk)
        }
    }

    private static func object(_ line: String) -> [String: Any]? {
        guard let data = line.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// `reference.py` next to this source's folder (where the build was made), else under the
    /// current directory.
    private static func scriptPath() -> String? {
        let besideSources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("reference.py").path
        return [besideSources, "Benchmarks/reference.py"].first { FileManager.default.fileExists(atPath: $0) }
    }
}
