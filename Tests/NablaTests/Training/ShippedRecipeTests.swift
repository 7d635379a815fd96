import Foundation
import Testing
@testable import Nabla

/// The recipes shipped in `recipes/`: each parses, names only settings this nabla knows, and
/// validates (model spec included) — no data loaded, no training.
@Suite struct ShippedRecipeTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("recipes").path

    static let shipped = ["mnist-5k.json", "fashion-mnist.json"]

    @Test(arguments: ShippedRecipeTests.shipped) func aShippedRecipeReadsAndValidates(file: String) throws {
        let recipe = try TrainingRecipe.read(Self.folder + "/" + file)
        try recipe.validate()
        #expect(recipe.version == TrainingRecipe.currentVersion && recipe.epochs >= 1)
        // A one-cycle or cosine schedule must span the recipe's epochs (--epochs stretches both together).
        if case .oneCycle(_, let total) = recipe.schedule { #expect(total == recipe.epochs) }
        if case .warmupCosine(_, let total, _) = recipe.schedule { #expect(total == recipe.epochs) }
    }

    @Test func everyRecipeInTheFolderIsTested() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set(Self.shipped))
    }

    @Test func aRecipeNamesOnlyFieldsTheReaderKnows() throws {
        // A misspelled key would be ignored silently by the reader; the shipped files must not have one.
        for file in Self.shipped {
            let contents = try #require(FileManager.default.contents(atPath: Self.folder + "/" + file))
            let object = try #require(try JSONSerialization.jsonObject(with: contents) as? [String: Any])
            let unknown = object.keys.filter { TrainingRecipe.CodingKeys(stringValue: $0) == nil }
            #expect(unknown.isEmpty, "\(file): unknown fields \(unknown)")
        }
    }
}
