import Foundation
import Testing
@testable import Nabla

/// Official test splits, split seeds and known data sets through `nabla train`, `evaluate`,
/// `predict` and `data`, run as subprocesses.
@Suite struct RealDataCommandTests {
    func nabla(_ arguments: String...) throws -> GradCommandTests.Run { try GradCommandTests.run(arguments) }

    /// A folder with `digits/` (MNIST IDX: 400 training and 100 test digits of MNIST-5k) and
    /// `test-only/` (the same 100 test digits alone).
    func withFolder(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-realdata-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/digits", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/test-only", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let digits = try Datasets.load("mnist-5k").subset((0..<500).map { ($0 * 9 + 2) % 5000 })
        let (train, test) = (digits[0..<400], digits[400..<500])
        try IDX.write(images: train.features, labels: train.labels, imagesPath: dir + "/digits/train-images-idx3-ubyte",
                      labelsPath: dir + "/digits/train-labels-idx1-ubyte")
        for folder in ["digits", "test-only"] {
            try IDX.write(images: test.features, labels: test.labels, imagesPath: dir + "/\(folder)/t10k-images-idx3-ubyte.gz",
                          labelsPath: dir + "/\(folder)/t10k-labels-idx1-ubyte.gz", gzip: true)
        }
        try body(dir)
    }

    @Test func trainTestsOnTheTestFilesAndSaysWhereEachSplitCameFrom() throws {
        try withFolder { dir in
            let train = try nabla("train", "--data", dir + "/digits", "--model", "linear(10)", "--epochs", "2", "--val", "0.25", "--out", dir + "/run")
            #expect(train.status == 0, "\(train.stderr)")
            let lines = train.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("data: \(dir)/digits: 300 train, 100 validation, 100 test; examples [1, 28, 28], 10 classes"))
            #expect(lines.contains("  train: 300 of the 400 training files"))
            #expect(lines.contains("  validation: 100 drawn at random from the training files (split seed 1)"))
            #expect(lines.contains("  test: the data set's 100 test files"))
            #expect(lines.contains { $0.hasPrefix("test accuracy: ") && $0.hasSuffix(" (100 examples)") })
            let config = try RunFolder.readConfig(dir + "/run")
            #expect(config.version == 3 && config.splits?.test == "the data set's 100 test files" && !config.data.poolsTestFiles)

            // evaluate rebuilds the same test split; --data on the test files alone gives the same report.
            let evaluate = try nabla("evaluate", dir + "/run")
            #expect(evaluate.status == 0, "\(evaluate.stderr)")
            #expect(evaluate.stdout.hasPrefix("data: test split of \(dir)/digits: the data set's 100 test files (100 examples)\n"))
            // "accuracy: 0.8700 (87 of 100)"
            let accuracy = try #require(evaluate.stdout.split(separator: "\n").first { $0.hasPrefix("accuracy: ") })
            let testOnly = try nabla("evaluate", dir + "/run", "--data", dir + "/test-only")
            #expect(testOnly.status == 0, "\(testOnly.stderr)")
            #expect(testOnly.stdout.hasPrefix("data: the test files of \(dir)/test-only (100 examples)\n"))
            #expect(testOnly.stdout.split(separator: "\n").dropFirst() == evaluate.stdout.split(separator: "\n").dropFirst())

            // predict finds the labels file beside the images and reports the same accuracy.
            let predict = try nabla("predict", dir + "/run", dir + "/test-only/t10k-images-idx3-ubyte.gz")
            #expect(predict.status == 0, "\(predict.stderr)")
            let predicted = predict.stdout.split(separator: "\n")
            #expect(predicted.count == 101 && predicted.dropLast().allSatisfy { $0.contains(" ✓") || $0.contains(" ✗ (is ") })
            #expect(predicted.last.map(String.init) == accuracy.dropLast() + " examples)")

            // A folder of test files cannot train.
            let refused = try nabla("train", "--data", dir + "/test-only", "--out", dir + "/never")
            #expect(refused.status == 1 && refused.stderr == "error: \(dir)/test-only: no training examples (100 test examples): "
                    + "train on a data set with training files, or evaluate a run on this one\n")
            #expect(!FileManager.default.fileExists(atPath: dir + "/never"))
        }
    }

    @Test func runsWithOneSplitSeedShareTheirTestSplit() throws {
        try withFolder { dir in
            for seed in ["1", "2"] {
                let run = try nabla("train", "--data", "mnist-5k", "--model", "linear(10)", "--epochs", "1", "--seed", seed, "--split-seed", "9",
                                    "--quiet", "--out", dir + "/s" + seed)
                #expect(run.status == 0, "\(run.stderr)")
            }
            let a = try RunFolder.readConfig(dir + "/s1"), b = try RunFolder.readConfig(dir + "/s2")
            #expect(a.data.splitSeed == 9 && a.splits?.test == "500 drawn at random from the training files (split seed 9)" && a.splits == b.splits)
            let ensemble = try nabla("evaluate", dir + "/s1", dir + "/s2")
            #expect(ensemble.status == 0 && ensemble.stderr.isEmpty, "\(ensemble.stderr)")
            // A different split seed is reported as a different split.
            let other = try nabla("train", "--data", "mnist-5k", "--model", "linear(10)", "--epochs", "1", "--quiet", "--out", dir + "/s3")
            #expect(other.status == 0)
            #expect(try nabla("evaluate", dir + "/s1", dir + "/s3").stderr.contains("split its data differently"))
        }
    }

    @Test func anImageFolderTrainsAndEvaluatesLikeIDX() throws {
        try withFolder { dir in
            // MNIST-5k digits as PNGs under train/<digit>/ and test/<digit>/.
            // Every class in both splits (MNIST-5k is sorted by class).
            let digits = try Datasets.load("mnist-5k").subset((0..<600).map { ($0 * 503 + 3) % 5000 })
            let pixels = digits.features.floats.map { UInt8($0) }
            for i in 0..<digits.count {
                let split = i < 500 ? "train" : "test"
                let path = "\(dir)/photos/\(split)/\(digits.labels[i])/\(i).png"
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let image = DecodedImage(width: 28, height: 28, channels: 1, pixels: Array(pixels[(i * 784)..<((i + 1) * 784)]))
                try AtomicFile.write(ImageCodecs.encodePNG(image), to: path)
            }
            let train = try nabla("train", "--data", dir + "/photos", "--model", "linear(10)", "--epochs", "5", "--lr", "0.05", "--out", dir + "/run")
            #expect(train.status == 0, "\(train.stderr)")
            #expect(train.stdout.contains("data: \(dir)/photos: 450 train, 50 validation, 100 test; examples [1, 28, 28], 10 classes\n"))
            #expect(train.stdout.contains("  test: the data set's 100 test files\n"))
            let evaluate = try nabla("evaluate", dir + "/run", "--data", dir + "/photos")
            #expect(evaluate.status == 0, "\(evaluate.stderr)")
            #expect(evaluate.stdout.hasPrefix("data: the test files of \(dir)/photos (100 examples)\n"))
            let line = try #require(evaluate.stdout.split(separator: "\n").first { $0.hasPrefix("accuracy: ") })
            let accuracy = try #require(Double(line.dropFirst("accuracy: ".count).prefix { $0 != " " }))
            #expect(accuracy >= 0.7, "a linear model on 450 digits")
            // The same images as IDX files evaluate the same way.
            let test = digits[500..<600]
            try FileManager.default.createDirectory(atPath: dir + "/idx", withIntermediateDirectories: true)
            try IDX.write(images: test.features, labels: test.labels, imagesPath: dir + "/idx/t10k-images-idx3-ubyte",
                          labelsPath: dir + "/idx/t10k-labels-idx1-ubyte")
            let idx = try nabla("evaluate", dir + "/run", "--data", dir + "/idx")
            #expect(idx.stdout.split(separator: "\n").first { $0.hasPrefix("accuracy: ") } == line)
        }
    }

    @Test func unreadableImagesStopTheRunOrAreSkippedAndListed() throws {
        try withFolder { dir in
            for (i, digit) in try Datasets.load("mnist-5k").subset((0..<40).map { ($0 * 503) % 5000 }).greyImages().enumerated() {
                let path = "\(dir)/photos/\(digit.label)/\(i).png"
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try AtomicFile.write(ImageCodecs.encodePNG(digit.image), to: path)
            }
            try AtomicFile.write(Array("not a png".utf8), to: dir + "/photos/3/broken.png")
            let stopped = try nabla("train", "--data", dir + "/photos", "--epochs", "1", "--model", "linear(10)")
            #expect(stopped.status == 1 && stopped.stderr.hasPrefix("error: \(dir)/photos/3/broken.png: "), "\(stopped.stderr)")
            #expect(stopped.stderr.split(separator: "\n").count == 1)
            let skipped = try nabla("train", "--data", dir + "/photos", "--skip-bad", "--epochs", "1", "--model", "linear(10)", "--val", "8")
            #expect(skipped.status == 0, "\(skipped.stderr)")
            #expect(skipped.stdout.contains("  note: skipped 1 unreadable image: \(dir)/photos/3/broken.png: "))
        }
    }

    @Test func channelsLastArraysNeedTheirLayout() throws {
        try withFolder { dir in
            let digits = try Datasets.load("mnist-5k").subset((0..<200).map { ($0 * 503) % 5000 })
            try NPY.write(digits.features.reshaped([200, 28, 28, 1]), to: dir + "/x.npy")
            try NPY.write(labels: digits.labels, to: dir + "/y.npy")
            let args = ["train", "--data", dir + "/x.npy", "--labels", dir + "/y.npy", "--scale", "0.0039", "--epochs", "1", "--model", "linear(10)"]
            let hinted = try GradCommandTests.run(args)
            #expect(hinted.stdout.contains("  note: \(dir)/x.npy: examples of shape [28, 28, 1] look channels-last ([H, W, C]); if so, give the layout nhwc\n"))
            let nhwc = try GradCommandTests.run(args + ["--layout", "nhwc"])
            #expect(nhwc.status == 0 && nhwc.stdout.contains("examples [1, 28, 28], 10 classes\n") && !nhwc.stdout.contains("note:"), "\(nhwc.stdout) \(nhwc.stderr)")
        }
    }

    @Test func imageOptionsOnOtherDataAreRefusedNamingTheFlag() throws {
        let run = try nabla("train", "--data", "mnist-5k", "--image-size", "14", "--epochs", "1")
        #expect(run.status == 1)
        #expect(run.stderr == "error: --image-size: applies to image folders (class folders of .png/.jpg images), and mnist-5k is not one\n")
        let layout = try nabla("train", "--data", "mnist-5k", "--layout", "hwc")
        #expect(layout.stderr == "error: --layout: unknown layout 'hwc'; choose nchw or nhwc\n")
    }

    @Test func fashionMNISTByName() throws {
        guard Datasets.fashionMNIST.locate() != nil else { return }  // Debian's dataset-fashion-mnist is not installed
        let info = try nabla("data", "info", "fashion-mnist")
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.hasPrefix("fashion-mnist: Fashion-MNIST (MNIST IDX folder)\nexamples: 70000, each of shape [1, 28, 28] (image bytes)\n"))
        #expect(info.stdout.contains("  Ankle boot     7000   10.0%") && info.stdout.hasSuffix("parts: 60000 training, 10000 test examples (its own splits)\n"))
        let download = try nabla("data", "download", "fashion-mnist")
        #expect(download.status == 0 && download.stdout.hasPrefix("Fashion-MNIST is already in ") && download.stdout.hasSuffix("use it with --data fashion-mnist\n"))
    }
}

extension Dataset {
    /// Each example as a grey image with its label, for writing image folders in tests.
    func greyImages() -> [(image: DecodedImage, label: Int)] {
        let pixels = features.floats.map { UInt8($0) }, size = exampleShape.reduce(1, *)
        return (0..<count).map { i in
            (DecodedImage(width: exampleShape[2], height: exampleShape[1], channels: 1, pixels: Array(pixels[(i * size)..<((i + 1) * size)])), labels[i])
        }
    }
}
