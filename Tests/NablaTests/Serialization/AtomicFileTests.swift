import Foundation
import Testing
@testable import Nabla

@Suite struct AtomicFileTests {
    typealias F = SerializationFixtures

    @Test func writesANewFileCreatingItsDirectoriesAndLeavesNoTemporaryFile() throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/runs/mnist/model.bin"
            try AtomicFile.write([1, 2, 3], to: path)
            #expect(F.contents(path) == [1, 2, 3])
            #expect(F.listing(dir + "/runs/mnist") == ["model.bin"])
        }
    }

    @Test func replacesAnExistingFileKeepingItsPermissions() throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/state.bin"
            try AtomicFile.write([UInt8](repeating: 7, count: 100_000), to: path)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            try AtomicFile.write(Data([9, 8]), to: path)
            #expect(F.contents(path) == [9, 8])
            #expect(F.listing(dir) == ["state.bin"])
            let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            try AtomicFile.write([], to: path)
            #expect(F.contents(path) == [])
        }
    }

    @Test func failuresNameThePathAndLeaveNothingBehind() throws {
        try F.withTemporaryDirectory { dir in
            // The target is a directory: the rename fails after the temporary file was written.
            let directory = dir + "/taken"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            let error = #expect(throws: SerializationError.self) { try AtomicFile.write([1], to: directory) }
            #expect(error?.description.hasPrefix(directory + ": cannot rename") == true, "\(String(describing: error))")
            #expect(F.listing(dir) == ["taken"])

            // A parent that is a regular file cannot become a directory.
            try AtomicFile.write([1], to: dir + "/file")
            let nested = dir + "/file/inner.bin"
            let nestedError = #expect(throws: SerializationError.self) { try AtomicFile.write([1], to: nested) }
            #expect(nestedError?.description.hasPrefix(nested + ": cannot create directory '\(dir)/file'") == true,
                    "\(String(describing: nestedError))")

            #expect(throws: SerializationError.fileSystem(path: dir + "/", reason: "cannot write: not a file path")) {
                try AtomicFile.write([1], to: dir + "/")
            }
        }
    }

    /// Writers racing on one path each leave a complete file: the last rename wins, whole.
    @Test func concurrentWritersNeverInterleave() {
        F.withTemporaryDirectory { dir in
            let path = dir + "/shared.bin"
            DispatchQueue.concurrentPerform(iterations: 8) { i in
                try? AtomicFile.write([UInt8](repeating: UInt8(i), count: 50_000), to: path)
            }
            let bytes = F.contents(path)
            #expect(bytes.count == 50_000 && Set(bytes).count == 1)
            #expect(F.listing(dir) == ["shared.bin"])
        }
    }
}
