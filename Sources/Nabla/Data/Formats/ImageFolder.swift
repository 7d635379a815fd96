import Dispatch
import Foundation

/// Images in class folders, in the layout of torchvision's `ImageFolder`:
///
///     photos/cat/0001.png          photos/train/cat/0001.png
///     photos/cat/0002.jpg    or    photos/train/dog/…
///     photos/dog/0001.jpeg         photos/val/…   photos/test/…   (each optional)
///
/// Class names are the folder names, sorted; a class's label is its index in that order. Files
/// ending `.png`, `.jpg` or `.jpeg` (any case) are read; other files and hidden ones are ignored.
/// With `train/` present, the folders `val/` (or `validation/`) and `test/` are the other splits
/// and must hold the same classes.
///
/// Images are decoded once, on all cores, by libpng and libjpeg-turbo, and kept as bytes
/// (`[C, H, W]` per example, like IDX), grey (C = 1) when every image is grey, else RGB (C = 3,
/// grey ones repeated). They must share one size, unless `imageSize` is given: then each is
/// resized to `imageSize × imageSize` (bilinear).
public enum ImageFolder {
    /// The file extensions read (lowercased).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// How images are read.
    public struct Options: Codable, Equatable, Sendable {
        /// Resize every image to this height and width; nil: all images must have one size.
        public var imageSize: Int?
        /// Skip (and list) unreadable images instead of failing on the first.
        public var skipBad: Bool

        public init(imageSize: Int? = nil, skipBad: Bool = false) {
            self.imageSize = imageSize
            self.skipBad = skipBad
        }
    }

    /// What a folder holds.
    public struct Contents {
        /// The training images: the folder's `train/`, or the whole folder without one.
        public var train: Dataset
        /// `val/` or `validation/`, when the folder has one.
        public var validation: Dataset?
        /// `test/`, when the folder has one.
        public var test: Dataset?
        /// The images skipped with `skipBad`, each as `file: reason`.
        public var skipped: [String]
    }

    /// Whether `path` is a directory laid out as an image folder: a class folder with an image
    /// directly inside, or a `train/` folder.
    public static func isImageFolder(_ path: String) -> Bool {
        let top = subfolders(path)
        if top.contains("train") { return true }
        return top.contains { !imageFiles(path + "/" + $0).isEmpty }
    }

    /// Reads every split of the folder at `root`.
    /// - Throws: `DataError` naming the folder (no class folders, an empty class folder, a split
    ///   whose classes differ from `train/`'s) or the image (unreadable, or of another size than
    ///   the others without `imageSize`).
    public static func load(_ root: String, options: Options = Options()) throws -> Contents {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(file: root, "no such folder")
        }
        let top = subfolders(root)
        var splits: [(name: String, folder: String)] = [("train", top.contains("train") ? root + "/train" : root)]
        if top.contains("train") {
            if let val = ["val", "validation"].first(where: top.contains) { splits.append(("val", root + "/" + val)) }
            if top.contains("test") { splits.append(("test", root + "/test")) }
        }
        // Every split's files, labelled by class.
        var classNames: [String] = []
        var files: [(split: Int, label: Int, path: String)] = []
        for (index, split) in splits.enumerated() {
            let classes = subfolders(split.folder)
            guard !classes.isEmpty else {
                throw DataError(file: split.folder, "no class folders (expected \(split.folder)/<class>/*.png, .jpg or .jpeg)")
            }
            if index == 0 {
                classNames = classes
            } else if classes != classNames {
                throw DataError(file: split.folder, "its classes (\(classes.joined(separator: ", "))) differ from "
                                + "\(splits[0].folder)'s (\(classNames.joined(separator: ", ")))")
            }
            for (label, name) in classes.enumerated() {
                let images = imageFiles(split.folder + "/" + name)
                guard !images.isEmpty else {
                    throw DataError(file: split.folder + "/" + name, "empty class folder: no .png, .jpg or .jpeg images")
                }
                files += images.map { (index, label, split.folder + "/" + name + "/" + $0) }
            }
        }
        let decoded = decodeAll(files.map(\.path), size: options.imageSize)
        // Fail on, or skip, unreadable images.
        var skipped: [String] = []
        var firstFailure: DataError?
        for result in decoded {
            if case .failure(let error) = result {
                skipped.append("\(error)")
                if firstFailure == nil { firstFailure = error }
            }
        }
        if let firstFailure, !options.skipBad {
            throw skipped.count == 1 ? firstFailure
                : DataError(file: firstFailure.file, firstFailure.message + " (and \(skipped.count - 1) more unreadable images)")
        }
        let images = decoded.enumerated().compactMap { i, result in (try? result.get()).map { (files[i], $0) } }
        guard let first = images.first(where: { $0.0.split == 0 }) else {
            throw DataError(file: splits[0].folder, "no readable images")
        }
        let (width, height) = (first.1.width, first.1.height)
        if let odd = images.first(where: { $0.1.width != width || $0.1.height != height }) {
            throw DataError(file: odd.0.path, "a \(odd.1.width)×\(odd.1.height) image, but \(first.0.path) is \(width)×\(height): "
                            + "all images must have one size, or be resized to one (image size option)")
        }
        let channels = images.contains { $0.1.channels == 3 } ? 3 : 1
        var sets: [Dataset] = []
        for split in splits.indices {
            let members = images.filter { $0.0.split == split }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(members.count * channels * width * height)
            for (_, image) in members { bytes += (channels == 3 ? image.rgb() : image).planar() }
            sets.append(Dataset(bytes: bytes, exampleShape: [channels, height, width], labels: members.map(\.0.label),
                                classNames: classNames))
        }
        return Contents(train: sets[0], validation: splits.firstIndex { $0.name == "val" }.map { sets[$0] },
                        test: splits.firstIndex { $0.name == "test" }.map { sets[$0] }, skipped: skipped)
    }

    /// Decodes `paths` on all cores (resized to `size × size` when given), each to an image or the
    /// error naming it.
    static func decodeAll(_ paths: [String], size: Int?) -> [Result<DecodedImage, DataError>] {
        var results = [Result<DecodedImage, DataError>](repeating: .failure(DataError(file: "", "")), count: paths.count)
        results.withUnsafeMutableBufferPointer { out in
            let slots = out
            DispatchQueue.concurrentPerform(iterations: paths.count) { i in
                slots[i] = Result {
                    let bytes: [UInt8]
                    do { bytes = try FileBytes.read(paths[i]) } catch { throw DataError(file: paths[i], "cannot be read (\(error))") }
                    let image = try ImageCodecs.decode(bytes, file: paths[i])
                    return size.map { image.resized(width: $0, height: $0) } ?? image
                }.mapError { $0 as? DataError ?? DataError(file: paths[i], "\($0)") }
            }
        }
        return results
    }

    /// The visible subfolders of `path`, sorted.
    static func subfolders(_ path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    /// The image files directly in `path` (by extension), sorted.
    static func imageFiles(_ path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { name in
            !name.hasPrefix(".") && extensions.contains((name as NSString).pathExtension.lowercased())
        }.sorted()
    }
}
