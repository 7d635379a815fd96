import Foundation
import Testing
@testable import Nabla

@Suite struct ScheduleTests {
    /// (schedule, epoch, expected rate) with base rate 0.1, worked out from each formula.
    static let cases: [(LearningRateSchedule, Int, Double)] = [
        (.constant, 0, 0.1),
        (.constant, 7, 0.1),
        // 0.1 · 0.5^⌊t/3⌋
        (.stepDecay(every: 3, factor: 0.5), 0, 0.1),
        (.stepDecay(every: 3, factor: 0.5), 2, 0.1),
        (.stepDecay(every: 3, factor: 0.5), 3, 0.05),
        (.stepDecay(every: 3, factor: 0.5), 5, 0.05),
        (.stepDecay(every: 3, factor: 0.5), 6, 0.025),
        (.stepDecay(every: 3, factor: 0.5), 10, 0.0125),          // ⌊10/3⌋ = 3
        // 0.1 · e^(-0.1·t): e^-0.5 = 0.6065306597126334, e^-1 = 0.36787944117144233
        (.exponential(rate: 0.1), 0, 0.1),
        (.exponential(rate: 0.1), 5, 0.06065306597126334),
        (.exponential(rate: 0.1), 10, 0.036787944117144233),
        // 0.1 · 0.95^t: 0.095, 0.09025, and 0.95^10 = 0.5987369392383789
        (.multiplicative(decay: 0.95), 0, 0.1),
        (.multiplicative(decay: 0.95), 1, 0.095),
        (.multiplicative(decay: 0.95), 2, 0.09025),
        (.multiplicative(decay: 0.95), 10, 0.05987369392383789),
        // 0.1 / (1 + 0.5·t): 0.1/1.5, 0.1/3
        (.inverseTime(rate: 0.5), 0, 0.1),
        (.inverseTime(rate: 0.5), 1, 0.1 / 1.5),
        (.inverseTime(rate: 0.5), 4, 0.1 / 3),
        // warm-up 0.1·(t+1)/4: 0.025, 0.05, …, 0.1 at t = 3; then 0.001 + 0.099·(1 + cos(π·(t-4)/8))/2:
        // t = 4: cos 0 = 1 → 0.1; t = 6: cos(π/4) = 0.7071067811865476 → 0.001 + 0.099·0.8535533905932737;
        // t = 8: cos(π/2) = 0 → 0.001 + 0.0495 = 0.0505; t = 12: cos π = -1 → 0.001; after: 0.001
        (.warmupCosine(warmup: 4, total: 12, minimum: 0.001), 0, 0.025),
        (.warmupCosine(warmup: 4, total: 12, minimum: 0.001), 1, 0.05),
        (.warmupCosine(warmup: 4, total: 12, minimum: 0.001), 3, 0.1),
        (.warmupCosine(warmup: 4, total: 12, minimum: 0.001), 4, 0.1),
        (.warmupCosine(warmup: 4, total: 12, minimum: 0.001), 6, 0.0855017856687341),
        (.warmupCosine(warmup: 4, total: 12, minimum: 0.001), 8, 0.0505),
        (.warmupCosine(warmup: 4, total: 12, minimum: 0.001), 12, 0.001),
        (.warmupCosine(warmup: 4, total: 12, minimum: 0.001), 40, 0.001),
        // no warm-up: cosine annealing from 0.1 at t = 0 to 0 at t = 10; t = 5 is halfway
        (.warmupCosine(warmup: 0, total: 10, minimum: 0), 0, 0.1),
        (.warmupCosine(warmup: 0, total: 10, minimum: 0), 5, 0.05),
    ]

    @Test func ratesAtChosenEpochsMatchTheFormulas() throws {
        for (schedule, epoch, expected) in Self.cases {
            try schedule.validate()
            let rate = schedule.learningRate(base: 0.1, at: epoch)
            #expect(abs(rate - expected) <= 1e-15, "\(schedule) at \(epoch): \(rate) vs \(expected)")
        }
    }

    /// The lectures' trainer multiplies the rate by `learning_rate_decay` after each epoch.
    @Test func multiplicativeDecayEqualsTheLecturesLoop() {
        var rate = 3e-3
        for epoch in 0..<30 {
            let scheduled = LearningRateSchedule.multiplicative(decay: 0.95).learningRate(base: 3e-3, at: epoch)
            #expect(abs(scheduled - rate) <= 1e-15 * rate)
            rate *= 0.95
        }
    }

    @Test func invalidSettingsAreClearErrors() {
        let cases: [(LearningRateSchedule, String)] = [
            (.stepDecay(every: 0, factor: 0.5), "Invalid step decay interval: 0 (expected a whole number >= 1)"),
            (.stepDecay(every: 2, factor: 1.5), "Invalid step decay factor: 1.5 (expected a value in (0, 1])"),
            (.exponential(rate: -1), "Invalid exponential decay rate: -1 (expected a finite value >= 0)"),
            (.multiplicative(decay: 0), "Invalid learning rate decay: 0 (expected a value in (0, 1])"),
            (.inverseTime(rate: .nan), "Invalid 1/t decay rate: nan (expected a finite value >= 0)"),
            (.warmupCosine(warmup: -1, total: 10, minimum: 0), "Invalid warm-up length: -1 (expected a finite value >= 0)"),
            (.warmupCosine(warmup: 4, total: 4, minimum: 0),
             "Invalid cosine schedule length: 4 (expected a whole number greater than the warm-up length 4)"),
            (.warmupCosine(warmup: 0, total: 4, minimum: -0.1), "Invalid minimum learning rate: -0.1 (expected a finite value >= 0)"),
        ]
        for (schedule, message) in cases {
            let error = #expect(throws: OptimizerError.self) { try schedule.validate() }
            #expect(error?.description == message)
        }
    }

    @Test func schedulesRoundTripThroughJSON() throws {
        let schedules: [LearningRateSchedule] = [
            .constant, .stepDecay(every: 3, factor: 0.5), .exponential(rate: 0.1), .multiplicative(decay: 0.95),
            .inverseTime(rate: 0.5), .warmupCosine(warmup: 4, total: 12, minimum: 0.001),
        ]
        let decoded = try JSONDecoder().decode([LearningRateSchedule].self, from: JSONEncoder().encode(schedules))
        #expect(decoded == schedules)
    }
}
