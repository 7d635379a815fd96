import ArgumentParser

@main
struct NablaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nabla",
        abstract: "Train neural networks, and see how they learn.",
        subcommands: [GradCommand.self, TrainCommand.self, SummaryCommand.self, DataCommand.self, SearchCommand.self]
    )
}
