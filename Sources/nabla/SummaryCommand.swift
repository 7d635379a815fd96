import ArgumentParser
import Foundation
import Nabla

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts for a data set."
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions

    func run() throws {
        try reportingErrors(summarize)
    }

    /// The same data and model options as `train`, with the same defaults: the summary shows the
    /// model `train` would build for those options.
    private func summarize() throws {
        var recipe = try data.recipe()
        try model.apply(to: &recipe)
        try recipe.data.validate()
        let (dataset, _) = try recipe.data.loadDataset()
        // The plan has every shape and count without allocating a weight: a model too big to
        // train still gets its summary, which shows where the size comes from.
        let plan = try recipe.modelSpec().plan(inputShape: dataset.exampleShape, classCount: dataset.classCount)
        print(formatSummary(plan.summary, inputShape: dataset.exampleShape))
    }
}
