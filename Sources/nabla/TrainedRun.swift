import ArgumentParser
import Foundation
import Nabla

/// A run folder's model with its configuration, ready for `evaluate` and `predict`: it turns raw
/// inputs (as the data files hold them) into the model's inputs with the run's own preprocessor.
struct TrainedRun {
    let folder: String
    let model: Sequential
    let config: TrainingRecipe

    /// Loads `folder`'s configuration and the weights file `weights` in it.
    static func load(_ folder: String, weights: String) throws -> TrainedRun {
        _ = try RunFolder.readConfig(folder)
        guard FileManager.default.fileExists(atPath: folder + "/" + weights) else {
            throw CommandError("\(folder) has no \(weights) (a run writes it when its first epoch ends)")
        }
        let (model, config) = try RunFolder.loadModel(folder, weights: weights)
        return TrainedRun(folder: folder, model: model, config: config)
    }

    /// The values in one example.
    var inputCount: Int { config.inputShape.reduce(1, *) }

    /// Raw features `[N, …]` from `file` as the model's input: reshaped to the run's example shape
    /// (which needs the same number of values per example: a CSV row of 784 values fits an MNIST
    /// run's `[1, 28, 28]`) and preprocessed with the run's fitted preprocessor.
    /// - Throws: `CommandError` naming the file and both shapes when the sizes differ.
    func prepare(_ features: Tensor, file: String) throws -> Tensor {
        let shape = Array(features.shape.dropFirst())
        let count = shape.reduce(1, *)
        guard count == inputCount else {
            throw CommandError("\(file): examples of shape \(shape) (\(count) values), but \(folder) expects \(config.inputShape) (\(inputCount) values)")
        }
        let input = features.reshaped([features.shape[0]] + config.inputShape)
        return config.preprocessor?.apply(input) ?? input
    }

    /// The class probabilities `[N, C]` of raw features from `file`.
    func probabilities(_ features: Tensor, file: String, batchSize: Int) throws -> Tensor {
        predictProbabilities(model, try prepare(features, file: file), batchSize: batchSize)
    }
}
