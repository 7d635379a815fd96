import Foundation
import Testing
@testable import Nabla

/// The typed recipe: what `config.json` holds, how old files migrate, and how bad settings are named.
@Suite struct TrainingRecipeTests {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Resources").path

    @Test func aRecipeSurvivesJSON() throws {
        var recipe = TrainingRecipe()
        recipe.data = DataRecipe(source: "digits.csv", labelColumn: "label", validation: 500, test: 0.2, stratify: true,
                                 preprocess: .standardize, scale: .factor(0.5))
        recipe.initializer = .gaussian(scale: 0.01)
        recipe.optimizer = OptimizerRecipe(.adamw, learningRate: 3e-4, weightDecay: 0.05)
        recipe.schedule = .warmupCosine(warmup: 2, total: 20, minimum: 0)
        recipe.augmentation = try Augmentation(parsing: "flip,crop:4")
        recipe.earlyStopping = EarlyStoppingRecipe(metric: "val_loss", patience: 3)
        let decoded = try JSONDecoder().decode(TrainingRecipe.self, from: recipe.json())
        #expect(decoded == recipe)
        // Settings are written as a user types them.
        let text = String(decoding: try recipe.json(), as: UTF8.self)
        #expect(text.contains(#""initializer" : "gaussian:0.01""#) && text.contains(#""kind" : "adamw""#) && text.contains(#""scale" : "0.5""#))
    }

    @Test func aHandWrittenRecipeNamesOnlyWhatItChanges() throws {
        let json = #"{"version": 3, "model": "linear(10)", "optimizer": {"kind": "adam", "learningRate": 0.001}}"#
        let recipe = try JSONDecoder().decode(TrainingRecipe.self, from: Data(json.utf8))
        #expect(recipe.model == "linear(10)" && recipe.optimizer.kind == .adam && recipe.epochs == TrainingRecipe().epochs)
        #expect(recipe.data == DataRecipe())
    }

    @Test func aVersion1RunFolderMigratesOnRead() throws {
        let recipe = try RunFolder.readConfig(Self.resources + "/run-v1")
        #expect(recipe.version == TrainingRecipe.currentVersion && recipe.data.poolsTestFiles)
        #expect(recipe.data.source == "mnist-5k" && recipe.data.validation == 0.1 && recipe.seed == 3)
        #expect(recipe.model == "linear(16), relu, dropout(0.2), linear(10)")
        // Version 1 saved adamw's default decay with every rule; only adamw used it.
        #expect(recipe.optimizer == OptimizerRecipe(.momentum, learningRate: 0.05, momentum: 0.9, weightDecay: nil))
        #expect(recipe.schedule == .multiplicative(decay: 0.9))
        #expect(recipe.earlyStopping == EarlyStoppingRecipe(metric: "val_loss", patience: 3))
        #expect(recipe.inputShape == [1, 28, 28] && recipe.classNames.count == 10 && recipe.preprocessor != nil)
        // Its weights load into the model the recipe builds.
        let (model, _) = try RunFolder.loadModel(Self.resources + "/run-v1")
        #expect(model.parameters().count == 4)
    }

    @Test func aNewerVersionIsRefusedNamingTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"version": 99}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: DataError.self) { try TrainingRecipe.read(path) }
        #expect(error?.description.contains("version 99 is newer") == true)
        #expect(error?.description.hasPrefix(path) == true)
    }

    @Test func badSettingsNameTheirField() {
        func field(_ change: (inout TrainingRecipe) -> Void) -> String? {
            var recipe = TrainingRecipe()
            change(&recipe)
            do { try recipe.validate(); return nil } catch let error as SettingError { return error.field } catch { return "\(error)" }
        }
        #expect(field { _ in } == nil)
        #expect(field { $0.epochs = 0 } == "epochs")
        #expect(field { $0.batchSize = -5 } == "batchSize")
        #expect(field { $0.regularization = .nan } == "regularization")
        #expect(field { $0.data.validation = 1.5 } == "data.validation")
        #expect(field { $0.data.test = -1 } == "data.test")
        #expect(field { $0.earlyStopping = EarlyStoppingRecipe(metric: "foo") } == "earlyStopping.metric")
        #expect(throws: SettingError.self) { try OptimizerRecipe.Kind(parsing: "adamax") }
        #expect(throws: SettingError.self) { try Initializer(parsing: "gaussian:-1") }
        #expect(throws: OptimizerError.self) { try OptimizerRecipe(.sgd, learningRate: -1).validate() }
    }

    @Test func theRecipeBuildsTheModelAndTrainerItDescribes() throws {
        var recipe = TrainingRecipe()
        recipe.model = "linear(10)"
        recipe.epochs = 1
        recipe.optimizer = OptimizerRecipe(.sgd, learningRate: 0.1)
        let splits = try recipe.loadData()
        #expect(recipe.inputShape == [1, 28, 28] && recipe.classNames.count == 10)
        let trainer = try recipe.makeTrainer(verbose: false)
        #expect(trainer.optimizer is SGD && trainer.optimizer.learningRate == 0.1)
        let result = try trainer.fit(train: splits.train, validation: splits.validation)
        #expect((result.bestValidationAccuracy ?? 0) > 0.8)
        // The same recipe gives the same weights.
        let again = try recipe.makeTrainer(verbose: false)
        try again.fit(train: splits.train, validation: splits.validation)
        #expect(again.model.stateDict().map(\.variable.value) == trainer.model.stateDict().map(\.variable.value))
    }
}
