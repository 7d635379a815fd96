import ArgumentParser
import Foundation
import Nabla

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts for a data set."
    )

    @Option(help: "The network, e.g. \"conv(8, 3, pad: 1), relu, maxpool(2), linear(10)\", or a JSON file holding it.")
    var model: String

    @Option(help: "A shipped data set (mnist-5k) or a CSV file, for the input shape and the class count.")
    var data: String = "mnist-5k"

    @Option(help: "The CSV label column (name or index).")
    var labelColumn: String = "-1"

    func run() throws {
        do {
            let (dataset, _) = try DataRecipe(source: data, labelColumn: labelColumn).loadDataset()
            var g = RandomGenerator(seed: 0)
            var recipe = TrainingRecipe()
            recipe.model = model
            let spec = try recipe.modelSpec()
            let (_, rows) = try spec.build(inputShape: dataset.exampleShape, classCount: dataset.classCount, generator: &g)
            print(formatSummary(rows, inputShape: dataset.exampleShape))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
