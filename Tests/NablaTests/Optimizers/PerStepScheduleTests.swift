import Foundation
import Testing
@testable import Nabla

/// Schedules that change the rate within an epoch, at chosen steps worked out by hand (base 0.1
/// unless said otherwise).
@Suite struct PerStepScheduleTests {
    func rate(_ schedule: LearningRateSchedule, base: Double = 0.1, epoch: Int, step: Int, of steps: Int) -> Double {
        schedule.learningRate(base: base, at: SchedulePosition(epoch: epoch, step: step, stepsPerEpoch: steps))
    }

    @Test func cosineWithAFractionalWarmUp() throws {
        // 4 steps per epoch, warm-up 0.5 epochs = 2 steps, cosine over the rest of 2 epochs = steps 2..<8.
        let schedule = LearningRateSchedule.warmupCosine(warmup: 0.5, total: 2, minimum: 0)
        try schedule.validate()
        #expect(rate(schedule, epoch: 0, step: 0, of: 4) == 0.05)            // 0.1 · 1/2
        #expect(rate(schedule, epoch: 0, step: 1, of: 4) == 0.1)             // 0.1 · 2/2: warm-up done
        #expect(rate(schedule, epoch: 0, step: 2, of: 4) == 0.1)             // cosine at 0
        // step 4: progress (4 - 2)/6 = 1/3, cos(π/3) = 1/2 → 0.1 · 1.5/2 = 0.075
        #expect(abs(rate(schedule, epoch: 1, step: 0, of: 4) - 0.075) < 1e-15)
        // step 5: progress 1/2, cos(π/2) = 0 → 0.05
        #expect(abs(rate(schedule, epoch: 1, step: 1, of: 4) - 0.05) < 1e-15)
        #expect(rate(schedule, epoch: 2, step: 0, of: 4) == 0)               // past the end: the minimum
    }

    @Test func inverseTimeReadsFractionalEpochs() {
        // Epoch 1, step 2 of 4: t = 1.5 epochs, 0.1 / (1 + 0.5·1.5) = 0.1 / 1.75.
        #expect(rate(.inverseTime(rate: 0.5), epoch: 1, step: 2, of: 4) == 0.1 / 1.75)
        #expect(rate(.inverseTime(rate: 0.5), epoch: 0, step: 0, of: 4) == 0.1)
    }

    @Test func oneCycleMatchesPyTorchsOneCycleLR() throws {
        // OneCycleLR(max_lr=1, total_steps=10, div_factor=25, final_div_factor=1e4): starts at 0.04,
        // peaks at step 0.3·10 - 1 = 2, ends at 0.04/1e4 = 4e-6 at step 9. 2 epochs of 5 steps.
        let schedule = LearningRateSchedule.oneCycle(maximum: 1, total: 2)
        try schedule.validate()
        #expect(abs(rate(schedule, base: 0.04, epoch: 0, step: 0, of: 5) - 0.04) < 1e-15)
        // step 1: halfway up, 1 + (0.04 - 1)·(1 + cos(π/2))/2 = 0.52
        #expect(abs(rate(schedule, base: 0.04, epoch: 0, step: 1, of: 5) - 0.52) < 1e-15)
        #expect(rate(schedule, base: 0.04, epoch: 0, step: 2, of: 5) == 1)
        // step 4: (4 - 2)/7 of the way down, 4e-6 + (1 - 4e-6)·(1 + cos(2π/7))/2
        let down = 4e-6 + (1 - 4e-6) * (1 + cos(2 * Double.pi / 7)) / 2
        #expect(abs(rate(schedule, base: 0.04, epoch: 0, step: 4, of: 5) - down) < 1e-15)
        #expect(abs(rate(schedule, base: 0.04, epoch: 1, step: 4, of: 5) - 4e-6) < 1e-18)
        #expect(abs(rate(schedule, base: 0.04, epoch: 3, step: 0, of: 5) - 4e-6) < 1e-18)
    }

    @Test func onlyTheContinuousSchedulesChangeWithinAnEpoch() {
        #expect(!LearningRateSchedule.constant.isPerStep)
        #expect(!LearningRateSchedule.stepDecay(every: 2, factor: 0.5).isPerStep)
        #expect(!LearningRateSchedule.multiplicative(decay: 0.9).isPerStep)
        // A per-epoch schedule gives every step of an epoch the epoch's rate.
        #expect(rate(.stepDecay(every: 1, factor: 0.5), epoch: 1, step: 3, of: 4) == 0.05)
        #expect(LearningRateSchedule.inverseTime(rate: 1).isPerStep)
        #expect(LearningRateSchedule.warmupCosine(warmup: 1, total: 5, minimum: 0).isPerStep)
        #expect(LearningRateSchedule.oneCycle(maximum: 1, total: 5).isPerStep)
    }

    @Test func badSettingsAreClearErrors() {
        let cases: [(LearningRateSchedule, String)] = [
            (.oneCycle(maximum: 0, total: 5), "Invalid one-cycle maximum learning rate: 0 (expected a finite value > 0)"),
            (.oneCycle(maximum: 1, total: 0), "Invalid one-cycle length: 0 (expected a whole number >= 1)"),
            (.warmupCosine(warmup: 2.5, total: 2, minimum: 0),
             "Invalid cosine schedule length: 2 (expected a whole number greater than the warm-up length 2.5)"),
        ]
        for (schedule, message) in cases {
            let error = #expect(throws: OptimizerError.self) { try schedule.validate() }
            #expect(error?.description == message)
        }
    }

    /// The trainer asks a per-step schedule for the rate of every step; the epoch records the last.
    @Test func theTrainerSetsThePerStepRateBeforeEveryStep() throws {
        final class Rates: TrainingCallback {
            var seen: [Double] = []
            func batchDidEnd(_ state: TrainingState, loss: Double) throws { seen.append(state.optimizer.learningRate) }
        }
        let rates = Rates()
        var g = RandomGenerator(seed: 3)
        let model = Sequential(Linear(784, 10, generator: &g))
        var options = TrainerOptions()
        options.epochs = 2
        options.batchSize = 500   // 4000 examples: 8 steps per epoch
        options.learningRate = 0.1
        options.schedule = .warmupCosine(warmup: 0.5, total: 2, minimum: 0)
        options.verbose = false
        let trainer = Trainer(model: model, optimizer: try SGD(model.parameters(), learningRate: 0.1), options: options, callbacks: [rates])
        try trainer.fit(train: TrainerTests.mnist.train, validation: TrainerTests.mnist.validation)
        let expected = (0..<16).map { options.schedule.learningRate(base: 0.1, at: SchedulePosition(epoch: $0 / 8, step: $0 % 8, stepsPerEpoch: 8)) }
        #expect(rates.seen == expected)
        #expect(rates.seen[0] == 0.025)   // 0.1 · 1/4 warm-up steps
        #expect(trainer.history.metric("lr") == [expected[7], expected[15]])
    }
}
