import ArgumentParser
import Foundation
import Nabla

/// The data options shared by `train`, `sanity`, `summary` and friends.
struct DataOptions: ParsableArguments {
    @Option(help: "A shipped data set (mnist-5k), a folder of MNIST IDX or CIFAR-10 binary files, a CSV file (.csv, .csv.gz) or a .npy features file (with --labels).")
    var data: String = "mnist-5k"

    @Option(help: "The labels .npy file that goes with a .npy features file.")
    var labels: String?

    @Option(parsing: .unconditional, help: "The CSV column holding the label: a name (with a header line) or an index (negative counts from the end).")
    var labelColumn: String = "-1"

    @Option(help: "Input normalization fitted on the training split: none, mean-image, channel-mean, standardize.")
    var preprocess: String = "none"

    @Option(help: "Multiply raw inputs by this first; 'auto' maps image bytes (0-255) to [0, 1].")
    var scale: String = "auto"

    @Option(parsing: .unconditional, help: "Validation split: a fraction (< 1) or a count.")
    var val: Double = 0.1

    @Option(parsing: .unconditional, help: "Test split held out from training: a fraction (< 1) or a count.")
    var test: Double = 0.1

    @Flag(help: "Keep each class's share in every split.")
    var stratify = false

    @Option(parsing: .unconditional, help: "Seed of the splits, the weights and the batch order.")
    var seed: UInt64 = 1

    /// The data set, split and preprocessed, with the preprocessor: fitted on the training split,
    /// or `fitted` (a run's saved one) when given.
    func load(fitted: Preprocessor? = nil) throws -> (splits: DataSplits, preprocessor: Preprocessor, isImageBytes: Bool) {
        let (dataset, isImageBytes) = try loadDataset()
        guard val >= 0, test >= 0 else { throw ValidationError("--val and --test must not be negative") }
        let valCount = Splits.size(val, of: dataset.count), testCount = Splits.size(test, of: dataset.count)
        guard valCount > 0 else { throw ValidationError("--val \(val) leaves no validation examples") }
        guard valCount + testCount < dataset.count else {
            throw ValidationError("--val \(val) and --test \(test) leave no training examples out of \(dataset.count)")
        }
        var splits = dataset.split(validation: val, test: test, stratified: stratify, seed: seed)
        let (method, factor) = try preprocessing(isImageBytes: isImageBytes, exampleShape: dataset.exampleShape)
        if let fitted, fitted.exampleShape != dataset.exampleShape {
            throw ValidationError("\(data): examples of shape \(dataset.exampleShape), but the run's preprocessing was fitted on \(fitted.exampleShape)")
        }
        let preprocessor = fitted ?? Preprocessor.fit(method, scale: factor, on: splits.train)
        for keyPath in [\DataSplits.train, \DataSplits.validation, \DataSplits.test] where splits[keyPath: keyPath].count > 0 {
            splits[keyPath: keyPath] = splits[keyPath: keyPath].preprocessed(by: preprocessor)
        }
        return (splits, preprocessor, isImageBytes)
    }

    /// The preprocessing method and input scale `--preprocess` and `--scale` ask for (`--scale auto`
    /// is 1/255 for image bytes, else 1), checked against one example's shape.
    func preprocessing(isImageBytes: Bool, exampleShape: [Int]) throws -> (method: Preprocessor.Method, scale: Double) {
        guard let method = Preprocessor.Method(rawValue: preprocess) else {
            throw ValidationError("unknown --preprocess '\(preprocess)'; choose one of: \(Preprocessor.Method.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let factor: Double
        if scale == "auto" { factor = isImageBytes ? 1.0 / 255 : 1 } else {
            guard let s = Double(scale), s.isFinite, s != 0 else { throw ValidationError("--scale must be 'auto' or a non-zero number, got '\(scale)'") }
            factor = s
        }
        if method == .channelMean && exampleShape.count != 3 {
            throw ValidationError("--preprocess channel-mean needs images [C, H, W]; this data's examples are \(exampleShape)")
        }
        return (method, factor)
    }

    func loadDataset() throws -> (Dataset, isImageBytes: Bool) {
        if Datasets.names.contains(data) { return (try Datasets.load(data), true) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) else {
            throw DataError(file: data, "no such file, and not a shipped data set (\(Datasets.names.joined(separator: ", ")))")
        }
        if isDirectory.boolValue {
            // A folder's training and test files together form the data set; the splits come from it.
            let files = (try? FileManager.default.contentsOfDirectory(atPath: data)) ?? []
            let isIDX = files.contains { $0.contains("idx3-ubyte") }
            let (train, test) = isIDX ? try IDX.load(directory: data) : try CIFAR10.load(directory: data)
            guard let test else { return (train, true) }
            return (Dataset.concatenated(train, test), true)
        }
        if data.hasSuffix(".csv") || data.hasSuffix(".csv.gz") {
            let column: CSVReader.LabelColumn = Int(labelColumn).map { .index($0) } ?? .name(labelColumn)
            return (try CSVReader.load(data, labelColumn: column), false)
        }
        if data.hasSuffix(".npy") {
            guard let labels else { throw ValidationError("--data \(data) is a .npy features file: give its labels with --labels FILE.npy") }
            let array = try NPY.read(data)
            return (try NPY.load(features: data, labels: labels), array.elementType == .uint8)
        }
        throw DataError(file: data, "unrecognized data: expected a shipped name (\(Datasets.names.joined(separator: ", "))), a folder of IDX or CIFAR-10 files, a .csv/.csv.gz file or a .npy file")
    }
}

/// Parses `--init`: xavier, he, gaussian:0.01, uniform:0.1, xavier-uniform, he-uniform.
func parseInitializer(_ text: String?) throws -> Initializer? {
    guard let text else { return nil }
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    let scale = parts.count == 2 ? Double(parts[1]) : nil
    switch (parts[0], parts.count) {
    case ("xavier", 1): return .xavier
    case ("he", 1), ("kaiming", 1): return .he
    case ("xavier-uniform", 1): return .xavierUniform
    case ("he-uniform", 1): return .heUniform
    case ("gaussian", 2) where scale != nil && scale! > 0: return .gaussian(scale: scale!)
    case ("uniform", 2) where scale != nil && scale! > 0: return .uniform(scale: scale!)
    default:
        throw ValidationError("unknown --init '\(text)'; choose one of: xavier, he, xavier-uniform, he-uniform, gaussian:SCALE (e.g. gaussian:0.01), uniform:SCALE")
    }
}

/// The update rules by name.
let optimizerNames = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]

/// Makes the optimizer `name` for `parameters`.
func makeOptimizer(_ name: String, parameters: [(name: String, variable: Variable)], learningRate: Double,
                   momentum: Double, weightDecay: Double) throws -> any Optimizer {
    switch name {
    case "sgd": return try SGD(parameters, learningRate: learningRate)
    case "momentum": return try Momentum(parameters, learningRate: learningRate, momentum: momentum)
    case "nesterov": return try Nesterov(parameters, learningRate: learningRate, momentum: momentum)
    case "adagrad": return try Adagrad(parameters, learningRate: learningRate)
    case "rmsprop": return try RMSProp(parameters, learningRate: learningRate)
    case "adam": return try Adam(parameters, learningRate: learningRate)
    case "adamw": return try AdamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
    default: throw ValidationError("unknown --optimizer '\(name)'; choose one of: \(optimizerNames.joined(separator: ", "))")
    }
}
