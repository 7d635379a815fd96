import Foundation
import Testing
@testable import Nabla

@Suite struct CSVReaderTests {
    func parse(_ text: String, label: CSVReader.LabelColumn = .index(-1)) throws -> Dataset {
        try CSVReader.parse(Array(text.utf8), file: "t.csv", labelColumn: label)
    }

    func error(_ text: String, label: CSVReader.LabelColumn = .index(-1)) -> String {
        do { _ = try parse(text, label: label); return "no error" } catch { return "\(error)" }
    }

    @Test func readsFeaturesAndLabels() throws {
        let d = try parse("1,2,0\n3,4,1\n\n5,6,2\n")
        #expect(d.features.shape == [3, 2])
        #expect(d.features.floats == [1, 2, 3, 4, 5, 6])
        #expect(d.labels == [0, 1, 2])
        #expect(d.classCount == 3)
    }

    @Test func headerAndLabelByName() throws {
        let d = try parse("label,x,y\n1,0.5,2\n0,1.5,3\n", label: .name("label"))
        #expect(d.features.floats == [0.5, 2, 1.5, 3])
        #expect(d.labels == [1, 0])
    }

    @Test func badInputNamesTheFileAndLine() {
        #expect(error("1,2,0\n3,,1\n") == "t.csv, line 2: missing value in column 2")
        #expect(error("1,2,0\n3,x,1\n") == "t.csv, line 2: 'x' in column 2 is not a number")
        #expect(error("1,2,0\n3,4\n") == "t.csv, line 2: 2 fields, expected 3 like the first line")
        #expect(error("1,2,0.5\n") == "t.csv, line 1: label '0.5' in column 3 is not a non-negative integer")
        #expect(error("a,b\n1,2\n", label: .name("c")) == "t.csv, line 1: no column named 'c'; columns are a, b")
        #expect(error("") == "t.csv: no data rows")
    }

    @Test func valuesThatAreNotFiniteAreErrorsUnlessAllowed() throws {
        #expect(error("1,2,0\n3,1e40,1\n") == "t.csv, line 2: '1.0000e+40' in column 2 is too large for a 32-bit float (at most ±3.4e38)")
        #expect(error("1,2,0\n3,nan,1\n") == "t.csv, line 2: 'nan' in column 2 is not a finite number")
        #expect(error("1,2,0\n-inf,4,1\n") == "t.csv, line 2: '-inf' in column 1 is not a finite number")
        let allowed = try CSVReader.parse(Array("1,2,0\n3,1e40,1\nnan,4,1\n".utf8), file: "t.csv", allowNonFinite: true)
        #expect(allowed.features.floats[3] == .infinity && allowed.features.floats[4].isNaN)
    }

    @Test func labelsThatLeaveClassesEmptyAreErrorsUnlessTheCountIsStated() throws {
        #expect(error("1,0\n2,1\n3,1000000\n4,1000000\n")
                == "t.csv, line 3: label 1000000 (2 examples) leaves classes 2 to 999999 without examples; "
                    + "class labels must be 0…C-1 (state the number of classes if empty classes are intended)")
        #expect(error("1,0\n2,3\n3,5\n").hasPrefix("t.csv, line 2: labels 3 (1 example), 5 (1 example) leave classes 1 to 2 without examples"))
        let stated = try CSVReader.parse(Array("1,0\n2,3\n".utf8), file: "t.csv", classCount: 5)
        #expect(stated.classCount == 5)
        #expect(throws: DataError(file: "t.csv", location: "line 2", "label 3 is out of range for 3 classes (0…2)")) {
            try CSVReader.parse(Array("1,0\n2,3\n".utf8), file: "t.csv", classCount: 3)
        }
    }

    @Test func gzipIsDetectedAndCorruptionReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("d.csv")
        try "1,2,1\n3,4,0\n".write(to: plain, atomically: true, encoding: .utf8)
        let zipped = Process()
        zipped.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zipped.arguments = ["gzip", "-k", plain.path]
        try zipped.run(); zipped.waitUntilExit()
        let gz = plain.path + ".gz"
        #expect(try CSVReader.load(gz).labels == [1, 0])
        // Cut the compressed file short: the error names the file and says it is truncated.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
        let cut = dir.appendingPathComponent("cut.csv.gz")
        try bytes.prefix(bytes.count - 12).write(to: cut)
        #expect(throws: DataError.self) { try CSVReader.load(cut.path) }
        do { _ = try CSVReader.load(cut.path) } catch { #expect("\(error)".contains("cut.csv.gz")) }
        #expect(throws: DataError.self) { try CSVReader.load(dir.appendingPathComponent("missing.csv").path) }
    }

    @Test func shippedMNISTLoadsByName() throws {
        let mnist = try Datasets.load("mnist-5k")
        #expect(mnist.features.shape == [5000, 1, 28, 28])
        #expect(mnist.classCount == 10)
        for digit in 0..<10 { #expect(mnist.labels.filter { $0 == digit }.count == 500) }
        #expect(mnist.features.min().scalar == 0 && mnist.features.max().scalar == 255)
        #expect(throws: DataError.self) { try Datasets.load("mnist-6k") }
    }
}
