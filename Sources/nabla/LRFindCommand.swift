import ArgumentParser
import Foundation
import Nabla

struct LRFindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Find a learning rate: train while the rate grows from tiny to huge, and see where the loss falls fastest.",
        discussion: """
        Takes the data and model options of `nabla train` (--epochs is ignored). Prints the loss \
        against the learning rate, writes the curve as lr-find.svg / lr-find.png into --out, and \
        suggests a learning rate (the steepest fall of the loss, at most a tenth of the rate with \
        the lowest loss) and a range to search.

        Example:
          nabla lr-find --data mnist-5k --model "linear(100), relu, linear(10)" --optimizer momentum
        """
    )

    @OptionGroup var training: TrainingOptionsGroup

    @Option(help: "The first learning rate.")
    var start: Double = 1e-7

    @Option(help: "The last learning rate.")
    var end: Double = 10

    @Option(help: "Training steps (the rate grows by the same factor each step).")
    var iterations: Int = 300

    @Option(help: "Weight of the past in the running average of the loss, in [0, 1).")
    var smoothing: Double = 0.9

    @Option(help: "Stop once the smoothed loss exceeds this many times its lowest value.")
    var explosionFactor: Double = 4

    @Option(help: "The folder for the plot (lr-find.svg, lr-find.png).")
    var out: String = "runs/lr-find"

    func run() throws {
        try reportingErrors(find)
    }

    private func find() throws {
        var config = try training.makeRecipe()
        let finder = LearningRateFinder(start: start, end: end, iterations: iterations, smoothing: smoothing,
                                        explosionFactor: explosionFactor)
        try finder.validate()
        let spec = try config.modelSpec()
        let splits = try config.loadData()
        let network = try config.makeModel().model
        let optimizer = try config.optimizer.make(for: network.parameters())
        print("lr-find: \(config.optimizer.kind.rawValue) on \(spec.source), batch \(config.batchSize), reg \(config.regularization); "
              + "lr from \(SearchSpace.short(start)) to \(SearchSpace.short(end)) over \(iterations) steps")
        let result = try finder.run(model: network, optimizer: optimizer, train: splits.train, batchSize: config.batchSize,
                                    regularization: config.regularization, seed: config.seed)
        print(result.table())
        switch result.stop {
        case .finished: print("the loss did not explode up to lr \(SearchSpace.short(end)): try a larger --end")
        case .exploded: print("stopped at step \(result.learningRates.count): the smoothed loss exceeded \(SearchSpace.short(explosionFactor))× its lowest value")
        case .notFinite: print("stopped at step \(result.learningRates.count): the loss is no longer finite")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let files = try result.chart().write(to: out + "/lr-find")
        print("plot written to \(files.joined(separator: ", "))")
        guard let s = result.suggestion else {
            throw CommandError("too few steps ran to suggest a learning rate (\(result.learningRates.count)); lower --start or raise --iterations")
        }
        print(String(format: "steepest fall of the loss at lr %.3e; lowest loss at lr %.3e (a tenth of it: %.3e)",
                     s.steepest, s.minimum, s.upperBound))
        print(String(format: "suggested lr: %.3e", s.learningRate))
        print(String(format: "suggested search range: --space \"lr=log(%.1e,%.1e)\"", s.range.lower, s.range.upper))
    }
}
