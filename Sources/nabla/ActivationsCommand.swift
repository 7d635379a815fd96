import ArgumentParser
import Foundation
import Nabla

struct ActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Per-layer activation statistics: mean, std and a histogram of every layer's output on a batch.",
        discussion: """
        The lectures' experiment (10 layers of 500 units, 1000 unit-Gaussian inputs, no biases):
          nabla activations --lecture-experiment tanh --init 0.01     # activations collapse to 0
          nabla activations --lecture-experiment tanh --init 1.0      # tanh saturates at ±1
          nabla activations --lecture-experiment tanh --init xavier   # healthy
          nabla activations --lecture-experiment relu --init he       # healthy for ReLU
        (without --init, all four in turn). A model just built, or a trained run:
          nabla activations --model "linear(100), tanh, linear(10)" --data mnist-5k --init 0.01
          nabla activations runs/mnist
        --png DIR also writes the per-layer mean/std and the histograms as PNG and SVG pictures.
        """
    )

    @Argument(help: "A run folder written by nabla train --out: its model and data are used.")
    var folder: String?

    @Option(help: "Run the lectures' experiment with this nonlinearity: tanh or relu.")
    var lectureExperiment: String?

    @Option(help: "Weight initialization: 0.01, 1.0 (any number: randn · scale), xavier, he (also gaussian:S, uniform:S, xavier-uniform, he-uniform for --model).")
    var `init`: String?

    @Option(help: "A network to build, e.g. \"linear(100), relu, linear(10)\" (with --data).")
    var model: String?

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Examples in the batch.")
    var batch: Int = 1000

    @Option(help: "Histogram bins.")
    var bins: Int = 30

    @Option(help: "Weights file of the run folder.")
    var weights: String = "best.safetensors"

    @Option(help: "Write pictures (PNG and SVG) of the statistics into this folder.")
    var png: String?

    func run() throws {
        guard batch >= 1, bins >= 1 else { throw ValidationError("--batch and --bins must be at least 1") }
        let modes = [lectureExperiment != nil, model != nil, folder != nil].filter { $0 }.count
        guard modes == 1 else {
            throw ValidationError("give exactly one of: --lecture-experiment tanh|relu, --model \"…\" (with --data), or a run folder")
        }
        try reportingErrors {
            if let lectureExperiment { try runLecture(lectureExperiment) } else { try runModel() }
        }
    }

    private func runLecture(_ name: String) throws {
        guard let nonlinearity = ActivationExperiment.Nonlinearity(rawValue: name.lowercased()) else {
            throw ValidationError("unknown --lecture-experiment '\(name)'; choose tanh or relu")
        }
        var scales = ActivationExperiment.WeightScale.lectureCases
        if let text = `init` {
            guard let scale = ActivationExperiment.WeightScale(text) else {
                throw ValidationError("unknown --init '\(text)' for the lecture experiment; choose 0.01, 1.0 (or another number), xavier or he")
            }
            scales = [scale]
        }
        for (i, scale) in scales.enumerated() {
            let experiment = ActivationExperiment(nonlinearity: nonlinearity, weightScale: scale, examples: batch, seed: dataOptions.seed ?? TrainingRecipe().seed)
            let weights: String
            switch scale {
            case .fixed(let s): weights = "randn(500, 500) * \(scale == .fixed(1) ? "1.0" : Axis.compact(s))"
            case .xavier: weights = "randn(500, 500) / sqrt(500)   (Xavier)"
            case .he: weights = "randn(500, 500) / sqrt(500 / 2)   (He)"
            }
            if i > 0 { print("") }
            print("== \(experiment.layerCount) \(nonlinearity.rawValue) layers of \(experiment.units) units, W = \(weights), "
                  + "\(batch) unit-Gaussian inputs, seed \(dataOptions.seed ?? TrainingRecipe().seed)")
            let result = experiment.run(bins: bins)
            print(ActivationExperiment.report(result))
            print("")
            print(ActivationStatistics.table([result.input] + result.hidden))
            if let png {
                let rows = [result.input] + result.hidden
                let base = "\(png)/lecture-\(nonlinearity.rawValue)-\(scale)"
                let title = "\(nonlinearity.rawValue), W = \(weights)"
                try ActivationStatistics.summaryChart(rows, title: title).write(to: base + "-stats", width: 1100, height: 480)
                try ActivationStatistics.histogramChart(rows, columns: 6, title: title).write(to: base + "-histograms", width: 1200, height: 520)
                print("pictures: \(base)-stats.png, \(base)-histograms.png (and .svg)")
            }
        }
    }

    private func runModel() throws {
        // A run's own data and splits (a fresh preprocessing fit on them, as before), or the options'.
        let recipe = try folder.map { try RunFolder.readConfig($0) } ?? dataOptions.recipe()
        let splits = try recipe.data.load(seed: recipe.seed).splits
        let network: Sequential, title: String
        if let folder {
            network = try RunFolder.loadModel(folder, weights: weights).model   // evaluation mode
            title = "\(folder) (\(weights))"
        } else {
            let initializer: Initializer?
            if let text = `init`, let scale = Double(text) {
                guard scale > 0 else { throw ValidationError("--init must be positive, got \(text)") }
                initializer = .gaussian(scale: scale)
            } else {
                initializer = try `init`.map(Initializer.init(parsing:))
            }
            var generator = RandomGenerator(seed: recipe.seed)
            network = try ModelSpec.parse(model!).build(inputShape: splits.train.exampleShape, initializer: initializer,
                                                        generator: &generator).model
            network.train()   // a fresh network as its first training step sees it (batch norm on batch statistics)
            title = "\(model!), init \(`init` ?? "default")"
        }
        let count = min(batch, splits.train.count)
        let input = splits.train.features(in: 0..<count)
        print("\(title): a batch of \(count) training examples from \(recipe.data.source)")
        let rows = ActivationStatistics.collect(network, input: input, bins: bins)
        print(ActivationStatistics.table(rows))
        if let png {
            try ActivationStatistics.summaryChart(rows, title: title).write(to: png + "/activation-stats", width: 1100, height: 480)
            let columns = rows.count <= 8 ? 4 : 5
            let height = 60 + 200 * ((rows.count + columns - 1) / columns)
            try ActivationStatistics.histogramChart(rows, columns: columns, title: title).write(to: png + "/activation-histograms",
                                                                                             width: 260 * columns, height: height)
            print("pictures: \(png)/activation-stats.png, \(png)/activation-histograms.png (and .svg)")
        }
    }
}
