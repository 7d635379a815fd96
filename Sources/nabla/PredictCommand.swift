import ArgumentParser
import Foundation
import Nabla

/// `nabla predict`: the class and probabilities a trained run gives each input row of some files.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify the examples in files with a trained run.",
        discussion: """
        Inputs: MNIST IDX images files (…-images-idx3-ubyte, raw or .gz), CSV files (.csv, .csv.gz; \
        every column is a feature unless --label-column names one to ignore; a header line is \
        skipped), .npy arrays ([N, …], or one example) and PNG or JPEG images (one example each; \
        resized to the run's image size when it differs, grey ones repeated in red, green and \
        blue for a colour run). Values are raw, as in the training data \
        (pixel bytes 0–255 for image runs): the run's own preprocessing is applied. Each example \
        must hold as many values as the run's examples; it takes their shape.

        When the inputs have labels (an IDX images file with its labels file beside it, a CSV \
        file's --label-column, images in folders named for the run's classes), each line says \
        whether the prediction is right (✓, or ✗ and the true class) and the accuracy follows.

        Output: one line per example, FILE[row]: class NAME (p=0.97), with the next most probable \
        classes when --top is above 1 (FILE[row]: class 7 (p=0.97), then 9 (p=0.02), 4 (p<0.01)); \
        --json prints one JSON document with every probability.

        Example:
          nabla predict runs/mnist digits.csv t10k-images-idx3-ubyte.gz --top 3
        """
    )

    @Argument(help: ArgumentHelp("The run folder (made by nabla train --out DIR).", valueName: "run"))
    var folder: String

    @Argument(help: "Input files: IDX images, CSV, .npy, PNG or JPEG.")
    var files: [String]

    @Option(parsing: .unconditional, help: "A CSV column to ignore, e.g. the label: a name (with a header line) or an index (negative counts from the end).")
    var labelColumn: String?

    @Option(help: "Show the K most probable classes.")
    var top: Int = 1

    @Flag(help: "Print JSON: the classes and, per example, the file, row, class, probability, top K and all probabilities.")
    var json = false

    @Option(help: "The weights file in the run folder.")
    var weights: String = "best.safetensors"

    @Option(help: "Examples per forward pass.")
    var batchSize: Int = 1000

    func run() throws {
        try reportingErrors(predict)
    }

    private func predict() throws {
        guard batchSize >= 1 else { throw CommandError("--batch-size must be at least 1, got \(batchSize)") }
        let trained = try TrainedRun.load(folder, weights: weights)
        let classNames = trained.config.classNames
        guard top >= 1 && top <= classNames.count else {
            throw CommandError("--top must be between 1 and \(classNames.count) (the run's classes), got \(top)")
        }
        // Read and check every file before printing anything.
        let inputs = try files.map { file in
            let (raw, known) = try readExamples(file, exampleShape: trained.config.inputShape, classNames: classNames)
            return (file, try trained.prepare(raw, file: file), known)
        }
        var predictions: [Prediction] = []
        var correct = 0, labelled = 0
        for (file, features, known) in inputs {
            let p = predictProbabilities(trained.model, features, batchSize: batchSize)
            let rows = features.shape[0], c = classNames.count
            let values = p.floats
            for row in 0..<rows {
                let probabilities = Array(values[(row * c)..<((row + 1) * c)])
                let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] || probabilities[$0] == probabilities[$1] && $0 < $1 }
                let best = ranked.prefix(top).map { ClassProbability(class: classNames[$0], probability: shortest(probabilities[$0])) }
                let label = known?[row]
                predictions.append(Prediction(file: file, row: row, class: best[0].class, probability: best[0].probability,
                                              top: best, probabilities: probabilities.map(shortest), label: label.map { classNames[$0] }))
                if let label { labelled += 1; if label == ranked[0] { correct += 1 } }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let accuracy = labelled > 0 ? Double(correct) / Double(labelled) : nil
            let document = PredictionDocument(run: folder, weights: weights, classes: classNames, accuracy: accuracy, predictions: predictions)
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
            return
        }
        for prediction in predictions {
            let format = { (entry: ClassProbability) in
                "\(entry.class) (p\(entry.probability < 0.005 ? "<0.01" : String(format: "=%.2f", entry.probability)))"
            }
            var line = "\(prediction.file)[\(prediction.row)]: class \(format(prediction.top[0]))"
            if prediction.top.count > 1 { line += ", then " + prediction.top.dropFirst().map(format).joined(separator: ", ") }
            if let label = prediction.label { line += label == prediction.class ? " ✓" : " ✗ (is \(label))" }
            print(line)
        }
        if labelled > 0 {
            let of = labelled == predictions.count ? "" : " labelled"
            print(String(format: "accuracy: %.4f (%d of %d\(of) examples)", Double(correct) / Double(labelled), correct, labelled))
        }
    }

    /// The raw examples `[N, …]` of `file` and, when it has them, their labels as the run's class
    /// indices. A CSV file with --label-column is read once for both.
    private func readExamples(_ file: String, exampleShape: [Int], classNames: [String]) throws -> (Tensor, labels: [Int]?) {
        let lower = file.lowercased()
        if lower.hasSuffix(".csv") || lower.hasSuffix(".csv.gz"), let labelColumn {
            let column: CSVReader.LabelColumn = Int(labelColumn).map { .index($0) } ?? .name(labelColumn)
            let data = try CSVReader.load(file, labelColumn: column, classCount: classNames.count)
            let numbered = data.classNames == (0..<data.classCount).map(String.init)
            let labels = try data.labels.map { numbered ? try checkedLabel($0, file: file, classNames: classNames)
                                                        : try classIndex(data.classNames[$0], "label", file: file, classNames: classNames) }
            return (data.features, labels)
        }
        let features = try readInputs(file, exampleShape: exampleShape)
        return (features, try labels(of: file, count: features.shape[0], classNames: classNames))
    }

    private func classIndex(_ text: String, _ what: String, file: String, classNames: [String]) throws -> Int {
        if let i = classNames.firstIndex(of: text) { return i }
        throw DataError(file: file, "\(what) '\(text)' is not one of the run's classes (\(classNames.joined(separator: ", ")))")
    }

    private func checkedLabel(_ label: Int, file: String, classNames: [String]) throws -> Int {
        guard classNames.indices.contains(label) else {
            throw DataError(file: file, "label \(label), but the run knows only \(classNames.count) classes (0–\(classNames.count - 1))")
        }
        return label
    }

    /// The labels of `file`'s examples when it has them, as the run's class indices: an IDX images
    /// file's labels file beside it, an image's class folder (a CSV file's are read with its features).
    private func labels(of file: String, count: Int, classNames: [String]) throws -> [Int]? {
        let lower = file.lowercased(), name = (file as NSString).lastPathComponent
        if [".png", ".jpg", ".jpeg"].contains(where: lower.hasSuffix) {
            let folder = ((file as NSString).deletingLastPathComponent as NSString).lastPathComponent
            return classNames.contains(folder) ? [try classIndex(folder, "class folder", file: file, classNames: classNames)] : nil
        }
        if name.contains("images-idx3-ubyte") {
            let labelsFile = (file as NSString).deletingLastPathComponent + "/" + name.replacingOccurrences(of: "images-idx3-ubyte", with: "labels-idx1-ubyte")
            guard FileManager.default.fileExists(atPath: labelsFile) else { return nil }
            let labels = try IDX.readLabels(labelsFile)
            guard labels.count == count else {
                throw DataError(file: labelsFile, "\(labels.count) labels, but \(file) holds \(count) images")
            }
            return try labels.map { try checkedLabel($0, file: file, classNames: classNames) }
        }
        return nil
    }

    /// The raw examples `[N, …]` in `file`, by its kind: IDX images (by their magic number), CSV or
    /// `.npy`. A `.npy` array holding exactly one example of `exampleShape` is taken as `[1, …]`.
    private func readInputs(_ file: String, exampleShape: [Int]) throws -> Tensor {
        let lower = file.lowercased()
        if lower.hasSuffix(".csv") || lower.hasSuffix(".csv.gz") { return try readCSVFeatures(file) }
        if [".png", ".jpg", ".jpeg"].contains(where: lower.hasSuffix) { return try readImage(file, exampleShape: exampleShape) }
        let bytes = try Gzip.readFile(file)
        if lower.hasSuffix(".npy") || lower.hasSuffix(".npy.gz") || bytes.starts(with: [0x93] + Array("NUMPY".utf8)) {
            let array = try NPY.parse(bytes, file: file)
            // [N, …] unless that does not fit and the whole array is one example ([28, 28], [784]).
            let exampleCount = exampleShape.reduce(1, *)
            if array.shape.isEmpty || array.shape.dropFirst().reduce(1, *) != exampleCount && array.count == exampleCount {
                return array.tensor().reshaped([1] + array.shape)
            }
            return array.tensor()
        }
        if bytes.starts(with: [0, 0, 8, 3]) || lower.contains("idx3-ubyte") { return try IDX.parseImages(bytes, file: file) }
        if bytes.starts(with: [0, 0, 8, 1]) {
            throw DataError(file: file, "an IDX labels file; give the images file (…-images-idx3-ubyte) to predict")
        }
        throw DataError(file: file, "unrecognized input: expected an IDX images file (…-images-idx3-ubyte[.gz]), a .csv/.csv.gz file or a .npy file")
    }

    /// A PNG or JPEG image as one raw example `[1, C, H, W]` of a run on images `[C, H, W]`.
    private func readImage(_ file: String, exampleShape: [Int]) throws -> Tensor {
        guard exampleShape.count == 3, exampleShape[0] == 1 || exampleShape[0] == 3 else {
            throw CommandError("\(file): an image, but the run takes examples of shape \(exampleShape), not grey or RGB images [C, H, W]")
        }
        var image = try ImageCodecs.decode(try Gzip.readFile(file), file: file)
        if image.channels == 3 && exampleShape[0] == 1 {
            throw CommandError("\(file): a colour image, but the run was trained on grey images")
        }
        if exampleShape[0] == 3 { image = image.rgb() }
        image = image.resized(width: exampleShape[2], height: exampleShape[1])
        return Tensor(image.planar().map(Float.init), shape: [1] + exampleShape)
    }

    /// A float as the shortest decimal that reads back as it (0.97, not 0.9700000286102295).
    private func shortest(_ x: Float) -> Double { Double(x.description) ?? Double(x) }
}

/// A CSV file's rows as features `[N, columns]`: every field a number; a first line with a field
/// that is not a number is a header and skipped; blank lines are skipped.
/// - Throws: `DataError` naming the file, line and column of a field that is not a number, or of
///   a line with another number of fields than the first.
func readCSVFeatures(_ file: String) throws -> Tensor {
    let bytes = try Gzip.readFile(file)
    var values: [Float] = []
    var width: Int? = nil, rows = 0
    for (index, lineBytes) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
        let line = String(decoding: lineBytes.last == 0x0D ? lineBytes.dropLast() : lineBytes, as: UTF8.self)
        guard !line.allSatisfy({ $0 == " " || $0 == "\t" }) else { continue }
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = fields.map { Double($0).flatMap { $0.isFinite ? Float($0) : nil } }
        if width == nil {
            width = fields.count
            if numbers.contains(where: { $0 == nil }) { continue }  // the header line
        }
        guard fields.count == width else {
            throw DataError(file: file, location: "line \(index + 1)", "\(fields.count) fields, expected \(width!) like the first line")
        }
        if let column = numbers.firstIndex(where: { $0 == nil }) {
            throw DataError(file: file, location: "line \(index + 1)",
                            fields[column].isEmpty ? "missing value in column \(column + 1)" : "'\(fields[column])' in column \(column + 1) is not a number")
        }
        values += numbers.map { $0! }
        rows += 1
    }
    guard let width, rows > 0 else { throw DataError(file: file, "no data rows") }
    return Tensor(values, shape: [rows, width])
}

/// One class and its probability.
struct ClassProbability: Encodable {
    var `class`: String
    var probability: Double
}

/// One example's prediction.
struct Prediction: Encodable {
    var file: String
    var row: Int
    var `class`: String
    var probability: Double
    var top: [ClassProbability]
    /// In class order.
    var probabilities: [Double]
    /// The true class, when the input has labels.
    var label: String?
}

/// `nabla predict --json`'s output.
struct PredictionDocument: Encodable {
    var run: String
    var weights: String
    var classes: [String]
    /// Over the examples with labels, when some have.
    var accuracy: Double?
    var predictions: [Prediction]
}
