import ArgumentParser
import Foundation
import Nabla

/// `nabla sanity`: the lectures' three checks before a long training, each with its numbers and a
/// PASS/FAIL line, then a verdict; exit code 1 when a check fails.
struct SanityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sanity",
        abstract: "Run the lectures' sanity checks on a model before training it.",
        discussion: """
        The checks of "babysitting the learning process", on the training split:
          1. initial loss: with small weights and no regularization the loss is ln(C) \
        (2.3026 for 10 classes), within 5%;
          2. regularization: raising it from 0 to --reg (1e3) raises the loss;
          3. overfitting: --subset examples (20), trained full-batch without regularization, \
        reach 100% training accuracy within --epochs (200) steps.
        Checks 1 and 2 start from small weights (--init gaussian:0.0001, as in the lectures): with \
        large ones check 1 fails, since the initial scores are then far from zero. Check 3 starts \
        from the initialization you train with (--overfit-init; default each layer's own, as in \
        train): a deep network whose weights all start at 1e-4 learns too slowly to tell.

        Example:
          nabla sanity --data mnist-5k --model "linear(50), relu, linear(10)"
        """
    )

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "The network, e.g. \"linear(50), relu, linear(10)\", or a JSON file holding it. (default: \(TrainingRecipe().model))")
    var model: String?

    // Not the shared --init: checks 1 and 2 need small weights, hence their own default.
    @Option(help: "Weight initialization of checks 1 and 2: \(Initializer.names).")
    var `init`: String = "gaussian:0.0001"

    @Option(help: "Weight initialization of the overfitting check, the one you train with (default: each layer's own, as in train).")
    var overfitInit: String?

    @Option(help: "Examples in the tiny subset of the overfitting check.")
    var subset: Int = 20

    @Option(help: "The most full-batch epochs the overfitting check may take.")
    var epochs: Int = 200

    @Option(help: "Update rule of the overfitting check: \(OptimizerRecipe.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var optimizer: String = "adam"

    @Option(help: "Learning rate of the overfitting check.")
    var lr: Double = 1e-3

    @Option(help: "Regularization strength of the regularization check.")
    var reg: Double = 1e3

    func run() throws {
        try reportingErrors(check)
    }

    private func check() throws {
        guard subset >= 1 else { throw ValidationError("--subset must be at least 1") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard reg > 0, reg.isFinite else { throw ValidationError("--reg must be positive, got \(reg)") }
        let initializer = try Initializer(parsing: `init`)
        let overfitInitializer = try overfitInit.map(Initializer.init(parsing:))
        var recipe = try dataOptions.recipe()
        if let model { recipe.model = model }
        let spec = try recipe.modelSpec()
        // The optimizer's name and learning rate are checked now, not after two checks.
        let overfitOptimizer = OptimizerRecipe(try .init(parsing: optimizer), learningRate: lr)
        try overfitOptimizer.validate()
        let train = try recipe.loadData().train
        // Build once up front, so that a model that does not fit the data is a clear error.
        var probe = RandomGenerator(seed: recipe.seed)
        _ = try spec.build(inputShape: train.exampleShape, classCount: train.classCount, initializer: initializer, generator: &probe)

        var options = SanityCheckOptions()
        options.seed = recipe.seed
        options.subsetSize = subset
        options.maxEpochs = epochs
        options.regularization = reg
        options.makeOptimizer = { try overfitOptimizer.make(for: $0) }

        print("data: \(recipe.data.source): \(train.count) training examples \(train.exampleShape), \(train.classCount) classes")
        print("model: \(spec.source); init \(`init`) (checks 1-2), \(overfitInit ?? "each layer's own") (check 3); seed \(recipe.seed)")
        func factory(_ initializer: Initializer?) -> (inout RandomGenerator) throws -> any Module {
            { generator in
                try spec.build(inputShape: train.exampleShape, classCount: train.classCount, initializer: initializer, generator: &generator).model
            }
        }
        let checks = [(SanityChecks.initialLoss, initializer), (SanityChecks.regularization, initializer),
                      (SanityChecks.overfitting, overfitInitializer)]
        var results: [SanityCheckResult] = []
        for (number, (run, initializer)) in checks.enumerated() {
            let result = try run(factory(initializer), train, options)
            print("\(number + 1). \(result)")
            fflush(stdout)
            results.append(result)
        }
        let report = SanityReport(checks: results)
        print(report.verdict)
        if !report.passed { throw ExitCode.failure }
    }
}
