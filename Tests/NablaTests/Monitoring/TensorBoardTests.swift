import Foundation
import Testing
@testable import Nabla

/// TensorBoard event files: the checksum, the wire format and the framing by hand, then a real
/// training run read back with Python's `tensorboard` package (installed by
/// scripts/ensure-python-deps.sh, which `make test` runs; without it the test fails and says so).
@Suite struct TensorBoardTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)   // RFC 3720, B.4: 32 bytes of zeros
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)   // … and of ones
        // The mask: rotate right by 15, add 0xa282ead8 (wrapping).
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
        #expect(CRC32C.masked(0x0000_8000) == 0xA282_EAD9)
    }

    @Test func protobufWireFormat() {
        var w = ProtobufWriter()
        w.varint(300)
        #expect(w.bytes == [0xAC, 0x02])
        var event = ProtobufWriter()
        event.int64(2, 150)
        event.string(3, "hi")
        event.float(2, 1)
        event.double(1, 1)
        #expect(event.bytes == [0x10, 0x96, 0x01,                       // field 2, varint 150
                                0x1A, 0x02, 0x68, 0x69,                 // field 3, length 2, "hi"
                                0x15, 0x00, 0x00, 0x80, 0x3F,           // field 2, fixed32 1.0f
                                0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])    // field 1, fixed64 1.0
        var negative = ProtobufWriter()
        negative.int64(2, -1)
        #expect(negative.bytes.count == 11 && negative.bytes.last == 0x01)   // key + ten bytes
        var packed = ProtobufWriter()
        packed.packedDoubles(6, [1, 2])
        #expect(Array(packed.bytes.prefix(2)) == [0x32, 16] && packed.bytes.count == 18)
    }

    @Test func tfrecordFramingRoundTripsAndChecksBothChecksums() throws {
        let data = Array("brain.Event:2".utf8)
        let record = TFRecord.frame(data)
        #expect(record.count == 8 + 4 + data.count + 4)
        #expect(Array(record.prefix(8)) == [13, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = UInt32(record[8]) | UInt32(record[9]) << 8 | UInt32(record[10]) << 16 | UInt32(record[11]) << 24
        #expect(lengthCRC == CRC32C.masked(CRC32C.checksum(record.prefix(8))))
        #expect(try TFRecord.records(record + TFRecord.frame([])) == [data, []])
        var corrupt = record
        corrupt[14] ^= 1
        #expect(throws: MonitoringError.self) { try TFRecord.records(corrupt) }
        #expect(throws: MonitoringError.self) { try TFRecord.records(Array(record.dropLast())) }
    }

    struct Python: Decodable {
        struct Scalar: Decodable { var step: Int; var value: Double }
        struct Histo: Decodable { var step: Int; var num: Double; var min: Double; var max: Double; var buckets: Int }
        var version: String
        var scalars: [String: [Scalar]]
        var histograms: [String: [Histo]]
    }

    static let reader = """
    import json, math, sys
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
    path = sys.argv[1]
    # Check the framing independently: every record's two masked CRC32Cs.
    data = open(path, 'rb').read()
    i, first = 0, None
    while i < len(data):
        n = int.from_bytes(data[i:i+8], 'little')
        assert masked_crc32c(data[i:i+8]) == int.from_bytes(data[i+8:i+12], 'little'), 'length crc at %d' % i
        body = data[i+12:i+12+n]
        assert masked_crc32c(body) == int.from_bytes(data[i+12+n:i+16+n], 'little'), 'data crc at %d' % i
        if first is None:
            first = event_pb2.Event.FromString(body)
        i += 16 + n
    acc = EventAccumulator(path, size_guidance={'scalars': 0, 'histograms': 0})
    acc.Reload()
    tags = acc.Tags()
    out = {'version': first.file_version,
           'scalars': {t: [{'step': e.step, 'value': e.value if math.isfinite(e.value) else str(e.value)}
                           for e in acc.Scalars(t)] for t in tags['scalars']},
           'histograms': {t: [{'step': e.step, 'num': e.histogram_value.num, 'min': e.histogram_value.min,
                               'max': e.histogram_value.max, 'buckets': len(e.histogram_value.bucket)}
                              for e in acc.Histograms(t)] for t in tags['histograms']}}
    print(json.dumps(out))
    """

    @Test func eventFilesReadBackInTensorBoardAsTheHistory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-tb-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try UpdateRatiosTests.trainer(epochs: 3, batchSize: 12)   // 5 steps per epoch
        let logger = try TensorBoardLogger(directory: folder + "/tb", history: trainer.history)
        trainer.callbacks = [logger]
        #expect((logger.path as NSString).lastPathComponent.hasPrefix("events.out.tfevents."))
        try trainer.fit(train: UpdateRatiosTests.data(), validation: UpdateRatiosTests.data(seed: 6))

        let check = try SafetensorsInteropTests.python("import tensorboard", in: folder)
        try #require(check.status == 0, """
            This test needs python3 with the `tensorboard` package: run scripts/ensure-python-deps.sh \
            (make test does). python3 said: \(check.errors.split(separator: "\n").last ?? "nothing")
            """)
        let result = try SafetensorsInteropTests.python(Self.reader, [logger.path], in: folder)
        try #require(result.status == 0, "\(result.errors)")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let python = try decoder.decode(Python.self, from: Data(result.output.utf8))
        #expect(python.version == "brain.Event:2")

        let history = trainer.history
        let losses = try #require(python.scalars["loss"])
        #expect(losses.map(\.step) == Array(1...15))
        #expect(losses.map(\.value) == history.stepLosses.map { Double(Float($0)) })   // simple_value is a float
        for metric in ["loss", "train_acc", "val_acc", "val_loss", "lr"] {
            let events = try #require(python.scalars["epoch/" + metric], "epoch/\(metric)")
            #expect(events.map(\.step) == [1, 2, 3], "\(metric)")
            #expect(events.map(\.value) == history.metric(metric).map { Double(Float($0)) }, "\(metric)")
        }
        for name in history.updateRatioNames {
            let events = try #require(python.scalars["update_ratio/" + name], "\(name)")
            let expected = history.updateRatios.map { Double(Float($0[name]!)) }
            #expect(zip(events.map(\.value), expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(name)")
        }
        for (name, variable) in trainer.model.parameters() {
            let events = try #require(python.histograms["weights/" + name], "\(name)")
            #expect(events.map(\.step) == [1, 2, 3])
            let last = try #require(events.last)
            let values = variable.value.doubles
            #expect(last.num == Double(values.count) && last.buckets == 30)
            #expect(last.min == values.min()! && last.max == values.max()!)
        }
    }

    /// Records the event file's size as each step ends (after the logger has seen the step).
    final class SizeProbe: TrainingCallback {
        let path: String
        var sizes: [Int] = []
        init(path: String) { self.path = path }
        func batchDidEnd(_ state: TrainingState, loss: Double) throws {
            sizes.append((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1)
        }
    }

    @Test func theFileGrowsOnceAnEpochSoTensorBoardSeesWholeEpochs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-tb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try UpdateRatiosTests.trainer(epochs: 2, batchSize: 20)   // 3 steps per epoch
        let logger = try TensorBoardLogger(directory: folder, history: trainer.history)
        let probe = SizeProbe(path: logger.path)
        trainer.callbacks = [logger, probe]
        let versionRecord = TFRecord.frame(TensorBoardEvent.fileVersion(wallTime: 0)).count
        #expect(try FileManager.default.attributesOfItem(atPath: logger.path)[.size] as? Int == versionRecord)   // written at once
        try trainer.fit(train: UpdateRatiosTests.data(), validation: UpdateRatiosTests.data(seed: 6))
        #expect(probe.sizes[0] == versionRecord && probe.sizes[0] == probe.sizes[2])   // epoch 1's steps wait in memory
        #expect(probe.sizes[3] > probe.sizes[2] && probe.sizes[3] == probe.sizes[5])   // epoch 1 written when it ended
        let final = try FileManager.default.attributesOfItem(atPath: logger.path)[.size] as? Int ?? 0
        #expect(final > probe.sizes[5])
        #expect(try TFRecord.records([UInt8](Data(contentsOf: URL(fileURLWithPath: logger.path)))).count == 1 + 6 + 2 * (1 + 4))
    }

    @Test func anUnwritableFolderIsAClearError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-tb-file-\(UUID().uuidString)").path
        try "not a folder".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: MonitoringError.self) { try TensorBoardLogger(directory: file) }
        #expect(error?.description.contains(file) == true, "\(String(describing: error))")
    }
}
