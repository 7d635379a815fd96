import ArgumentParser
import Foundation
import Nabla

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Look at data sets.",
        subcommands: [DataInfoCommand.self, DataDownloadCommand.self]
    )
}

struct DataInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print what a data set holds: format, count, shape, classes and counts per class, value range."
    )

    @Argument(help: "A data set's name (\(Datasets.allNames.joined(separator: ", "))), a folder of IDX, CIFAR-10 or image files, a CSV file or a .npy features file.")
    var path: String = "mnist-5k"

    @Option(help: "Image folders: resize every image to this height and width.")
    var imageSize: Int?

    @Option(help: "The CSV column holding the label: a name or an index.")
    var labelColumn: String = "-1"

    @Option(help: "The labels .npy file that goes with a .npy features file.")
    var labels: String?

    @Option(help: "The number of classes, when the labels need not cover them all.")
    var classes: Int?

    func run() throws {
        do {
            var recipe = DataRecipe(source: path, labels: labels, labelColumn: labelColumn, classes: classes)
            recipe.imageSize = imageSize
            try recipe.validate()
            let parts = try recipe.loadParts()
            var text = DataInfoCommand.describe(parts.all, name: path, format: parts.format, isImageBytes: parts.isImageBytes)
            if parts.validation != nil || parts.test != nil { text += "\nparts: \(parts.sizes) (its own splits)" }
            for note in parts.notes { text += "\nnote: \(note)" }
            if !parts.skipped.isEmpty { text += "\nskipped \(parts.skipped.count) unreadable images: " + parts.skipped.prefix(5).joined(separator: "; ") }
            print(text)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    static func describe(_ data: Dataset, name: String, format: String, isImageBytes: Bool) -> String {
        let counts = data.classCounts
        // A chunk at a time, so that compact (byte) data is never converted in full.
        var lo = data.count > 0 ? Double.infinity : 0, hi = data.count > 0 ? -Double.infinity : 0
        for start in stride(from: 0, to: data.count, by: 1000) {
            let chunk = data.features(in: start..<min(start + 1000, data.count))
            lo = min(lo, chunk.min().scalar)
            hi = max(hi, chunk.max().scalar)
        }
        var lines = [
            "\(name): \(format)",
            "examples: \(data.count), each of shape \(data.exampleShape)\(isImageBytes ? " (image bytes)" : "")",
            "values: \(Tensor.format(lo)) to \(Tensor.format(hi))",
            "classes: \(data.classCount)",
        ]
        // Only the classes that occur: a stated class count of a million must not print a million lines.
        let occurring = zip(data.classNames, counts).filter { $0.1 > 0 }
        let width = occurring.map(\.0.count).max() ?? 0
        for (name, count) in occurring {
            let share = Double(count) / Double(max(data.count, 1)) * 100
            lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "  %6d  %5.1f%%", count, share))
        }
        let empty = counts.indices.filter { counts[$0] == 0 }
        if !empty.isEmpty {
            let shown = empty.prefix(5).map { data.classNames[$0] }.joined(separator: ", ")
            lines.append("  \(empty.count) class\(empty.count == 1 ? "" : "es") without examples: \(shown)\(empty.count > 5 ? ", …" : "")")
        }
        return lines.joined(separator: "\n")
    }
}
