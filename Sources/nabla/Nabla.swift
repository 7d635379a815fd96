import ArgumentParser

@main
struct NablaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nabla",
        abstract: "Train neural networks, and see how they learn.",
        subcommands: [GradCommand.self, TrainCommand.self, EvaluateCommand.self, PredictCommand.self, CrossValCommand.self,
                      SummaryCommand.self, SanityCommand.self, GradcheckCommand.self,
                      ActivationsCommand.self, PlotCommand.self, FiltersCommand.self, ReportCommand.self,
                      DataCommand.self, SearchCommand.self, LRFindCommand.self, ExportCommand.self]
    )
}
