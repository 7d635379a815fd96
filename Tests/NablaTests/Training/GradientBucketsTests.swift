import Testing
@testable import Nabla

/// Gradient buckets start their reductions during the backward pass, last layer first, as soon as
/// backward has finished their parameters, and end with the summed gradients.
@Suite struct GradientBucketsTests {
    /// One process that writes down when each reduction starts and when it is waited for.
    final class RecordingCommunicator: Communicator {
        var events: [String] = []
        var rank: Int { 0 }
        var size: Int { 1 }
        func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
        func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
        func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any CommunicationRequest {
            events.append("start \(buffer.count)")
            return Request { self.events.append("wait \(buffer.count)") }
        }
        func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {}
        func barrier() throws {}

        final class Request: CommunicationRequest {
            let onWait: () -> Void
            init(_ onWait: @escaping () -> Void) { self.onWait = onWait }
            func wait() throws { onWait() }
        }
    }

    @Test func theLastLayersBucketStartsBeforeBackwardReachesTheFirstLayer() throws {
        var g = RandomGenerator(seed: 1)
        let model = Sequential(Linear(20, 30, generator: &g), ReLU(), Linear(30, 10, generator: &g))
        let communicator = RecordingCommunicator()
        // 310 floats per bucket: the last layer (10 + 300), then the first layer's bias (30) and weight (600), each alone.
        let buckets = GradientBuckets(parameters: model.parameters().map(\.variable), communicator: communicator, capacity: 310)
        let names = Dictionary(uniqueKeysWithValues: model.parameters().map { (ObjectIdentifier($0.variable), $0.name) })
        let x = Tensor.randomNormal([8, 20], generator: &g)
        let loss = softmaxCrossEntropy(logits: model(Variable(x)), labels: Array(0..<8))
        loss.backward { leaf in
            communicator.events.append("final \(names[ObjectIdentifier(leaf)]!)")
            buckets.gradientIsFinal(leaf)
        }
        let expected = model.parameters().map { $0.variable.grad! }
        try buckets.finish()
        #expect(communicator.events.firstIndex(of: "start 310")! < communicator.events.firstIndex(of: "final 0.weight")!)
        #expect(communicator.events.filter { $0.hasPrefix("start") } == ["start 310", "start 30", "start 600"])
        #expect(Array(communicator.events.suffix(3)) == ["wait 310", "wait 30", "wait 600"])
        // One process: the sums are the gradients themselves.
        #expect(model.parameters().map { $0.variable.grad! } == expected)
    }
}
