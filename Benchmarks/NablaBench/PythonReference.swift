import Foundation

/// A Python script running beside the benchmark with `--serve`: implementations of the training
/// workloads in another framework, timed on request so that its samples can alternate with Nabla's.
/// `Benchmarks/reference.py` (NumPy, on the `python3` on PATH) and `Benchmarks/torch_reference.py`
/// (PyTorch, on Debian's `/usr/bin/python3`, where `python3-torch` installs it) speak the same protocol.
///
/// The subprocess gets this process's environment without `OPENBLAS_CORETYPE` and
/// `OPENBLAS_L2_SIZE`, so that the peer's own BLAS picks its kernels for this CPU by itself
/// rather than following settings meant for Nabla's.
final class PythonReference {
    /// The peer's version and what it runs on, as the script reports them.
    private(set) var description = ""
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffered = Data()

    /// The NumPy reference (CS231n-style layers written by hand).
    static func numpy(failure: inout String) -> PythonReference? {
        PythonReference(script: "reference.py", interpreter: ["/usr/bin/env", "python3"], failure: &failure) { info in
            guard let numpy = info["numpy"] as? String else { return nil }
            return "NumPy \(numpy), \(info["blas"] as? String ?? "BLAS unknown")"
        }
    }

    /// The PyTorch peer, 2 threads, OpenMP workers sleeping between calls (`OMP_WAIT_POLICY=PASSIVE`).
    static func torch(failure: inout String) -> PythonReference? {
        PythonReference(script: "torch_reference.py", interpreter: ["/usr/bin/python3"],
                        environment: ["OMP_WAIT_POLICY": "PASSIVE"], failure: &failure) { info in
            guard let torch = info["torch"] as? String else { return nil }
            return "PyTorch \(torch), \(info["threads"] ?? "?") threads, oneDNN \((info["mkldnn"] as? Bool ?? false) ? "on" : "off")"
        }
    }

    /// Starts `script` (a file under Benchmarks/) on `interpreter`; nil (with the reason in
    /// `failure`) when Python, the framework or the script is missing. `describe` turns the
    /// script's first line into `description`, or nil when it reports an error instead.
    init?(script name: String, interpreter: [String], environment extra: [String: String] = [:],
          failure: inout String, describe: ([String: Any]) -> String?) {
        guard let script = PythonReference.scriptPath(name) else {
            failure = "Benchmarks/\(name) not found"
            return nil
        }
        // Writing to the script after it has exited must fail with an error, not kill us.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter[0])
        process.arguments = Array(interpreter.dropFirst()) + [script, "--serve"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["OPENBLAS_L2_SIZE"] = nil
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let toChild = Pipe(), fromChild = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        do { try process.run() } catch {
            failure = "could not start \(interpreter.joined(separator: " ")): \(error)"
            return nil
        }
        self.process = process
        self.input = toChild.fileHandleForWriting
        self.output = fromChild.fileHandleForReading
        let info = readLine().flatMap(PythonReference.object)
        guard let info, let text = describe(info) else {
            failure = (info?["error"] as? String) ?? "\(interpreter.last!) \(script) did not start"
            stop()
            return nil
        }
        description = text
    }

    /// Runs `workload` `calls` times in the subprocess; the seconds per call it measured there.
    func secondsPerCall(_ workload: String, calls: Int) -> Double {
        guard (try? input.write(contentsOf: "\(workload) \(calls)\n".data(using: .utf8)!)) != nil,
              let line = readLine(), let reply = PythonReference.object(line) else {
            fatalError("\(process.arguments?.first ?? "reference") stopped answering")
        }
        guard let seconds = reply["seconds"] as? Double else {
            fatalError("\(process.arguments?.first ?? "reference"): \(reply["error"] as? String ?? line)")
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

    /// `name` next to this source's folder (where the build was made), else under the current directory.
    private static func scriptPath(_ name: String) -> String? {
        let besideSources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(name).path
        return [besideSources, "Benchmarks/\(name)"].first { FileManager.default.fileExists(atPath: $0) }
    }
}
