import Foundation

/// Reduce-on-plateau as a recipe saves it: cut the rate by `factor` when `metric` has not improved
/// for more than `patience` epochs (`ReduceOnPlateau`, run by a `PlateauScheduler`).
public struct PlateauRecipe: Codable, Equatable, Sendable {
    /// The metric watched: `val_acc`, `val_loss`, `train_acc` or `loss` (accuracies should rise).
    public var metric: String
    /// What the rate is multiplied by on a plateau, in `(0, 1)`.
    public var factor: Double
    /// Epochs without improvement tolerated before a cut.
    public var patience: Int

    public init(metric: String, factor: Double, patience: Int) {
        self.metric = metric
        self.factor = factor
        self.patience = patience
    }

    /// - Throws: `SettingError` for `schedule`, naming the bad part.
    public func validate() throws {
        guard EarlyStoppingRecipe.metrics.contains(metric) else {
            throw SettingError(field: "schedule", "plateau: unknown metric '\(metric)'; choose one of: \(EarlyStoppingRecipe.metrics.joined(separator: ", "))")
        }
        guard factor > 0, factor < 1 else { throw SettingError(field: "schedule", "plateau: FACTOR must be in (0, 1), got \(factor)") }
        guard patience >= 0 else { throw SettingError(field: "schedule", "plateau: PATIENCE must be a whole number ≥ 0, got \(patience)") }
    }

    /// The callback that runs it, starting from the base rate `base`.
    public func make(base: Double) throws -> PlateauScheduler {
        let mode: ReduceOnPlateau.Mode = MetricMode.natural(for: metric) == .max ? .max : .min
        return PlateauScheduler(try ReduceOnPlateau(learningRate: base, mode: mode, factor: factor, patience: patience), metric: metric)
    }
}

/// The learning-rate schedule as the command line writes it:
///
/// | text | schedule |
/// |---|---|
/// | `constant` | `lr0` throughout |
/// | `step:EPOCHS:FACTOR` | ×FACTOR every EPOCHS epochs (`stepDecay`) |
/// | `exp:FACTOR` | ×FACTOR after every epoch, `lr0·FACTORᵗ` (`multiplicative`, as `--lr-decay`) |
/// | `inv:K` | `lr0 / (1 + K·t)`, `t` in epochs, per step (`inverseTime`) |
/// | `cosine` | cosine from `lr0` to 0 over the run, per step, after a linear warm-up of `warmup` epochs |
/// | `onecycle:MAX_LR` | one cycle from `lr0` up to MAX_LR and down to `lr0/10⁴`, per step (`oneCycle`) |
/// | `plateau:METRIC:FACTOR:PATIENCE` | ×FACTOR when METRIC has not improved for PATIENCE epochs |
extension TrainingRecipe {
    /// The forms `setSchedule` reads.
    public static let scheduleForms = "constant, step:EPOCHS:FACTOR, exp:FACTOR, inv:K, cosine, onecycle:MAX_LR, plateau:METRIC:FACTOR:PATIENCE"

    /// Sets `schedule` (and `plateau`) from its text; cosine and one-cycle span this recipe's `epochs`,
    /// so set those first.
    /// - Throws: `SettingError` for `schedule` (an unknown form, a malformed number) or
    ///   `schedule.warmup` (a warm-up for a schedule other than cosine, or a negative one).
    public mutating func setSchedule(_ text: String, warmup: Double? = nil) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func bad(_ message: String) -> SettingError { SettingError(field: "schedule", "'\(text)': \(message)") }
        func number(_ index: Int, _ name: String) throws -> Double {
            guard let value = Double(parts[index]), value.isFinite else { throw bad("\(name) must be a number, got '\(parts[index])'") }
            return value
        }
        func count(_ index: Int, _ name: String) throws -> Int {
            guard let value = Int(parts[index]) else { throw bad("\(name) must be a whole number, got '\(parts[index])'") }
            return value
        }
        let forms = Self.scheduleForms.components(separatedBy: ", ")
        guard let form = forms.first(where: { $0.split(separator: ":")[0] == parts[0] }) else {
            throw bad("unknown schedule; use one of: \(Self.scheduleForms)")
        }
        guard parts.count == form.split(separator: ":").count else { throw bad("expected \(form)") }
        if let warmup {
            guard parts[0] == "cosine" else { throw SettingError(field: "schedule.warmup", "only the cosine schedule has a warm-up") }
            guard warmup.isFinite, warmup >= 0, warmup < Double(epochs) else {
                throw SettingError(field: "schedule.warmup", "must be a number of epochs in [0, \(epochs)), got \(warmup)")
            }
        }
        plateau = nil
        switch parts[0] {
        case "constant": schedule = .constant
        case "step": schedule = .stepDecay(every: try count(1, "EPOCHS"), factor: try number(2, "FACTOR"))
        case "exp": schedule = .multiplicative(decay: try number(1, "FACTOR"))
        case "inv": schedule = .inverseTime(rate: try number(1, "K"))
        case "cosine": schedule = .warmupCosine(warmup: warmup ?? 0, total: epochs, minimum: 0)
        case "onecycle": schedule = .oneCycle(maximum: try number(1, "MAX_LR"), total: epochs)
        default:
            schedule = .constant
            plateau = PlateauRecipe(metric: parts[1], factor: try number(2, "FACTOR"), patience: try count(3, "PATIENCE"))
            try plateau?.validate()
        }
        do { try schedule.validate() } catch let error as OptimizerError { throw bad(error.description) }
    }

    /// The schedule as `setSchedule` reads it (with `warmupText` for cosine's warm-up), or its
    /// description when no text makes it.
    public var scheduleText: String {
        if let plateau { return "plateau:\(plateau.metric):\(plateau.factor):\(plateau.patience)" }
        switch schedule {
        case .constant: return "constant"
        case let .stepDecay(every, factor): return "step:\(every):\(factor)"
        case let .multiplicative(decay): return "exp:\(decay)"
        case let .inverseTime(rate): return "inv:\(rate)"
        case let .warmupCosine(warmup, total, minimum) where total == epochs && minimum == 0:
            return warmup > 0 ? "cosine, warm-up \(warmup) epochs" : "cosine"
        case let .oneCycle(maximum, total) where total == epochs: return "onecycle:\(maximum)"
        default: return schedule.description
        }
    }

    /// Changes `epochs`, stretching a cosine or one-cycle schedule that spanned the old number (a
    /// recipe file run for longer or shorter keeps the shape of its schedule).
    public mutating func setEpochs(_ newValue: Int) {
        switch schedule {
        case let .warmupCosine(warmup, total, minimum) where total == epochs:
            schedule = .warmupCosine(warmup: warmup, total: newValue, minimum: minimum)
        case let .oneCycle(maximum, total) where total == epochs:
            schedule = .oneCycle(maximum: maximum, total: newValue)
        default: break
        }
        epochs = newValue
    }
}
