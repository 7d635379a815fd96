import Foundation

/// The start-up check of data-parallel training: every rank must begin from the same weights,
/// optimizer state, random generators, settings and data, or their updates would drift apart
/// silently. Each rank compares checksums of its parts with rank 0's.
extension Trainer {
    /// Throws a `TrainingError` naming the first rank (and the part) that differs from rank 0.
    func checkReplicas(train: Dataset, validation: Dataset, communicator: any Communicator) throws {
        var settings = Checksum()
        for value in [options.epochs, options.batchSize, Int(truncatingIfNeeded: options.seed), startEpoch, startStep,
                      BatchNormStatistics.allCases.firstIndex(of: options.batchNormStatistics)!] { settings.add(value) }
        let parts: [(name: String, checksum: UInt64)] = [
            ("settings (epochs, batch size, seed, position, batch norm statistics)", settings.value),
            ("weights", Checksum(model.stateDict().map(\.variable.value)).value),
            ("optimizer state", Checksum(optimizer.state().sorted { $0.key < $1.key }.map(\.value)).value),
            ("random generators", try randomChecksum()),
            ("training data", Checksum(train).value),
            ("validation data", Checksum(validation).value),
        ]
        let root = try communicator.broadcast(parts.map(\.checksum), from: 0)
        var codes = [Double](repeating: 0, count: communicator.size)
        if let first = parts.indices.first(where: { parts[$0].checksum != root[$0] }) { codes[communicator.rank] = Double(first + 1) }
        codes = try communicator.allreduceSum(codes)
        if let rank = codes.firstIndex(where: { $0 > 0 }) {
            throw TrainingError("rank \(rank) holds different \(parts[Int(codes[rank]) - 1].name) than rank 0; every rank must start from the same model, optimizer and data")
        }
    }

    private func randomChecksum() throws -> UInt64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var checksum = Checksum()
        checksum.add(bytes: try encoder.encode(model.randomStates()))
        checksum.add(bytes: try encoder.encode(generator))
        return checksum.value
    }
}

/// FNV-1a, 64-bit: enough to tell two copies apart (not a defence against forgery).
struct Checksum {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    init() {}

    init(_ tensors: [Tensor]) {
        for tensor in tensors { add(tensor) }
    }

    init(_ data: Dataset) {
        add(data.count)
        for label in data.labels { add(label) }
        for start in stride(from: 0, to: data.count, by: 1000) { add(data.features(in: start..<min(start + 1000, data.count))) }
    }

    mutating func add(bytes: UnsafeRawBufferPointer) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }

    mutating func add(bytes: Data) { bytes.withUnsafeBytes { add(bytes: $0) } }

    mutating func add(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { add(bytes: $0) } }

    mutating func add(_ tensor: Tensor) {
        for dimension in tensor.shape { add(dimension) }
        add(bytes: UnsafeRawBufferPointer(start: tensor.storage.raw, count: tensor.count * tensor.dtype.byteSize))
    }
}
