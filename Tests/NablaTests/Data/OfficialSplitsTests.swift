import Foundation
import Testing
@testable import Nabla

/// A data set's own test (and validation) files are its splits; the rest is drawn from the
/// training files with a split seed of its own.
@Suite struct OfficialSplitsTests {
    /// A folder of MNIST IDX files: 300 training digits and 100 test digits of MNIST-5k.
    func withIDXFolder(testFiles: Bool = true, trainFiles: Bool = true, _ body: (String, Dataset, Dataset) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-splits-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let digits = try Datasets.load("mnist-5k").subset((0..<400).map { ($0 * 12 + 5) % 5000 })
        let (train, test) = (digits[0..<300], digits[300..<400])
        if trainFiles {
            try IDX.write(images: train.features, labels: train.labels, imagesPath: dir + "/train-images-idx3-ubyte",
                          labelsPath: dir + "/train-labels-idx1-ubyte.gz", gzip: true)
        }
        if testFiles {
            try IDX.write(images: test.features, labels: test.labels, imagesPath: dir + "/t10k-images-idx3-ubyte",
                          labelsPath: dir + "/t10k-labels-idx1-ubyte")
        }
        try body(dir, train, test)
    }

    @Test func theTestFilesAreTheTestSplitAndValidationComesFromTheTrainingFiles() throws {
        try withIDXFolder { dir, train, test in
            let (splits, origins, isImageBytes) = try DataRecipe(source: dir, validation: 0.2).splits(seed: 1)
            #expect(isImageBytes)
            #expect(splits.test.labels == test.labels && splits.test.features.floats == test.features.floats)
            #expect(splits.train.count == 240 && splits.validation.count == 60)
            // Training and validation together are exactly the training files.
            let seen = (splits.train.labels + splits.validation.labels).sorted()
            #expect(seen == train.labels.sorted())
            #expect(origins.train == "240 of the 300 training files")
            #expect(origins.validation == "60 drawn at random from the training files (split seed 1)")
            #expect(origins.test == "the data set's 100 test files")
        }
    }

    @Test func anExplicitTestSplitIsDrawnFromTheTrainingFilesOnly() throws {
        try withIDXFolder { dir, train, _ in
            let (splits, origins, _) = try DataRecipe(source: dir, validation: 30, test: 0.1).splits(seed: 1)
            #expect(splits.train.count == 240 && splits.validation.count == 30 && splits.test.count == 30)
            #expect((splits.train.labels + splits.validation.labels + splits.test.labels).sorted() == train.labels.sorted())
            #expect(origins.test == "30 drawn at random from the training files (split seed 1); its own test files are not used")
            let none = try DataRecipe(source: dir, validation: 30, test: 0).splits(seed: 1)
            #expect(none.0.test.count == 0 && none.origins.test == "none")
        }
    }

    @Test func theSplitSeedFixesTheSplitsWhateverTheRunSeed() throws {
        var recipe = DataRecipe(source: "mnist-5k")
        recipe.splitSeed = 7
        let a = try recipe.splits(seed: 1).0, b = try recipe.splits(seed: 2).0
        #expect(a.test.labels == b.test.labels && a.test.features.floats == b.test.features.floats)
        #expect(a.validation.labels == b.validation.labels)
        // Without it the run's seed draws them, as before.
        let c = try DataRecipe(source: "mnist-5k").splits(seed: 7).0
        #expect(c.test.features.floats == a.test.features.floats)
        #expect(try DataRecipe(source: "mnist-5k").splits(seed: 1).0.test.features.floats != a.test.features.floats)
    }

    @Test func aDataSetWithoutTestFilesHoldsOutTenPercentAsBefore() throws {
        let data = try Datasets.load("mnist-5k")
        let old = data.split(validation: 0.1, test: 0.1, seed: 3)
        let (new, origins, _) = try DataRecipe(source: "mnist-5k").splits(seed: 3)
        #expect(new.test.labels == old.test.labels && new.validation.labels == old.validation.labels && new.train.labels == old.train.labels)
        #expect(origins.test == "500 drawn at random from the training files (split seed 3)")
    }

    @Test func runsOfVersion2KeepTheirPooledSplits() throws {
        try withIDXFolder { dir, train, test in
            let json = #"{"version": 2, "data": {"source": "\#(dir)", "validation": 0.1, "test": 0.2}, "seed": 4}"#
            let recipe = try JSONDecoder().decode(TrainingRecipe.self, from: Data(json.utf8))
            #expect(recipe.data.poolsTestFiles)
            let (splits, origins, _) = try recipe.data.splits(seed: recipe.seed)
            let old = Dataset.concatenated(train, test).split(validation: 0.1, test: 0.2, seed: 4)
            #expect(splits.test.features.floats == old.test.features.floats && splits.train.labels == old.train.labels)
            #expect(origins.train.hasSuffix("(training and test pooled, as runs before version 3 did)"))
            // Saved again, the run stays pooled; a new recipe does not pool.
            let again = try JSONDecoder().decode(TrainingRecipe.self, from: try recipe.json())
            #expect(again.data.poolsTestFiles)
            #expect(!TrainingRecipe().data.poolsTestFiles)
        }
    }

    @Test func aFolderOfTestFilesAloneEvaluatesButDoesNotTrain() throws {
        try withIDXFolder(trainFiles: false) { dir, _, test in
            let parts = try DataRecipe(source: dir).loadParts()
            #expect(parts.train.count == 0 && parts.test?.labels == test.labels)
            #expect(parts.format == "MNIST IDX folder, test files only" && parts.sizes == "100 test examples")
            #expect(throws: DataError(file: dir, "no training examples (100 test examples): train on a data set with training files, "
                                      + "or evaluate a run on this one")) { try DataRecipe(source: dir).splits(seed: 1) }
        }
    }

    @Test func anImageFoldersValAndTestFoldersAreItsSplits() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-imgsplits-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let counts = ["train": 10, "val": 3, "test": 4]
        for (split, count) in counts {
            for name in ["cat", "dog"] {
                for i in 0..<count {
                    let image = DecodedImage(width: 6, height: 5, channels: 1, pixels: (0..<30).map { UInt8(($0 * 9 + i * 31 + name.count) % 256) })
                    let path = "\(dir)/\(split)/\(name)/\(i).png"
                    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try AtomicFile.write(ImageCodecs.encodePNG(image), to: path)
                }
            }
        }
        let (splits, origins, _) = try DataRecipe(source: dir, validation: 0.5).splits(seed: 1)
        #expect(splits.train.count == 20 && splits.validation.count == 6 && splits.test.count == 8)
        #expect(splits.train.classNames == ["cat", "dog"] && splits.test.exampleShape == [1, 5, 6])
        #expect(origins.validation == "the data set's 6 validation files" && origins.test == "the data set's 8 test files")
        var resized = DataRecipe(source: dir)
        resized.imageSize = 4
        #expect(try resized.splits(seed: 1).0.train.exampleShape == [1, 4, 4])
        // Elsewhere the image options are refused, not ignored.
        var shipped = DataRecipe(source: "mnist-5k")
        shipped.imageSize = 4
        #expect(throws: SettingError(field: "data.imageSize", "applies to image folders (class folders of .png/.jpg images), and mnist-5k is not one")) {
            try shipped.loadParts()
        }
    }

    @Test func fashionMNISTByNameHasItsClassNamesAndOfficialTestSet() throws {
        guard Datasets.fashionMNIST.locate() != nil else { return }  // Debian's dataset-fashion-mnist is not installed
        let (splits, origins, _) = try DataRecipe(source: "fashion-mnist").splits(seed: 1)
        #expect(splits.train.count == 54_000 && splits.validation.count == 6_000 && splits.test.count == 10_000)
        #expect(splits.test.classNames.first == "T-shirt/top" && splits.train.classNames.last == "Ankle boot")
        #expect(origins.test == "the data set's 10000 test files")
    }

    @Test func aMissingKnownDataSetSaysHowToGetIt() {
        let missing = KnownDataset(name: "cifar10", title: "CIFAR-10", classNames: [], systemFolders: ["/nonexistent/cifar"])
        #expect(missing.locate() == nil || FileManager.default.fileExists(atPath: "data/cifar10"))
        #expect(Datasets.fashionMNIST.howToGet == "sudo apt-get install dataset-fashion-mnist or nabla data download fashion-mnist")
        #expect(Datasets.known("CIFAR-10") == Datasets.cifar10 && Datasets.known("fashion_mnist") == Datasets.fashionMNIST)
    }

    @Test func channelsLastImagesTurnChannelsFirst() {
        // Two 2×3 RGB images whose value encodes (n, y, x, c).
        func value(_ n: Int, _ y: Int, _ x: Int, _ c: Int) -> Int { n * 100 + y * 30 + x * 10 + c }
        var hwc: [UInt8] = [], expected: [Float] = []
        for n in 0..<2 { for y in 0..<2 { for x in 0..<3 { for c in 0..<3 { hwc.append(UInt8(value(n, y, x, c))) } } } }
        for n in 0..<2 { for c in 0..<3 { for y in 0..<2 { for x in 0..<3 { expected.append(Float(value(n, y, x, c))) } } } }
        let bytes = Dataset(bytes: hwc, exampleShape: [2, 3, 3], labels: [0, 1]).channelsFirst()
        let floats = Dataset(features: Tensor(hwc.map(Float.init), shape: [2, 2, 3, 3]), labels: [0, 1]).channelsFirst()
        #expect(bytes.exampleShape == [3, 2, 3] && floats.exampleShape == [3, 2, 3])
        #expect(bytes.features.floats == expected && floats.features.floats == expected)
    }

    @Test func csvLabelsMayBeClassNames() throws {
        let csv = "x,y,kind\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,bird\n"
        let data = try CSVReader.parse(Array(csv.utf8), file: "pets.csv", labelColumn: .name("kind"))
        #expect(data.classNames == ["bird", "cat", "dog"] && data.labels == [2, 1, 2, 0])
        #expect(data.features.floats == [1, 2, 3, 4, 5, 6, 7, 8])
        // Without a header line too; a feature that is not a number is still an error.
        let plain = try CSVReader.parse(Array("1,2,dog\n3,4,cat\n".utf8), file: "p.csv")
        #expect(plain.classNames == ["cat", "dog"] && plain.labels == [1, 0] && plain.count == 2)
        #expect(throws: DataError(file: "q.csv", location: "line 2", "'x' in column 2 is not a number")) {
            try CSVReader.parse(Array("1,2,dog\n3,x,cat\n".utf8), file: "q.csv")
        }
    }
}
