import Foundation

/// One file of a downloadable data set: its name (on the server, and on disk), its exact size and
/// its MD5 checksum, and, for an archive, what unpacking it must yield.
public struct RemoteFile: Sendable, Equatable {
    /// The file name: the server's (appended to the base URL) and the local one.
    public var name: String
    /// The exact size in bytes.
    public var size: Int64
    /// The MD5 checksum, 32 lowercase hexadecimal digits.
    public var md5: String
    /// For a `.tar.gz` archive that is to be unpacked: the files (paths relative to the download
    /// directory, e.g. `cifar-10-batches-bin/data_batch_1.bin`) it holds, with their sizes where
    /// known. Empty for a file that stays as it is.
    public var unpacksTo: [UnpackedFile]

    public init(name: String, size: Int64, md5: String, unpacksTo: [UnpackedFile] = []) {
        self.name = name
        self.size = size
        self.md5 = md5.lowercased()
        self.unpacksTo = unpacksTo
    }

    /// Whether this file is an archive that the download unpacks.
    public var isArchive: Bool { !unpacksTo.isEmpty }
}

/// A file that unpacking an archive must produce.
public struct UnpackedFile: Sendable, Equatable {
    /// The path relative to the download directory.
    public var path: String
    /// The exact size in bytes, or nil when it is not checked.
    public var size: Int64?

    public init(_ path: String, size: Int64? = nil) {
        self.path = path
        self.size = size
    }
}

/// A data set that `nabla data download` can fetch: where from, and which files.
public struct DataSource: Sendable, Equatable {
    /// The name used on the command line: `mnist`, `cifar10`.
    public var name: String
    /// A human-readable title, e.g. "MNIST".
    public var title: String
    /// The default base URL; each file's URL is this followed by the file's name. Overridden by a
    /// mirror (`--mirror URL`, or the environment variable `NABLA_DATA_MIRROR`).
    public var baseURL: String
    /// The files, downloaded in this order.
    public var files: [RemoteFile]

    public init(name: String, title: String, baseURL: String, files: [RemoteFile]) {
        self.name = name
        self.title = title
        self.baseURL = baseURL
        self.files = files
    }

    /// The total number of bytes to download.
    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }
}

/// The catalog of downloadable data sets.
///
/// Sizes and checksums are those the data sets' publishers (and torchvision) give:
/// - MNIST: the four gzip-compressed IDX files, from the mirror PyTorch uses (Yann LeCun's original
///   site no longer serves them reliably). They stay compressed; `IDX.load(directory:)` reads `.gz`.
/// - CIFAR-10: the "binary version" archive from the data set's page at the University of Toronto,
///   unpacked into `cifar-10-batches-bin/`, where `CIFAR10.load(directory:)` looks.
public enum DataSources {
    /// The environment variable that overrides every data set's base URL (like `--mirror`).
    public static let mirrorEnvironmentVariable = "NABLA_DATA_MIRROR"

    /// MNIST: 60,000 training and 10,000 test images of handwritten digits, 28×28, as IDX files.
    public static let mnist = DataSource(
        name: "mnist",
        title: "MNIST",
        baseURL: "https://ossci-datasets.s3.amazonaws.com/mnist/",
        files: [
            RemoteFile(name: "train-images-idx3-ubyte.gz", size: 9_912_422, md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            RemoteFile(name: "train-labels-idx1-ubyte.gz", size: 28_881, md5: "d53e105ee54ea40749a09fcbcd1e9432"),
            RemoteFile(name: "t10k-images-idx3-ubyte.gz", size: 1_648_877, md5: "9fb629c4189551a2d022fa330f9573f3"),
            RemoteFile(name: "t10k-labels-idx1-ubyte.gz", size: 4_542, md5: "ec29112dd5afa0611ce80d1b7f02629c"),
        ]
    )

    /// Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28×28, as IDX files, from
    /// Zalando Research's own server (sizes and checksums as Zalando and torchvision publish them).
    public static let fashionMNIST = DataSource(
        name: "fashion-mnist",
        title: "Fashion-MNIST",
        baseURL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        files: [
            RemoteFile(name: "train-images-idx3-ubyte.gz", size: 26_421_880, md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            RemoteFile(name: "train-labels-idx1-ubyte.gz", size: 29_515, md5: "25c81989df183df01b3e8a0aad5dffbe"),
            RemoteFile(name: "t10k-images-idx3-ubyte.gz", size: 4_422_102, md5: "bef4ecab320f06d8554ea6380940ec79"),
            RemoteFile(name: "t10k-labels-idx1-ubyte.gz", size: 5_148, md5: "bb300cfdad3c16e7a12a480ee83cd310"),
        ]
    )

    /// CIFAR-10: 50,000 training and 10,000 test colour images, 32×32, in ten classes, as binary
    /// batches (10,000 records of 3,073 bytes each).
    public static let cifar10 = DataSource(
        name: "cifar10",
        title: "CIFAR-10",
        baseURL: "https://www.cs.toronto.edu/~kriz/",
        files: [
            RemoteFile(
                name: "cifar-10-binary.tar.gz", size: 170_052_171, md5: "c32a1d4ab5d03f1284b67883e8d87530",
                unpacksTo: (CIFAR10.trainFiles + [CIFAR10.testFile]).map {
                    UnpackedFile("cifar-10-batches-bin/" + $0, size: Int64(10_000 * CIFAR10.recordSize))
                } + [UnpackedFile("cifar-10-batches-bin/" + CIFAR10.metaFile)]
            ),
        ]
    )

    /// Every data set in the catalog.
    public static let all: [DataSource] = [mnist, fashionMNIST, cifar10]

    /// The data set with this name (case-insensitive; `cifar-10` and `cifar_10` also find `cifar10`),
    /// or nil.
    public static func named(_ name: String) -> DataSource? {
        let key = name.lowercased().filter { $0 != "-" && $0 != "_" }
        return all.first { $0.name.filter { $0 != "-" } == key }
    }
}
