import Foundation
import Testing
@testable import Nabla

/// `DataRecipe.classes` (`--classes N`): a data set whose labels leave some classes without
/// examples loads when the count is stated, and a label at or above it is an error naming the file
/// and the label.
@Suite struct DeclaredClassCountTests {
    func withCSV(labels: [Int], _ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-classes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = "x,y,label\n" + labels.enumerated().map { "\($0.offset),\($0.offset % 4),\($0.element)\n" }.joined()
        try csv.write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
        try body(dir + "/data.csv")
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func statedClassesMayHaveNoExamples() throws {
        try withCSV(labels: [0, 1, 4, 0, 1, 4]) { path in
            #expect(message { try DataRecipe(source: path).loadDataset() }.contains("label 4 (2 examples) leaves classes 2 to 3 without examples"))
            let (data, _) = try DataRecipe(source: path, classes: 6).loadDataset()
            #expect(data.classCount == 6)
            #expect(data.classCounts == [2, 2, 0, 0, 2, 0])
        }
    }

    @Test func aLabelAtOrAboveTheStatedCountNamesTheFileAndTheLabel() throws {
        try withCSV(labels: [0, 1, 2, 0, 7, 1]) { path in
            #expect(message { try DataRecipe(source: path, classes: 5).loadDataset() }
                    == "\(path), line 6: label 7 is out of range for 5 classes (0…4)")
        }
    }

    @Test func aFixedCountFormatRefusesAnotherCount() throws {
        #expect(message { try DataRecipe(source: "mnist-5k", classes: 12).loadDataset() }
                == "data.classes: mnist-5k holds 10 classes, a fixed number, not 12")
        #expect(try DataRecipe(source: "mnist-5k", classes: 10).loadDataset().0.classCount == 10)
    }

    @Test func fewerThanTwoClassesIsASettingError() throws {
        #expect(throws: SettingError(field: "data.classes", "must be at least 2, got 1")) { try DataRecipe(classes: 1).validate() }
    }

    @Test func theCountIsSavedInTheRecipeAndOldRecipesReadWithout() throws {
        let recipe = DataRecipe(source: "a.csv", classes: 12)
        let decoded = try JSONDecoder().decode(DataRecipe.self, from: JSONEncoder().encode(recipe))
        #expect(decoded.classes == 12)
        #expect(try JSONDecoder().decode(DataRecipe.self, from: Data(#"{"source": "a.csv"}"#.utf8)).classes == nil)
    }
}
