import Foundation
import Testing
@testable import Nabla

/// Ranks as threads: the collective operations, their fixed summation order, and failures that
/// end every rank's wait with a message naming the culprit.
@Suite struct InProcessGroupTests {
    @Test func allreduceSumsEveryRanksBufferOnEveryRank() throws {
        let results = try InProcessGroup.run(ranks: 3) { communicator -> [Float] in
            var values: [Float] = [1, 2, 3].map { $0 * Float(communicator.rank + 1) }
            try values.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
            return values
        }
        #expect(results == Array(repeating: [6, 12, 18], count: 3))
    }

    @Test func sumsAreTakenInRankOrderWhateverTheTiming() throws {
        // (1e8 + 1) - 1e8 is 0 in Float, while 1e8 - 1e8 + 1 would be 1: the order shows.
        for _ in 0..<20 {
            let results = try InProcessGroup.run(ranks: 3) { communicator -> Float in
                usleep(UInt32.random(in: 0..<2000))
                var value: [Float] = [[1e8, 1, -1e8][communicator.rank]]
                try value.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
                return value[0]
            }
            #expect(results == [0, 0, 0])
        }
    }

    @Test func aStartedAllreduceCompletesOnWait() throws {
        let results = try InProcessGroup.run(ranks: 2) { communicator -> [Float] in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4)
            defer { buffer.deallocate() }
            _ = buffer.initialize(from: Array(repeating: Float(communicator.rank + 1), count: 4))
            let request = try communicator.startAllreduceSum(buffer)
            try request.wait()
            return Array(buffer)
        }
        #expect(results == [[3, 3, 3, 3], [3, 3, 3, 3]])
    }

    @Test func broadcastCopiesTheRootsValues() throws {
        let results = try InProcessGroup.run(ranks: 3) { communicator in
            try communicator.broadcast([UInt64(communicator.rank), 7], from: 1)
        }
        #expect(results == Array(repeating: [1, 7], count: 3))
    }

    @Test func theShareOfABatchSplitsItIntoContiguousRows() throws {
        let shares = try InProcessGroup.run(ranks: 3) { communicator in communicator.share(of: 10) }
        #expect(shares == [0..<3, 3..<6, 6..<10])
        let tiny = try InProcessGroup.run(ranks: 3) { communicator in communicator.share(of: 1) }
        #expect(tiny.map(\.count) == [0, 0, 1])
    }

    struct Broken: Error {}

    @Test func aFailingRankEndsTheOthersWaitAndItsErrorIsRethrown() throws {
        #expect(throws: Broken.self) {
            _ = try InProcessGroup.run(ranks: 3) { communicator in
                if communicator.rank == 1 { throw Broken() }
                try communicator.barrier()
            }
        }
    }

    @Test func aRankThatNeverArrivesIsNamedAfterTheTimeout() throws {
        let start = Date()
        #expect(throws: CommunicatorError("rank 2 did not reach a collective operation within 0.3 s")) {
            _ = try InProcessGroup.run(ranks: 3, timeout: 0.3) { communicator in
                if communicator.rank != 2 { try communicator.barrier() }
            }
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func buffersOfDifferentLengthsAreRefused() throws {
        #expect(throws: CommunicatorError.self) {
            _ = try InProcessGroup.run(ranks: 2) { communicator in
                _ = try communicator.allreduceSum([Double](repeating: 1, count: communicator.rank + 1))
            }
        }
    }
}
