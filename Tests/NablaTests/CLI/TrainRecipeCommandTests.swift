import Foundation
import Testing
@testable import Nabla

/// `nabla train` with schedules, training aids, recipe files and a target accuracy, as a user types them.
@Suite struct TrainRecipeCommandTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-recipe-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    let base = ["train", "--data", "mnist-5k", "--model", "linear(10)", "--lr", "0.05", "--seed", "1"]

    @Test func aCosineRunWithEveryAidRecordsItsRatesAndNorms() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try GradCommandTests.run(base + ["--epochs", "2", "--schedule", "cosine", "--warmup", "0.5", "--clip-grad-norm", "5",
                                                   "--label-smoothing", "0.1", "--weight-decay", "1e-4", "--out", dir + "/run"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("optimizer: momentum, lr 0.05, schedule cosine, warm-up 0.5 epochs, weight decay 0.0001, reg 0.0, "
                                    + "label smoothing 0.1, clip grad norm 5.0, batch 100"), "\(run.stdout)")
        let config = try RunFolder.readConfig(dir + "/run")
        #expect(config.schedule == .warmupCosine(warmup: 0.5, total: 2, minimum: 0))
        #expect(config.clipGradientNorm == 5 && config.labelSmoothing == 0.1 && config.optimizer.weightDecay == 1e-4)
        let history = try RunRecord.read(dir + "/run")
        // Each epoch's rate is that of its last step (the second's is near 0: the cosine's end).
        let perEpoch = history.stepLosses.count / 2
        let expected = (0..<2).map {
            config.schedule.learningRate(base: 0.05, at: SchedulePosition(epoch: $0, step: perEpoch - 1, stepsPerEpoch: perEpoch))
        }
        #expect(history.metric("lr") == expected)
        // steps.csv holds every step's rate: the warm-up's first step runs at 0.05 · 1/(0.5·perEpoch).
        let everyStep = (0..<2 * perEpoch).map {
            config.schedule.learningRate(base: 0.05, at: SchedulePosition(epoch: $0 / perEpoch, step: $0 % perEpoch, stepsPerEpoch: perEpoch))
        }
        #expect(history.stepLearningRates == everyStep)
        #expect(abs(history.stepLearningRates[0] - 0.05 / (0.5 * Double(perEpoch))) < 1e-15)
        #expect(history.metric("grad_norm").allSatisfy { $0 > 0 } && history.metric("time").allSatisfy { $0 > 0 })
    }

    @Test func aSavedRecipeRunsAgainWithOverrides() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try GradCommandTests.run(base + ["--epochs", "1", "--schedule", "step:1:0.5", "--quiet", "--out", dir + "/a"])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try GradCommandTests.run(["train", "--recipe", dir + "/a/config.json", "--epochs", "2", "--lr", "0.04", "--quiet", "--out", dir + "/b"])
        #expect(again.status == 0, "\(again.stderr)")
        let b = try RunFolder.readConfig(dir + "/b")
        #expect(b.model == "linear(10)" && b.schedule == .stepDecay(every: 1, factor: 0.5) && b.epochs == 2)
        #expect(try RunRecord.read(dir + "/b").metric("lr") == [0.04, 0.02])

        try "{ not json".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try GradCommandTests.run(["train", "--recipe", dir + "/bad.json", "--epochs", "1"])
        #expect(bad.status != 0)
        #expect(bad.stderr.hasPrefix("error: \(dir)/bad.json: not a valid training recipe") && bad.stderr.split(separator: "\n").count == 1,
                "\(bad.stderr)")
        let missing = try GradCommandTests.run(["train", "--recipe", dir + "/none.json"])
        #expect(missing.stderr == "error: \(dir)/none.json: cannot read the recipe file\n")
    }

    @Test func theTargetAccuracyStopsTheRunAndIsRecorded() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try GradCommandTests.run(base + ["--epochs", "5", "--target-accuracy", "0.5", "--out", dir + "/run"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("stopped: reached validation accuracy "))
        #expect(run.stdout.contains(#/time to 0\.5 validation accuracy: \d+\.\d s \(epoch 1\)/#), "\(run.stdout)")
        let record = try JSONDecoder().decode(TargetAccuracy.Record.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/run/time_to_accuracy.json")))
        #expect(record.reached && record.epoch == 1 && record.target == 0.5)
        #expect(try RunRecord.read(dir + "/run").metric("elapsed") == [record.seconds!])
    }

    @Test(arguments: [
        (["--lr-decay", "0.9", "--schedule", "cosine"], "error: --lr-decay and --schedule cannot be given together (--lr-decay D is --schedule exp:D)"),
        (["--schedule", "linear"], "error: --schedule: 'linear': unknown schedule; use one of: \(TrainingRecipe.scheduleForms)"),
        (["--schedule", "step:2:half"], "error: --schedule: 'step:2:half': FACTOR must be a number, got 'half'"),
        (["--schedule", "step:2:0.5", "--warmup", "1"], "error: --warmup: only --schedule cosine has a warm-up"),
        (["--label-smoothing", "-0.1"], "error: --label-smoothing: must be in [0, 1), got -0.1"),
        (["--clip-grad-norm", "0"], "error: --clip-grad-norm: must be a positive number, got 0.0"),
        (["--target-accuracy", "93"], "error: --target-accuracy: must be a validation accuracy in (0, 1], got 93.0"),
        (["--weight-decay", "-1"], "error: --weight-decay: must be a number ≥ 0, got -1.0"),
    ])
    func badOptionsAreOneLineErrorsNamingTheFlag(options: [String], message: String) throws {
        let run = try GradCommandTests.run(base + ["--epochs", "1"] + options)
        #expect(run.status != 0)
        #expect(run.stderr == message + "\n", "\(run.stderr)")
    }
}
