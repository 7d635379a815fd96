import Foundation
import Testing
@testable import Nabla

@Suite struct FolderLockTests {
    typealias F = SerializationFixtures

    @Test func aSecondHolderFailsAtOnceNamingTheFirstsPid() throws {
        try F.withTemporaryDirectory { dir in
            let folder = dir + "/runs/x"
            let first = try FolderLock(folder: folder)
            #expect(first.isHeld)
            #expect(FolderLock.holder(ofFileAt: folder + "/.lock") == getpid())
            // A second open file description: flock excludes it even within one process.
            do {
                _ = try FolderLock(folder: folder)
                Issue.record("expected the second lock to fail")
            } catch {
                #expect("\(error)" == "\(folder): another process (pid \(getpid())) is writing this folder; wait for it to finish or stop it")
            }
            first.release()
            #expect(!first.isHeld)
            let second = try FolderLock(folder: folder)
            #expect(second.isHeld)
        }
    }

    @Test func theLockGoesWithItsObject() throws {
        try F.withTemporaryDirectory { dir in
            do { _ = try FolderLock(folder: dir) }
            #expect(try FolderLock(folder: dir).isHeld)
        }
    }

    @Test func aLockHeldByAnotherProcessIsRefusedAndFreedWhenItDies() throws {
        try F.withTemporaryDirectory { dir in
            // flock(1) holds the lock in a child process, as a second `nabla train` would.
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/bin/sh")
            child.arguments = ["-c", "exec 9>>\"$0/.lock\"; flock -n 9 || exit 3; echo $$ > \"$0/.lock\"; echo locked; exec sleep 30", dir]
            let pipe = Pipe()
            child.standardOutput = pipe
            try child.run()
            defer { if child.isRunning { child.terminate() } }
            let line = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
            try #require(line == "locked\n", "flock(1) is missing")
            let reason = "another process (pid \(child.processIdentifier)) is writing this folder; wait for it to finish or stop it"
            #expect(throws: SerializationError.fileSystem(path: dir, reason: reason)) {
                try FolderLock(folder: dir)
            }
            child.terminate()
            child.waitUntilExit()
            #expect(try FolderLock(folder: dir).isHeld)
        }
    }

    @Test func staleTemporaryFilesOfAKilledWriteAreRemoved() throws {
        try F.withTemporaryDirectory { dir in
            for name in [".checkpoint.safetensors.tmp-3fa9c0", ".config.json.tmp-0", "config.json", ".lock", "notes.tmp-12", ".x.tmp-zz"] {
                try AtomicFile.write([1], to: dir + "/" + name)
            }
            #expect(try AtomicFile.removeStaleTemporaryFiles(in: dir) == [".checkpoint.safetensors.tmp-3fa9c0", ".config.json.tmp-0"])
            #expect(F.listing(dir) == [".lock", ".x.tmp-zz", "config.json", "notes.tmp-12"])
            #expect(try AtomicFile.removeStaleTemporaryFiles(in: dir) == [])
        }
    }
}
