import Foundation

/// TensorBoard's `Event` messages (tensorflow/core/util/event.proto), encoded by hand:
///
/// ```
/// Event          { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
/// Summary        { repeated Value value = 1; }
/// Summary.Value  { string tag = 1; float simple_value = 2; HistogramProto histo = 5; }
/// HistogramProto { double min = 1, max = 2, num = 3, sum = 4, sum_squares = 5;
///                  repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
/// ```
///
/// An event file starts with an event whose `file_version` is `brain.Event:2`; bucket `i` of a
/// histogram counts the values in `(bucket_limit[i-1], bucket_limit[i]]`.
public enum TensorBoardEvent {
    /// The first event of every file.
    public static func fileVersion(wallTime: Double) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, 0)
        event.string(3, "brain.Event:2")
        return event.bytes
    }

    /// One event holding scalars (`simple_value`) at `step`.
    public static func scalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Double) -> [UInt8] {
        summary(step: step, wallTime: wallTime) { summary in
            for (tag, value) in values {
                summary.message(1) { v in
                    v.string(1, tag)
                    v.float(2, Float(value))
                }
            }
        }
    }

    /// One event holding the histogram of `values` under `tag` at `step`, in `bins` equal bins
    /// between the smallest and largest finite value.
    public static func histogram(tag: String, values: Tensor, step: Int, wallTime: Double, bins: Int = 30) -> [UInt8] {
        let numbers = values.doubles
        let histogram = Histogram(numbers, bins: bins)
        let finite = numbers.filter(\.isFinite)
        var sum = 0.0, squares = 0.0
        for v in finite { sum += v; squares += v * v }
        return summary(step: step, wallTime: wallTime) { summary in
            summary.message(1) { v in
                v.string(1, tag)
                v.message(5) { h in
                    h.double(1, finite.min() ?? 0)
                    h.double(2, finite.max() ?? 0)
                    h.double(3, Double(finite.count))
                    h.double(4, sum)
                    h.double(5, squares)
                    h.packedDoubles(6, Array(histogram.edges.dropFirst()))
                    h.packedDoubles(7, histogram.counts.map(Double.init))
                }
            }
        }
    }

    private static func summary(step: Int, wallTime: Double, _ build: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        event.message(5, build)
        return event.bytes
    }
}
