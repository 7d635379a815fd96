/// Inverted dropout: in training, each element is zeroed with probability `probability` and the
/// kept ones are scaled by `1 / (1 - probability)`, so the expected output equals the input and
/// evaluation needs no rescaling; in evaluation it is the identity. No parameters.
///
/// The masks come from a generator the layer owns, so the same seed gives the same masks run
/// after run. Layers built with the same seed draw the same masks: give each layer its own seed,
/// or build them all from one generator with `init(_:generator:)`.
public final class Dropout: Module {
    /// The chance that an element is dropped, in `[0, 1]`.
    public let probability: Double
    /// Whether the layer drops (training) or passes its input through (evaluation).
    public private(set) var isTraining = true
    /// The source of the masks: part of the state to save for resuming a run exactly.
    public var generator: RandomGenerator

    public var randomState: RandomGenerator? {
        get { generator }
        set { if let newValue { generator = newValue } }
    }

    /// - Parameters:
    ///   - probability: the chance that an element is dropped (0.5 unless given).
    ///   - seed: the seed of the layer's mask generator.
    public init(_ probability: Double = 0.5, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability <= 1, "Dropout: probability must be in [0, 1], got \(probability)")
        self.probability = probability
        self.generator = RandomGenerator(seed: seed)
    }

    /// A dropout layer whose mask generator is seeded from `generator` (one draw), so that the
    /// layers of a model built from one generator get different, reproducible masks.
    public convenience init(_ probability: Double = 0.5, generator: inout RandomGenerator) {
        self.init(probability, seed: generator.next())
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard isTraining, probability > 0 else { return x }
        // Under data-parallel training, draw the whole global batch's masks and keep this rank's rows.
        if let slice = BatchSlice.current, let rows = x.shape.first, slice.offset + rows <= slice.total {
            let shape = [slice.total] + x.shape.dropFirst()
            let mask = dropoutMask(shape, probability: probability, dtype: x.dtype, generator: &generator)
            return dropout(x, mask: mask[rows: slice.offset..<(slice.offset + rows)])
        }
        return dropout(x, mask: dropoutMask(x.shape, probability: probability, dtype: x.dtype, generator: &generator))
    }

    public func setTraining(_ training: Bool) { isTraining = training }

    public var description: String { "Dropout(\(probability))" }
}
