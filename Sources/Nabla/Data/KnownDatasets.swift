import Foundation

/// A well-known data set that `--data NAME` finds on disk, with its class names.
public struct KnownDataset: Sendable, Equatable {
    /// The name used on the command line: `mnist`, `fashion-mnist`, `cifar10`.
    public var name: String
    /// A human-readable title.
    public var title: String
    /// The class names, in label order.
    public var classNames: [String]
    /// Folders of the system that may hold it (a Debian package's), looked in after the data folder.
    public var systemFolders: [String]
    /// The Debian package that installs it, if one does.
    public var debianPackage: String?

    /// The folders looked in, in order: `$NABLA_DATA/NAME`, `data/NAME` (where `nabla data download`
    /// puts it by default), then the system's.
    public var folders: [String] {
        var folders: [String] = []
        if let root = ProcessInfo.processInfo.environment[Datasets.dataFolderVariable], !root.isEmpty {
            folders.append((root as NSString).appendingPathComponent(name))
        }
        return folders + ["data/" + name] + systemFolders
    }

    /// The first folder that holds the data set's training files, or nil.
    public func locate() -> String? {
        folders.first { folder in
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return false }
            return files.contains { $0.hasPrefix("train-images-idx3-ubyte") || $0.hasPrefix("data_batch_") || $0 == "cifar-10-batches-bin" }
        }
    }

    /// What to do when the data set is not found: install the package, or download it.
    public var howToGet: String {
        var ways = ["nabla data download \(name)"]
        if let debianPackage { ways.insert("sudo apt-get install \(debianPackage)", at: 0) }
        return ways.joined(separator: " or ")
    }
}

extension Datasets {
    /// The environment variable naming the folder that `mnist`, `fashion-mnist` and `cifar10` are
    /// looked for in (as `$NABLA_DATA/NAME`) before `data/NAME` and the system's folders.
    public static let dataFolderVariable = "NABLA_DATA"

    /// MNIST's 70,000 handwritten digits (`nabla data download mnist`).
    public static let mnist = KnownDataset(name: "mnist", title: "MNIST", classNames: (0...9).map(String.init), systemFolders: [])

    /// Zalando's Fashion-MNIST: 70,000 grey 28×28 images of ten kinds of clothing, in MNIST's files.
    /// Debian's `dataset-fashion-mnist` package puts them in `/usr/share/datasets/fashion-mnist`.
    public static let fashionMNIST = KnownDataset(
        name: "fashion-mnist", title: "Fashion-MNIST",
        classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        systemFolders: ["/usr/share/datasets/fashion-mnist"], debianPackage: "dataset-fashion-mnist")

    /// CIFAR-10's 60,000 colour 32×32 images (`nabla data download cifar10`); its own
    /// `batches.meta.txt` names the classes when present.
    public static let cifar10 = KnownDataset(
        name: "cifar10", title: "CIFAR-10",
        classNames: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], systemFolders: [])

    /// The data sets found by name on disk.
    public static let known = [mnist, fashionMNIST, cifar10]

    /// The known data set of this name (`cifar-10` and `fashion_mnist` also match), or nil.
    public static func known(_ name: String) -> KnownDataset? {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
        return known.first { $0.name == key || $0.name == key.replacingOccurrences(of: "-", with: "") }
    }

    /// Whether `name` is a shipped or known data set rather than a path.
    public static func isName(_ name: String) -> Bool {
        names.contains(name) || (known(name) != nil && !FileManager.default.fileExists(atPath: name))
    }

    /// Every name `--data` takes.
    public static var allNames: [String] { names + known.map(\.name) }

    /// The folder holding a known data set.
    /// - Throws: `DataError` listing where it was looked for and how to get it.
    public static func folder(of dataset: KnownDataset) throws -> String {
        guard let folder = dataset.locate() else {
            throw DataError(file: dataset.name, "\(dataset.title) is not installed: looked in \(dataset.folders.joined(separator: ", ")); "
                            + "get it with: \(dataset.howToGet)")
        }
        return folder
    }
}
