import Foundation
import Testing
@testable import Nabla

@Suite struct ModuleSerializationTests {
    typealias F = SerializationFixtures

    static func model(seed: UInt64, dtype: DType = .float32) -> Sequential {
        Sequential(Linear(4, 3, dtype: dtype, seed: seed), Linear(3, 2, dtype: dtype, seed: seed + 1))
    }

    static let input = Tensor((0..<8).map { Float($0) * 0.25 - 1 }, shape: [2, 4])

    @Test func saveThenLoadRestoresEveryParameterAndTheOutputs() throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/checkpoints/model.safetensors"
            let original = Self.model(seed: 1)
            original.parameters()[1].variable.value = Tensor([0.5, -0.25, 2])  // a non-zero bias
            try original.save(to: path, metadata: ["epoch": "7"])

            let (tensors, metadata) = try Safetensors.read(path)
            #expect(metadata == ["epoch": "7"])
            #expect(tensors.keys.sorted() == ["0.bias", "0.weight", "1.bias", "1.weight"])
            #expect(tensors["0.weight"]?.shape == [3, 4])

            let restored = Self.model(seed: 99)
            #expect(restored(Self.input) != original(Self.input))
            try restored.load(from: path)
            for (a, b) in zip(original.parameters(), restored.parameters()) {
                #expect(a.name == b.name && a.variable.value == b.variable.value, "\(a.name)")
            }
            #expect(restored(Self.input) == original(Self.input))
        }
    }

    @Test func loadingAssignsIntoTheExistingVariablesSoTheOptimizerKeepsWorking() throws {
        let source = Self.model(seed: 1), target = Self.model(seed: 2)
        let variablesBefore = target.parameters().map { ObjectIdentifier($0.variable) }
        let optimizer = try SGD(target.parameters(), learningRate: 0.5)
        try target.loadStateDict(source.stateTensors())
        #expect(target.parameters().map { ObjectIdentifier($0.variable) } == variablesBefore)

        for (_, p) in target.parameters() { p.grad = Tensor.ones(like: p.value) }
        optimizer.step()
        for (s, t) in zip(source.parameters(), target.parameters()) {
            #expect(t.variable.value.isAlmostEqual(to: s.variable.value - 0.5), "\(t.name)")
        }
    }

    @Test func theOtherFloatTypeIsConvertedToTheModels() throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/double.safetensors"
            let doubleModel = Self.model(seed: 3, dtype: .float64)
            try doubleModel.save(to: path)
            let floatModel = Self.model(seed: 4)
            try floatModel.load(from: path)
            for (d, f) in zip(doubleModel.parameters(), floatModel.parameters()) {
                #expect(f.variable.dtype == .float32)
                #expect(f.variable.value == d.variable.value.converted(to: .float32))
            }
        }
    }

    @Test func buffersAreSavedAndLoadedWithTheParameters() throws {
        let source = Sequential(Linear(2, 3, seed: 5), BatchNorm(3))
        source.buffers()[0].variable.value = Tensor([1, 2, 3])
        let names = try source.stateTensors().keys.sorted()
        #expect(names == ["0.bias", "0.weight", "1.bias", "1.running_mean", "1.running_var", "1.weight"])
        let target = Sequential(Linear(2, 3, seed: 6), BatchNorm(3))
        try target.loadStateDict(source.stateTensors())
        #expect(target.buffers()[0].variable.value == Tensor([1, 2, 3]))
    }

    @Test func anotherArchitectureListsWhatDiffersAndChangesNothing() throws {
        try F.withTemporaryDirectory { dir in
            let path = dir + "/model.safetensors"
            try Self.model(seed: 1).save(to: path)

            let wider = Sequential(Linear(4, 5, seed: 2), Linear(5, 2, seed: 3))
            let before = try wider.stateTensors()
            let error = #expect(throws: SerializationError.self) { try wider.load(from: path) }
            #expect(error == .stateDictMismatch(source: path, missing: [], unexpected: [], wrongShape: [
                .init(name: "0.weight", expected: [5, 4], found: [3, 4]),
                .init(name: "0.bias", expected: [5], found: [3]),
                .init(name: "1.weight", expected: [2, 5], found: [2, 3]),
            ]))
            #expect(error?.description == "\(path) does not match the model (saved from another architecture?): "
                + "wrong shape for '0.weight' (model [5, 4], found [3, 4]), '0.bias' (model [5], found [3]), "
                + "'1.weight' (model [2, 5], found [2, 3])")
            #expect(try wider.stateTensors() == before)

            #expect(throws: SerializationError.stateDictMismatch(
                source: path, missing: [], unexpected: ["1.bias", "1.weight"], wrongShape: [])) {
                try Sequential(Linear(4, 3)).load(from: path)
            }
            #expect(throws: SerializationError.stateDictMismatch(
                source: path, missing: ["2.weight", "2.bias"], unexpected: [], wrongShape: [])) {
                try Sequential(Linear(4, 3), Linear(3, 2), Linear(2, 2)).load(from: path)
            }
            #expect(throws: SerializationError.stateDictMismatch(
                source: "The state dict", missing: ["1.bias"], unexpected: ["1.b"], wrongShape: [])) {
                var tensors = try Self.model(seed: 1).stateTensors()
                tensors["1.b"] = tensors.removeValue(forKey: "1.bias")
                try Self.model(seed: 1).loadStateDict(tensors)
            }
        }
    }

    /// A module that lists two parameters under one name would lose one of them when saved.
    final class Clash: Module {
        let a = Variable(Tensor([1]), requiresGrad: true), b = Variable(Tensor([2]), requiresGrad: true)
        var ownParameters: [(name: String, variable: Variable)] { [("w", a), ("w", b)] }
        func callAsFunction(_ x: Variable) -> Variable { x }
    }

    @Test func duplicateNamesAreAnError() {
        #expect(throws: SerializationError.duplicateName("w")) { try Clash().save(to: "/nonexistent/x") }
        #expect(throws: SerializationError.duplicateName("w")) { try Clash().loadStateDict(["w": Tensor([3])]) }
    }
}
