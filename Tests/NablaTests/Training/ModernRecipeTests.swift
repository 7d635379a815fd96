import Foundation
import Testing
@testable import Nabla

/// The recipe's schedule text, training aids and time-to-accuracy.
@Suite struct ModernRecipeTests {
    func recipe(epochs: Int = 10, _ text: String, warmup: Double? = nil) throws -> TrainingRecipe {
        var recipe = TrainingRecipe()
        recipe.epochs = epochs
        try recipe.setSchedule(text, warmup: warmup)
        return recipe
    }

    @Test func schedulesReadAsUsersWriteThem() throws {
        #expect(try recipe("constant").schedule == .constant)
        #expect(try recipe("step:3:0.5").schedule == .stepDecay(every: 3, factor: 0.5))
        #expect(try recipe("exp:0.95").schedule == .multiplicative(decay: 0.95))
        #expect(try recipe("inv:0.5").schedule == .inverseTime(rate: 0.5))
        #expect(try recipe("cosine").schedule == .warmupCosine(warmup: 0, total: 10, minimum: 0))
        #expect(try recipe(epochs: 20, "cosine", warmup: 1.5).schedule == .warmupCosine(warmup: 1.5, total: 20, minimum: 0))
        #expect(try recipe(epochs: 8, "onecycle:0.4").schedule == .oneCycle(maximum: 0.4, total: 8))
        let plateau = try recipe("plateau:val_loss:0.5:2")
        #expect(plateau.schedule == .constant && plateau.plateau == PlateauRecipe(metric: "val_loss", factor: 0.5, patience: 2))
        #expect(try recipe("step:3:0.5").scheduleText == "step:3:0.5")
        #expect(plateau.scheduleText == "plateau:val_loss:0.5:2")
    }

    @Test func badSchedulesAreOneLineErrorsNamingTheProblem() throws {
        let cases: [(String, Double?, String)] = [
            ("linear", nil, "schedule: 'linear': unknown schedule; use one of: \(TrainingRecipe.scheduleForms)"),
            ("step:3", nil, "schedule: 'step:3': expected step:EPOCHS:FACTOR"),
            ("step:x:0.5", nil, "schedule: 'step:x:0.5': EPOCHS must be a whole number, got 'x'"),
            ("step:0:0.5", nil, "schedule: 'step:0:0.5': Invalid step decay interval: 0 (expected a whole number >= 1)"),
            ("exp:fast", nil, "schedule: 'exp:fast': FACTOR must be a number, got 'fast'"),
            ("onecycle:-1", nil, "schedule: 'onecycle:-1': Invalid one-cycle maximum learning rate: -1 (expected a finite value > 0)"),
            ("plateau:val_f1:0.5:2", nil, "schedule: plateau: unknown metric 'val_f1'; choose one of: val_acc, val_loss, train_acc, loss"),
            ("plateau:val_acc:2:2", nil, "schedule: plateau: FACTOR must be in (0, 1), got 2.0"),
            ("step:3:0.5", 1, "schedule.warmup: only the cosine schedule has a warm-up"),
            ("cosine", 10, "schedule.warmup: must be a number of epochs in [0, 10), got 10.0"),
        ]
        for (text, warmup, message) in cases {
            let error = #expect(throws: SettingError.self) { try recipe(text, warmup: warmup) }
            #expect(error?.description == message)
        }
    }

    @Test func trainingAidsAreCheckedAndSaved() throws {
        var recipe = TrainingRecipe()
        recipe.labelSmoothing = 0.1
        recipe.clipGradientNorm = 2
        recipe.targetAccuracy = 0.95
        recipe.optimizer.weightDecay = 5e-4
        try recipe.setSchedule("plateau:val_acc:0.5:1")
        let decoded = try JSONDecoder().decode(TrainingRecipe.self, from: recipe.json())
        #expect(decoded == recipe)
        #expect(recipe.trainerOptions().loss == .labelSmoothedCrossEntropy(smoothing: 0.1))
        #expect(recipe.trainerOptions().maxGradientNorm == 2)

        func field(_ change: (inout TrainingRecipe) -> Void) -> String? {
            var recipe = TrainingRecipe()
            change(&recipe)
            do { try recipe.validate(); return nil } catch let error as SettingError { return error.field } catch { return "\(error)" }
        }
        #expect(field { $0.labelSmoothing = -0.1 } == "labelSmoothing")
        #expect(field { $0.labelSmoothing = 1 } == "labelSmoothing")
        #expect(field { $0.clipGradientNorm = 0 } == "clipGradientNorm")
        #expect(field { $0.targetAccuracy = 1.5 } == "targetAccuracy")
        #expect(field { $0.schedule = .oneCycle(maximum: 1, total: 0) } == "schedule")
    }

    @Test func aVersion2RecipeKeepsItsWeightDecayOnlyForAdamW() throws {
        // Version 2 wrote adamw's decay with every rule; only adamw used it.
        let momentum = #"{"version": 2, "optimizer": {"kind": "momentum", "weightDecay": 0.01}}"#
        let adamw = #"{"version": 2, "optimizer": {"kind": "adamw", "weightDecay": 0.05}}"#
        let now = #"{"version": 3, "optimizer": {"kind": "momentum", "weightDecay": 0.01}}"#
        func read(_ json: String) throws -> TrainingRecipe { try JSONDecoder().decode(TrainingRecipe.self, from: Data(json.utf8)) }
        #expect(try read(momentum).optimizer.effectiveWeightDecay == 0)
        #expect(try read(adamw).optimizer.effectiveWeightDecay == 0.05)
        #expect(try read(now).optimizer.effectiveWeightDecay == 0.01)
        #expect(try read(momentum).version == TrainingRecipe.currentVersion)
    }

    @Test func aLongerRunStretchesItsCosine() throws {
        var recipe = try recipe(epochs: 10, "cosine", warmup: 1)
        recipe.setEpochs(30)
        #expect(recipe.schedule == .warmupCosine(warmup: 1, total: 30, minimum: 0) && recipe.epochs == 30)
    }

    @Test func theTargetAccuracyStopsTheRunAndSaysWhen() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("target-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        var g = RandomGenerator(seed: 3)
        let model = Sequential(Linear(784, 10, generator: &g))
        var options = TrainerOptions()
        options.epochs = 20
        options.learningRate = 0.05
        options.verbose = false
        let target = TargetAccuracy(0.8, file: file)
        let trainer = Trainer(model: model, optimizer: try Momentum(model.parameters(), learningRate: 0.05), options: options, callbacks: [target])
        let result = try trainer.fit(train: TrainerTests.mnist.train, validation: TrainerTests.mnist.validation)
        let reached = try #require(target.reached)
        let accuracies = trainer.history.metric("val_acc")
        // It stops at the first epoch at or above the target, and not before.
        #expect(result.epochsRun == reached.epoch && accuracies.count == reached.epoch)
        #expect(accuracies.last! >= 0.8 && accuracies.dropLast().allSatisfy { $0 < 0.8 })
        // The elapsed time is the sum of the epochs' times.
        #expect(abs(reached.seconds - trainer.history.metric("time").reduce(0, +)) < 1e-9)
        #expect(trainer.history.metric("elapsed") == Array(trainer.history.metric("time").reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1) }))
        let record = try JSONDecoder().decode(TargetAccuracy.Record.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(record == target.record && record.reached && record.epoch == reached.epoch)
    }
}
