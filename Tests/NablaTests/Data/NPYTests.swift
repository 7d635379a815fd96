import Foundation
import Testing
@testable import Nabla

/// Whether `python3` with NumPy can be run here.
private let numpyAvailable: Bool = (try? NPYTests.python("import numpy")) != nil

@Suite struct NPYTests {
    /// Runs `body` with a fresh temporary directory, removed afterwards.
    func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-npy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    func error(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    /// Runs a Python program with `arguments` as `sys.argv[1:]`; returns its standard output.
    static func python(_ program: String, _ arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", program] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw DataError(file: "python3", "exit status \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func parse(_ bytes: [UInt8]) -> String { error { try NPY.parse(bytes, file: "f.npy") } }

    /// Little-endian float32 bytes.
    func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

    @Test func roundTrip() throws {
        try withTemporaryDirectory { dir in
            let features = Tensor([1.5, -2, 0, 255, 1e-3, 3], shape: [3, 2])
            try NPY.write(features, to: dir + "/x.npy")
            try NPY.write(labels: [2, 0, 1], to: dir + "/y.npy")
            let array = try NPY.read(dir + "/x.npy")
            #expect(array.shape == [3, 2] && array.elementType == .float32)
            #expect(array.tensor().floats == features.floats)
            #expect(array.tensor(dtype: .float64).doubles == features.floats.map(Double.init))

            let wide = Tensor([0.1, -1e300, 7], shape: [3], dtype: .float64)
            try NPY.write(wide, to: dir + "/w.npy")
            #expect(try NPY.read(dir + "/w.npy").elementType == .float64)
            #expect(try NPY.read(dir + "/w.npy").tensor(dtype: .float64).doubles == [0.1, -1e300, 7])

            let data = try NPY.load(features: dir + "/x.npy", labels: dir + "/y.npy")
            #expect(data.features.shape == [3, 2] && data.features.floats == features.floats)
            #expect(data.labels == [2, 0, 1] && data.classCount == 3)
            let named = try NPY.load(features: dir + "/x.npy", labels: dir + "/y.npy", classNames: ["a", "b", "c", "d"])
            #expect(named.classNames == ["a", "b", "c", "d"])
            #expect(error { try NPY.load(features: dir + "/x.npy", labels: dir + "/y.npy", classNames: ["a", "b"]) }
                    == "\(dir)/y.npy, element 0 at byte 128: label 2, but there are only 2 class names")
            // -1e300 is a fine float64 but infinite as a Float.
            #expect(error { try NPY.load(features: dir + "/w.npy", labels: dir + "/y.npy") }
                    == "\(dir)/w.npy, element 1 at byte 136, index (1): -1.0000e+300 is too large for a 32-bit float")
            #expect(error { _ = try NPY.load(features: dir + "/w.npy", labels: dir + "/y.npy", allowNonFinite: true) } == "no error")
            try NPY.write(Tensor([1, 2, .nan, 4, 5, 6], shape: [3, 2]), to: dir + "/nan.npy")
            #expect(error { try NPY.load(features: dir + "/nan.npy", labels: dir + "/y.npy") }
                    == "\(dir)/nan.npy, element 2 at byte 136, index (1, 0): nan is not a finite number")
            try NPY.write(Tensor.scalar(4), to: dir + "/s.npy")
            #expect(error { try NPY.load(features: dir + "/s.npy", labels: dir + "/y.npy") }
                    == "\(dir)/s.npy: features must have at least one dimension (examples first), found shape ()")
            try NPY.write(labels: [1, 1], to: dir + "/y2.npy")
            #expect(error { try NPY.load(features: dir + "/x.npy", labels: dir + "/y2.npy") }
                    == "\(dir)/y2.npy: 2 labels, but \(dir)/x.npy has 3 examples (shape (3, 2))")
            #expect(error { try NPY.load(features: dir + "/y.npy", labels: dir + "/x.npy") }
                    == "\(dir)/x.npy: labels must have shape (N,) or (N, 1), found (3, 2)")
        }
    }

    @Test(.enabled(if: numpyAvailable, "needs python3 with NumPy")) func filesWrittenByNumPy() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.python("""
                import sys, numpy as np
                d = sys.argv[1]
                np.save(d + '/f32.npy', (np.arange(24, dtype=np.float32) / 4).reshape(2, 3, 4))
                np.save(d + '/f64.npy', np.array([[1.5, -2.25], [1e-3, 3e10]]))
                np.save(d + '/u8.npy', np.arange(250, 256, dtype=np.uint8).reshape(2, 3))
                np.save(d + '/i64.npy', np.array([0, 2, 1], dtype=np.int64))
                np.save(d + '/i32.npy', np.array([[5], [0]], dtype=np.int32))
                np.save(d + '/flabels.npy', np.array([1.0, 0.0, 2.0]))
                np.save(d + '/halves.npy', np.array([1.0, 0.5]))
                np.save(d + '/negative.npy', np.array([3, -1], dtype=np.int64))
                np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
                np.save(d + '/bigendian.npy', np.zeros(2, dtype='>f4'))
                np.save(d + '/bool.npy', np.array([True, False]))
                with open(d + '/v2.npy', 'wb') as f:
                    np.lib.format.write_array(f, np.array([7, 8, 9], dtype=np.uint8), version=(2, 0))
                """, [dir])
            let f32 = try NPY.read(dir + "/f32.npy")
            #expect(f32.shape == [2, 3, 4] && f32.elementType == .float32)
            #expect(f32.tensor().floats == (0..<24).map { Float($0) / 4 })
            let f64 = try NPY.read(dir + "/f64.npy")
            #expect(f64.elementType == .float64 && f64.tensor(dtype: .float64).doubles == [1.5, -2.25, 1e-3, 3e10])
            let u8 = try NPY.read(dir + "/u8.npy")
            #expect(u8.elementType == .uint8 && u8.shape == [2, 3] && u8.tensor().floats == [250, 251, 252, 253, 254, 255])
            #expect(try NPY.read(dir + "/i64.npy").classLabels() == [0, 2, 1])
            #expect(try NPY.read(dir + "/i32.npy").classLabels() == [5, 0])
            #expect(try NPY.read(dir + "/v2.npy").classLabels() == [7, 8, 9])

            #expect(error { try NPY.load(features: dir + "/u8.npy", labels: dir + "/i32.npy") }
                    == "\(dir)/i32.npy, element 0 at byte 128: label 5 (1 example) leaves classes 1 to 4 without examples; "
                        + "class labels must be 0…C-1 (state the number of classes if empty classes are intended)")
            let data = try NPY.load(features: dir + "/u8.npy", labels: dir + "/i32.npy", classCount: 6)
            #expect(data.features.shape == [2, 3] && data.labels == [5, 0] && data.classCount == 6)
            #expect(try NPY.load(features: dir + "/f64.npy", labels: dir + "/i32.npy", classCount: 6).features.floats == [1.5, -2.25, 1e-3, 3e10])
            #expect(error { try NPY.load(features: dir + "/f32.npy", labels: dir + "/halves.npy") }
                    == "\(dir)/halves.npy, element 1 at byte 136: label 0.5 is not a non-negative integer")
            #expect(error { try NPY.load(features: dir + "/f32.npy", labels: dir + "/negative.npy") }
                    == "\(dir)/negative.npy, element 1 at byte 136: label -1 is not a non-negative integer")
            #expect(try NPY.read(dir + "/flabels.npy").classLabels() == [1, 0, 2])
            #expect(error { try NPY.read(dir + "/fortran.npy") } == "\(dir)/fortran.npy, byte 10: "
                + "fortran_order is True; only C-order arrays are supported (save np.ascontiguousarray(a))")
            #expect(error { try NPY.read(dir + "/bigendian.npy") }
                    == "\(dir)/bigendian.npy, byte 10: unsupported dtype '>f4'; supported: '<f4', '<f8', '|u1', '<i4', '<i8'")
            #expect(error { try NPY.read(dir + "/bool.npy") }
                    == "\(dir)/bool.npy, byte 10: unsupported dtype '|b1'; supported: '<f4', '<f8', '|u1', '<i4', '<i8'")
        }
    }

    @Test(.enabled(if: numpyAvailable, "needs python3 with NumPy")) func filesWrittenByNablaLoadInNumPy() throws {
        try withTemporaryDirectory { dir in
            try NPY.write(Tensor([1.5, -2, 0.25, 4, 5, 6], shape: [2, 1, 3]), to: dir + "/x.npy")
            try NPY.write(Tensor([0.1, 2], shape: [2], dtype: .float64), to: dir + "/d.npy")
            try NPY.write(labels: [3, 0], to: dir + "/y.npy")
            let printed = try Self.python("""
                import io, sys, numpy as np
                for name in ['x', 'd', 'y']:
                    path = sys.argv[1] + '/' + name + '.npy'
                    a = np.load(path)
                    saved = io.BytesIO()
                    np.save(saved, a)  # the same bytes as NumPy writes
                    print(a.dtype.str, a.shape, a.ravel().tolist(), saved.getvalue() == open(path, 'rb').read())
                """, [dir])
            #expect(printed == "<f4 (2, 1, 3) [1.5, -2.0, 0.25, 4.0, 5.0, 6.0] True\n<f8 (2,) [0.1, 2.0] True\n<i8 (2,) [3, 0] True")
        }
    }

    @Test func headerLayoutMatchesNumPy() {
        let bytes = NPY.encode(descr: "<f4", shape: [2, 3], data: floatBytes([1, 2, 3, 4, 5, 6]))
        #expect(bytes.count == 128 + 24)  // NumPy aligns the data to 64 bytes
        #expect(String(decoding: bytes[10..<128], as: UTF8.self)
                == "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + String(repeating: " ", count: 58) + "\n")
        #expect(parse(bytes) == "no error")
        #expect(parse(NPY.encode(descr: "<f4", shape: [2, 3], data: floatBytes([1, 2, 3, 4, 5, 6]), version: 2)) == "no error")
        #expect(parse(NPY.encode(descr: "<f4", shape: [], data: floatBytes([1]))) == "no error")
        #expect(parse(NPY.encode(header: "{\"descr\":\"|u1\",\"shape\":(2L,),\"fortran_order\":False}", data: [1, 2])) == "no error")
    }

    @Test func badFiles() {
        let good = NPY.encode(descr: "<f4", shape: [2, 3], data: floatBytes([1, 2, 3, 4, 5, 6]))
        let header = { (text: String) in NPY.encode(header: text, data: []) }
        #expect(parse(Array("PK\u{3}\u{4} not numpy".utf8)) == "f.npy, byte 0: not a .npy file: expected the magic string \\x93NUMPY")
        #expect(parse(Array(good[0..<4])) == "f.npy, byte 4: file ends inside the .npy preamble (magic string and version)")
        #expect(parse(Array(good[0..<9])) == "f.npy, byte 9: file ends inside the .npy preamble (header length)")
        var version = good
        version[6] = 4
        #expect(parse(version) == "f.npy, byte 6: unsupported .npy format version 4.0, expected 1.0, 2.0 or 3.0")
        #expect(parse(Array(good[0..<40])) == "f.npy, byte 40: file ends inside the 118-byte header")
        #expect(parse(Array(good[0..<148])) == "f.npy, element 5 at byte 148: "
                + "data ends after 5 of the 6 elements that shape (2, 3) of '<f4' needs (20 of 24 bytes)")
        #expect(parse(Array(good[0..<128])) == "f.npy, element 0 at byte 128: "
                + "data ends after 0 of the 6 elements that shape (2, 3) of '<f4' needs (0 of 24 bytes)")
        #expect(parse(good + [0, 0]) == "f.npy, byte 152: 2 bytes after the 6 elements that shape (2, 3) of '<f4' needs")
        #expect(parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }"))
                == "f.npy, byte 60: bad header: expected a string, True, False or a tuple")
        #expect(parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }"))
                == "f.npy, byte 64: bad header: expected a non-negative integer in the shape")
        #expect(parse(header("{'descr': '<f4', 'fortran_order': False}")) == "f.npy, byte 10: bad header: no 'shape' tuple")
        #expect(parse(header("{'descr': '<f4' 'shape': ()}")) == "f.npy, byte 26: bad header: expected ',' or '}'")
        #expect(parse(header("{'descr': '<f4', 'shape': (), 'order': 'C'}"))
                == "f.npy, byte 40: bad header: unexpected key 'order'; expected 'descr', 'fortran_order' and 'shape'")
        #expect(parse(header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}"))
                == "f.npy, byte 20: unsupported dtype: structured arrays (a list 'descr') are not supported")
        #expect(parse(header("['descr']")) == "f.npy, byte 10: bad header: expected '{'")
        #expect(parse(NPY.encode(descr: "<f2", shape: [1], data: [0, 0]))
                == "f.npy, byte 10: unsupported dtype '<f2'; supported: '<f4', '<f8', '|u1', '<i4', '<i8'")
        #expect(parse(NPY.encode(descr: "<f4", shape: [2], data: [], fortranOrder: true))
                == "f.npy, byte 10: fortran_order is True; only C-order arrays are supported (save np.ascontiguousarray(a))")
        #expect(parse(NPY.encode(descr: "<f8", shape: [1 << 40, 1 << 40], data: []))
                == "f.npy, byte 10: shape (1099511627776, 1099511627776) of '<f8' is too large for any file")
    }

    @Test func labelsMustBeNonNegativeIntegers() throws {
        func labels(_ descr: String, _ data: [UInt8], shape: [Int]) -> String {
            error { try NPY.parse(NPY.encode(descr: descr, shape: shape, data: data), file: "l.npy").classLabels() }
        }
        let doubles = { (values: [Double]) in values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
        let int64s = { (values: [Int64]) in values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        #expect(labels("<f8", doubles([1, 2.5]), shape: [2]) == "l.npy, element 1 at byte 136: label 2.5 is not a non-negative integer")
        #expect(labels("<f8", doubles([.nan]), shape: [1]) == "l.npy, element 0 at byte 128: label nan is not a non-negative integer")
        #expect(labels("<f4", floatBytes([0, -3]), shape: [2]) == "l.npy, element 1 at byte 132: label -3 is not a non-negative integer")
        #expect(labels("<i8", int64s([Int64.min]), shape: [1])
                == "l.npy, element 0 at byte 128: label -9223372036854775808 is not a non-negative integer")
        #expect(labels("<i8", int64s([0, 5_000_000_000]), shape: [2])
                == "l.npy, element 1 at byte 136: label 5000000000 is too large (class labels must be at most 1000000)")
        #expect(labels("|u1", [1, 2, 3, 4], shape: [2, 2]) == "l.npy: labels must have shape (N,) or (N, 1), found (2, 2)")
        #expect(labels("|u1", [1, 2], shape: [2, 1]) == "no error")
        #expect(error { try NPY.load(features: "/nonexistent/x.npy", labels: "/nonexistent/y.npy") } == "/nonexistent/x.npy: no such file")
    }
}
