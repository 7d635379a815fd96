import ArgumentParser
import Foundation
import Nabla

/// `nabla evaluate`: a trained run's accuracy, per-class precision and recall, and confusion matrix
/// on its own test split (rebuilt from the run's data options and seed) or on another data set;
/// several runs are also evaluated as an ensemble that averages their probabilities.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Report a trained run's accuracy, per-class precision and recall, and confusion matrix.",
        discussion: """
        The run's test split is rebuilt from the data options and seed saved in its config.json, \
        and the preprocessing fitted on its training split is applied (not refitted). With --data, \
        another data set is evaluated instead: its own test files when it has them (fashion-mnist's \
        10,000, a folder holding only t10k-* files, an image folder's test/), else all of it.

        Several runs are evaluated one by one and as an ensemble that averages their predicted \
        probabilities; they must share the input shape and the classes. The evaluation data \
        comes from the first run.

        Examples:
          nabla evaluate runs/mnist
          nabla evaluate runs/mnist --data mnist-test/
          nabla evaluate runs/fashion --data fashion-mnist
          nabla evaluate runs/a runs/b runs/c
        """
    )

    @Argument(help: "Run folders (made by nabla train --out DIR); several form an ensemble.")
    var runs: [String]

    @Option(help: ArgumentHelp("Evaluate on this data set instead of the run's test split (on its own test files when it has them, else on all of it): "
        + "a data set's name, an IDX, CIFAR-10 or image folder (a test-only one too), a CSV file or a .npy file (with --labels)."))
    var data: String?

    @Option(help: "The labels .npy file that goes with a .npy --data file.")
    var labels: String?

    @Option(parsing: .unconditional, help: "The CSV label column of --data (name or index; negative counts from the end).")
    var labelColumn: String = "-1"

    @Option(help: "Resize the images of an image folder --data to this height and width. (default: the run's own --image-size)")
    var imageSize: Int?

    @Option(help: "The weights file in each run folder.")
    var weights: String = "best.safetensors"

    @Option(help: "Examples per forward pass.")
    var batchSize: Int = 1000

    func run() throws {
        try reportingErrors(evaluate)
    }

    private func evaluate() throws {
        guard batchSize >= 1 else { throw CommandError("--batch-size must be at least 1, got \(batchSize)") }
        let members = try runs.map { try TrainedRun.load($0, weights: weights) }
        let first = members[0]
        for member in members.dropFirst() {
            guard member.inputCount == first.inputCount else {
                throw CommandError("\(member.folder) cannot join an ensemble with \(first.folder): its examples are \(member.config.inputShape), not \(first.config.inputShape)")
            }
            guard member.config.classNames == first.config.classNames else {
                let classes = member.config.classNames.joined(separator: ", "), expected = first.config.classNames.joined(separator: ", ")
                throw CommandError("\(member.folder) cannot join an ensemble with \(first.folder): its classes are \(classes), not \(expected)")
            }
        }
        let (dataset, source) = try evaluationData(first)
        if data == nil {
            for member in members.dropFirst() where !sameSplit(member.config, first.config) {
                let warning = "warning: \(member.folder) split its data differently from \(first.folder) (data, split sizes or seed differ): "
                    + "some of its training examples may lie in \(first.folder)'s test split, which flatters the results\n"
                FileHandle.standardError.write(Data(warning.utf8))
            }
        }
        print("data: \(source) (\(dataset.count) examples)")
        let classNames = first.config.classNames
        if members.count == 1 {
            let p = try first.probabilities(dataset.features, file: source, batchSize: batchSize)
            print("run: \(first.folder) (\(first.config.model); \(weights))\n")
            print(ClassificationReport(probabilities: p, labels: dataset.labels, classNames: classNames))
            return
        }
        var all: [Tensor] = []
        for member in members {
            let p = try member.probabilities(dataset.features, file: source, batchSize: batchSize)
            let report = ClassificationReport(probabilities: p, labels: dataset.labels, classNames: classNames)
            print("\(member.folder): accuracy \(String(format: "%.4f", report.accuracy)) (\(report.correct) of \(report.count))")
            all.append(p)
        }
        print("\nensemble of \(members.count) runs (mean of their probabilities):")
        print(ClassificationReport(probabilities: ensembleProbabilities(all), labels: dataset.labels, classNames: classNames))
    }

    /// The raw examples to evaluate on, and how to name them: the run's test split, or `--data`
    /// (its own test files when it has them, else all of it).
    private func evaluationData(_ run: TrainedRun) throws -> (Dataset, String) {
        let config = run.config
        if let data {
            var recipe = DataRecipe(source: data, labels: labels, labelColumn: labelColumn)
            recipe.imageSize = imageSize ?? config.data.imageSize
            let parts = try recipe.loadParts()
            var (dataset, source) = parts.test.map { ($0, "the test files of \(data)") } ?? (parts.all, data)
            guard dataset.count > 0 else { throw CommandError("\(data): no examples") }
            let numbered = (0..<dataset.classCount).map(String.init)
            if dataset.classNames != numbered && dataset.classNames != config.classNames {
                throw CommandError("\(data): its classes (\(dataset.classNames.joined(separator: ", "))) differ from \(run.folder)'s "
                                   + "(\(config.classNames.joined(separator: ", ")))")
            }
            if let i = dataset.labels.firstIndex(where: { $0 >= config.classNames.count }) {
                let classes = config.classNames.count
                throw CommandError("\(data): example \(i) has label \(dataset.labels[i]), but \(run.folder) knows only \(classes) classes (0–\(classes - 1))")
            }
            dataset.classNames = config.classNames
            if !parts.skipped.isEmpty { source += " (\(parts.skipped.count) unreadable images skipped)" }
            return (dataset, source)
        }
        guard config.data.test != 0 else {
            throw CommandError("\(run.folder) has no test split (it was trained with --test 0); evaluate it on another data set with --data")
        }
        let (splits, origins, _) = try config.data.splits(seed: config.seed)
        let test = splits.test
        guard test.exampleShape == config.inputShape, test.classNames == config.classNames else {
            throw CommandError("\(config.data.source) has changed since \(run.folder) was trained: its examples are \(test.exampleShape) "
                               + "in \(test.classCount) classes, the run's \(config.inputShape) in \(config.classNames.count)")
        }
        guard test.count > 0 else {
            throw CommandError("\(run.folder) has no test split; evaluate it on another data set with --data")
        }
        return (test, "test split of \(config.data.source): \(origins.test)")
    }

    /// Whether two runs cut the same data into the same splits.
    private func sameSplit(_ a: TrainingRecipe, _ b: TrainingRecipe) -> Bool {
        // A data set's own test files are every run's test split, whatever the seeds.
        if a.data.source == b.data.source, let test = a.splits?.test, test.hasPrefix("the data set's"), b.splits?.test == test { return true }
        return a.data.source == b.data.source && a.data.labels == b.data.labels && a.data.labelColumn == b.data.labelColumn
            && a.data.validation == b.data.validation && a.data.test == b.data.test && a.data.stratify == b.data.stratify
            && (a.data.splitSeed ?? a.seed) == (b.data.splitSeed ?? b.seed) && a.data.poolsTestFiles == b.data.poolsTestFiles
    }
}
