import ArgumentParser
import Foundation
import Nabla

/// `nabla gradcheck`: the model's backpropagated gradients against centered differences, in
/// Double, one line per parameter tensor; exit code 1 when a tensor fails.
struct GradcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check a model's gradients against centered finite differences, tensor by tensor.",
        discussion: """
        The model is built in Double and its loss on a small batch of the training split is \
        differentiated by backprop and by (L(θ + h) - L(θ - h)) / 2h for every parameter tensor \
        (big tensors: a seeded random sample of --samples elements). Each line gives a tensor's \
        worst relative error |a - n| / max(|a|, |n|, floor) and a verdict: ok below 1e-6; warning \
        below 1e-4, or at a kink (relu, max pooling, maxout: the one-sided differences disagree and \
        the analytic derivative lies between them); fail otherwise. The floor, ~ε·|L| / (h·1e-6), \
        keeps derivatives too small for the loss's rounding from reading as errors. Training mode: \
        dropout replays one mask for every evaluation, batch norm uses the batch's statistics.

        Example:
          nabla gradcheck --model "conv(4, 3), batchnorm, relu, maxpool(2), linear(10)" --batch 4
        """
    )

    @OptionGroup var dataOptions: DataOptions

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Examples in the batch the loss is computed on.")
    var batch: Int = 4


    @Option(help: "L2 regularization strength added to the loss (its gradient is checked too).")
    var reg: Double = 0

    @Option(help: "Elements checked per tensor; bigger tensors are sampled.")
    var samples: Int = 50

    @Option(help: "The finite-difference step h.")
    var step: Double = 1e-5

    @Flag(help: "Check in evaluation mode (no dropout, batch norm with running statistics).")
    var evalMode = false

    func run() throws {
        try reportingErrors(check)
    }

    private func check() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
        guard step > 0, step.isFinite else { throw ValidationError("--step must be positive, got \(step)") }
        guard reg >= 0, reg.isFinite else { throw ValidationError("--reg must not be negative, got \(reg)") }
        var recipe = try dataOptions.recipe()
        try modelOptions.apply(to: &recipe)
        let spec = try recipe.modelSpec()
        let train = try recipe.loadData().train
        var generator = RandomGenerator(seed: recipe.seed)
        let (network, _) = try spec.build(inputShape: train.exampleShape, classCount: train.classCount,
                                          initializer: recipe.initializer, dtype: .float64, generator: &generator)
        let picked = Array(generator.permutation(train.count).prefix(batch)).sorted()

        var options = ModelGradientCheckOptions()
        options.step = step
        options.maxElementsPerTensor = samples
        options.seed = recipe.seed
        options.regularization = reg
        options.training = !evalMode
        let result = try checkModelGradients(network, batch: train.batch(picked), options: options)

        print("model: \(spec.source) in Double, \(picked.count) examples of \(recipe.data.source), \(evalMode ? "evaluation" : "training") mode\(reg > 0 ? ", reg \(String(format: "%g", reg))" : "")")
        print("loss \(Trainer.format(result.loss)); centered differences with h = \(String(format: "%g", step))\(result.parameters.contains { $0.isSampled } ? "; tensors of more than \(samples) elements: a seeded random sample of \(samples)" : "")")
        let rows = result.parameters.map { p in
            [p.name, "\(p.shape)", p.isSampled ? "\(p.checkedCount) of \(p.count)" : "all \(p.count)",
             String(format: "%.2e", p.maxRelativeError), "\(p.worstIndex)", String(format: "%.6e", p.analytic),
             String(format: "%.6e", p.numeric), p.verdict.description + (p.kinkCount > 0 ? " (\(p.kinkCount) at kinks)" : "")]
        }
        print(table(header: ["parameter", "shape", "checked", "max rel. error", "at", "analytic", "numeric", "verdict"], rows: rows))
        let counts = [GradientCheckVerdict.ok, .warning, .fail].map { v in result.parameters.filter { $0.verdict == v }.count }
        print("verdict: \(result.verdict.description.uppercased()): \(counts[0]) ok, \(counts[1]) warning, \(counts[2]) fail "
              + "(worst \(String(format: "%.2e", result.maxRelativeError)); ok < 1e-6, warning < 1e-4 or at a kink, else fail)")
        if !result.passed { throw ExitCode.failure }
    }

    /// Left-aligned columns two spaces apart.
    private func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { row in
            zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
