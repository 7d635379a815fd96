import Foundation
import Testing
@testable import Nabla

/// Files written by Nabla load in Python's `safetensors` package (NumPy flavour), byte for byte as
/// that package would write them, and files it writes load in Nabla.
///
/// Needs `python3` with `safetensors` and `numpy`: `scripts/ensure-python-deps.sh` installs them
/// (and `make test` runs it). Without them these tests fail and say so; they are never skipped.
@Suite struct SafetensorsInteropTests {
    typealias F = SerializationFixtures

    struct PythonResult {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `python3 -c script arguments…`, with stdout and stderr captured through files (pipes
    /// could fill up and block the child).
    static func python(_ script: String, _ arguments: [String] = [], in dir: String) throws -> PythonResult {
        let outPath = dir + "/python.out", errPath = dir + "/python.err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        process.waitUntilExit()
        return PythonResult(status: process.terminationStatus,
                            output: String(decoding: F.contents(outPath), as: UTF8.self),
                            errors: String(decoding: F.contents(errPath), as: UTF8.self))
    }

    /// Whether Python can import the packages; records a failure that says how to fix it if not.
    static func pythonIsReady(in dir: String) throws -> Bool {
        let check = try python("import safetensors, numpy", in: dir)
        if check.status != 0 {
            Issue.record("""
                The safetensors interoperability tests need python3 with the `safetensors` and `numpy` \
                packages. Run scripts/ensure-python-deps.sh (make test does) to install them. \
                python3 said: \(check.errors.split(separator: "\n").last ?? "nothing")
                """)
        }
        return check.status == 0
    }

    struct PythonView: Decodable {
        struct Entry: Decodable {
            var dtype: String
            var shape: [Int]
            /// Each element as Python's `float.hex()`: exact, NaN and infinities included.
            var values: [String]
        }
        var tensors: [String: Entry]
        var metadata: [String: String]?
        /// Python's `hashlib.sha256` of the data section.
        var sha256: String?
    }

    static let loadInPython = """
        import hashlib, json, sys
        from safetensors import safe_open
        from safetensors.numpy import load_file, save_file
        path, resaved = sys.argv[1], sys.argv[2]
        tensors = load_file(path)
        with safe_open(path, framework="np") as f:
            metadata = f.metadata()
        # Without the checksum: with two metadata keys the Rust library's order is its hash map's.
        save_file(tensors, resaved, metadata={k: v for k, v in metadata.items() if k != "nabla.data_sha256"})
        raw = open(path, "rb").read()
        data = raw[8 + int.from_bytes(raw[:8], "little"):]
        print(json.dumps({"metadata": metadata, "sha256": hashlib.sha256(data).hexdigest(), "tensors": {
            name: {"dtype": str(a.dtype), "shape": list(a.shape),
                   "values": [float(x).hex() for x in a.reshape(-1).tolist()]}
            for name, a in tensors.items()}}))
        """

    @Test func nablaFilesLoadInPythonAndMatchItsOwnBytes() throws {
        try F.withTemporaryDirectory { dir in
            guard try Self.pythonIsReady(in: dir) else { return }
            let tensors: [String: Tensor] = [
                "0.weight": SafetensorsTests.tensor([3, 4], .float32, offset: 0),
                "0.bias": SafetensorsTests.tensor([3], .float32, offset: 3),
                "stats.mean": SafetensorsTests.tensor([2, 1, 2, 2], .float64, offset: 1),
                "scalar": .scalar(-2.5, dtype: .float64),
                "empty": .zeros([0, 5]),
            ]
            let path = dir + "/nabla.safetensors", resaved = dir + "/python.safetensors"
            try Safetensors.write(tensors, metadata: ["epoch": "12 ✓"], to: path)

            let run = try Self.python(Self.loadInPython, [path, resaved], in: dir)
            try #require(run.status == 0, "python3 failed: \(run.errors)")
            let view = try JSONDecoder().decode(PythonView.self, from: Data(run.output.utf8))
            // The checksum is plain metadata to Python, and its standard library confirms it.
            #expect(view.metadata == ["epoch": "12 ✓", Safetensors.checksumKey: view.sha256 ?? "?"])
            #expect(view.tensors.keys.sorted() == tensors.keys.sorted())
            for (name, tensor) in tensors {
                guard let entry = view.tensors[name] else { continue }
                #expect(entry.dtype == (tensor.dtype == .float32 ? "float32" : "float64"), "\(name)")
                #expect(entry.shape == tensor.shape, "\(name)")
                let values = entry.values.map { Double($0) ?? .signalingNaN }
                #expect(values.count == tensor.count)
                for (python, nabla) in zip(values, tensor.doubles) {
                    #expect(python.bitPattern == nabla.bitPattern || (python.isNaN && nabla.isNaN), "\(name): \(python) vs \(nabla)")
                }
            }
            // The reference library, saving what it loaded, writes exactly the bytes Nabla writes.
            #expect(F.contents(resaved) == (try Safetensors.encode(tensors, metadata: ["epoch": "12 ✓"])))
        }
    }

    static let saveInPython = """
        import sys
        import numpy as np
        from safetensors.numpy import save_file
        save_file({
            "w32": np.array([[1.5, -2.25], [0.1, 1e30]], dtype=np.float32),
            "w64": np.array([np.pi, -0.0, 1e-300]),
            "half": np.array([0.5, -65504, 2**-24], dtype=np.float16),
            "steps": np.array([3, -7], dtype=np.int64),
            "s": np.array(7.0, dtype=np.float32),
            "empty": np.zeros((0, 3), dtype=np.float32),
        }, sys.argv[1], metadata={"source": "numpy", "format": "np"})
        """

    @Test func pythonFilesLoadInNabla() throws {
        try F.withTemporaryDirectory { dir in
            guard try Self.pythonIsReady(in: dir) else { return }
            let path = dir + "/python.safetensors"
            let run = try Self.python(Self.saveInPython, [path], in: dir)
            try #require(run.status == 0, "python3 failed: \(run.errors)")

            let (tensors, metadata) = try Safetensors.read(path)
            #expect(metadata == ["source": "numpy", "format": "np"])
            #expect(tensors["w32"] == Tensor([1.5, -2.25, 0.1, 1e30], shape: [2, 2]))
            #expect(tensors["w64"] == Tensor([.pi, -0.0, 1e-300], shape: [3], dtype: .float64))
            #expect(tensors["half"] == Tensor([0.5, -65504, 0x1p-24], shape: [3]))
            #expect(tensors["steps"] == Tensor([3, -7], shape: [2], dtype: .float64))
            #expect(tensors["s"] == .scalar(7))
            #expect(tensors["empty"] == .zeros([0, 3]))
            #expect(tensors.count == 6)
        }
    }

    /// A Nabla model's file is what a PyTorch-style loader expects: `<index>.weight` `[out, in]`.
    @Test func modelWeightsReadInPythonUnderPyTorchNames() throws {
        try F.withTemporaryDirectory { dir in
            guard try Self.pythonIsReady(in: dir) else { return }
            let path = dir + "/model.safetensors"
            let model = Sequential(Linear(4, 3, seed: 1), Linear(3, 2, seed: 2))
            try model.save(to: path)
            let script = """
                import sys
                from safetensors.numpy import load_file
                t = load_file(sys.argv[1])
                print(sorted((k, tuple(v.shape)) for k, v in t.items()))
                print(repr(float(t["1.weight"][1, 2])))
                """
            let run = try Self.python(script, [path], in: dir)
            try #require(run.status == 0, "python3 failed: \(run.errors)")
            let lines = run.output.split(separator: "\n").map(String.init)
            try #require(lines.count == 2, "unexpected output: \(run.output)")
            #expect(lines[0] == "[('0.bias', (3,)), ('0.weight', (3, 4)), ('1.bias', (2,)), ('1.weight', (2, 3))]")
            #expect(Double(lines[1]) == model.parameters()[2].variable.value[1, 2])
        }
    }
}
