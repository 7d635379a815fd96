/// The messages of ONNX's `onnx.proto` that an exported model uses, each encoded with
/// `ProtobufWriter` under the field numbers of that file (IR version 8, the one of opset 17):
///
///     ModelProto      ir_version=1, producer_name=2, producer_version=3, graph=7,
///                     opset_import=8 (OperatorSetIdProto: domain=1, version=2), metadata_props=14
///     GraphProto      node=1, name=2, initializer=5, doc_string=10, input=11, output=12
///     NodeProto       input=1, output=2, name=3, op_type=4, attribute=5
///     AttributeProto  name=1, f=2, i=3, ints=8, type=20 (FLOAT=1, INT=2, INTS=7)
///     TensorProto     dims=1, data_type=2 (FLOAT=1, INT64=7), name=8, raw_data=9 (little-endian)
///     ValueInfoProto  name=1, type=2 (TypeProto: tensor_type=1 (elem_type=1,
///                     shape=2 (TensorShapeProto: dim=1 (dim_value=1, dim_param=2))))
///
/// Repeated numbers are written one field each (unpacked), which every protobuf reader accepts.
enum ONNXProto {
    /// The IR version written: 8 goes with opset 17 (onnx 1.12 and later, onnxruntime 1.12 and later).
    static let irVersion: Int64 = 8
    /// The version of the default operator set (`ai.onnx`) the graph's nodes follow.
    static let opsetVersion: Int64 = 17

    /// An element type (`TensorProto.DataType`).
    enum DataType: Int64 {
        case float = 1
        case int64 = 7
    }

    /// A node attribute.
    enum AttributeValue {
        case float(Float)
        case int(Int64)
        case ints([Int64])
    }

    /// One operator application: `outputs = opType(inputs)`.
    struct Node {
        var opType: String
        var name: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [(name: String, value: AttributeValue)] = []

        func encode(into w: inout ProtobufWriter) {
            for input in inputs { w.string(1, input) }
            for output in outputs { w.string(2, output) }
            w.string(3, name)
            w.string(4, opType)
            for (name, value) in attributes {
                w.message(5) { a in
                    a.string(1, name)
                    switch value {
                    case .float(let f):
                        a.float(2, f)
                        a.int64(20, 1)
                    case .int(let i):
                        a.int64(3, i)
                        a.int64(20, 2)
                    case .ints(let list):
                        for i in list { a.int64(8, i) }
                        a.int64(20, 7)
                    }
                }
            }
        }
    }

    /// A constant tensor (a weight, or a shape for `Reshape`), stored as little-endian raw bytes.
    struct Initializer {
        var name: String
        var dims: [Int]
        var dataType: DataType
        var raw: [UInt8]

        init(name: String, floats: [Float], dims: [Int]) {
            precondition(floats.count == dims.reduce(1, *), "ONNX initializer \(name): \(floats.count) values for shape \(dims)")
            self.name = name
            self.dims = dims
            dataType = .float
            raw = []
            raw.reserveCapacity(floats.count * 4)
            for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { raw += $0 } }
        }

        init(name: String, int64s: [Int64], dims: [Int]) {
            self.name = name
            self.dims = dims
            dataType = .int64
            raw = []
            for i in int64s { withUnsafeBytes(of: i.littleEndian) { raw += $0 } }
        }

        func encode(into w: inout ProtobufWriter) {
            for d in dims { w.int64(1, Int64(d)) }
            w.int64(2, dataType.rawValue)
            w.string(8, name)
            w.lengthDelimited(9, raw)
        }
    }

    /// One size of a graph input or output: fixed, or named (`N`, the batch size) and free.
    enum Dimension {
        case fixed(Int)
        case named(String)
    }

    /// A graph input or output: a name, an element type and a shape.
    struct ValueInfo {
        var name: String
        var dataType: DataType
        var shape: [Dimension]

        func encode(into w: inout ProtobufWriter) {
            w.string(1, name)
            w.message(2) { type in
                type.message(1) { tensor in
                    tensor.int64(1, dataType.rawValue)
                    tensor.message(2) { shapeProto in
                        for dimension in shape {
                            shapeProto.message(1) { d in
                                switch dimension {
                                case .fixed(let size): d.int64(1, Int64(size))
                                case .named(let name): d.string(2, name)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A whole model: one graph, its operator set, and string metadata.
    struct Model {
        var graphName: String
        var documentation: String
        var nodes: [Node]
        var initializers: [Initializer]
        var inputs: [ValueInfo]
        var outputs: [ValueInfo]
        var metadata: [(key: String, value: String)]
        var producerVersion: String

        /// The `ModelProto` bytes: what a `.onnx` file holds.
        func serialized() -> [UInt8] {
            var w = ProtobufWriter()
            w.int64(1, ONNXProto.irVersion)
            w.string(2, "nabla")
            w.string(3, producerVersion)
            w.message(7) { g in
                for node in nodes { g.message(1) { node.encode(into: &$0) } }
                g.string(2, graphName)
                for initializer in initializers { g.message(5) { initializer.encode(into: &$0) } }
                g.string(10, documentation)
                for input in inputs { g.message(11) { input.encode(into: &$0) } }
                for output in outputs { g.message(12) { output.encode(into: &$0) } }
            }
            w.message(8) { opset in
                opset.string(1, "")
                opset.int64(2, ONNXProto.opsetVersion)
            }
            for (key, value) in metadata {
                w.message(14) { entry in
                    entry.string(1, key)
                    entry.string(2, value)
                }
            }
            return w.bytes
        }
    }
}
