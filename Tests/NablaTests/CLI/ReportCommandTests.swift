import Foundation
import Testing
@testable import Nabla

/// `nabla report` run as a subprocess, and its page rendered by headless Chromium (Debian's
/// `chromium`, installed by scripts/ensure-chromium.sh, which `make test` runs; without it the
/// rendering test fails and says so).
@Suite struct ReportCommandTests {
    func nabla(_ arguments: String...) throws -> GradCommandTests.Run { try GradCommandTests.run(arguments) }

    /// The monitoring tests' run folder (a small conv net on mnist-5k, two epochs) with update ratios.
    static func runFolder() throws -> String {
        let folder = try MonitoringCommandTests().makeRunFolder()
        try "epoch,0.weight,0.bias,3.weight\n1,0.004,0.02,0.001\n2,0.002,0.01,0.0008\n"
            .write(toFile: folder + "/update_ratios.csv", atomically: true, encoding: .utf8)
        return folder
    }

    @Test func writesOneSelfContainedPageAboutTheRun() throws {
        let folder = try Self.runFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try nabla("report", folder)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("wrote \(folder)/report.html\n"))
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        let page = try ReportTests.Structure.parse(html)
        #expect(page.sectionIDs == RunReport.Section.allCases.map(\.rawValue))
        #expect(page.svgCount == 6 && page.imageSources.count == 1)
        #expect(page.text.contains("conv(8, 5, pad: 2), relu, maxpool(2), linear(10)"))   // the configuration
        #expect(page.text.contains("overfitting"))                                         // the diagnosis
        #expect(page.text.contains("Test split of mnist-5k: 500 examples"))               // 10% of 5,000
        #expect(page.text.contains("Confusion matrix") && page.text.contains("test accuracy"))
        #expect(page.text.contains("1 Conv2D") && page.text.contains("ReLU"))   // activation rows
        #expect(page.text.contains("8 filters of 1×5×5"))
        ReportTests.expectSelfContained(html)

        let elsewhere = folder + "/out/page.html"
        let other = try nabla("report", folder, "--out", elsewhere, "--batch", "20")
        #expect(other.status == 0, "\(other.stderr)")
        #expect(try String(contentsOfFile: elsewhere, encoding: .utf8).contains("The first 20 training examples of mnist-5k"))

        // Without its history the page is still written, and says what is missing.
        try FileManager.default.removeItem(atPath: folder + "/history.csv")
        let noHistory = try nabla("report", folder)
        #expect(noHistory.status == 0, "\(noHistory.stderr)")
        #expect(noHistory.stdout.contains("note (diagnosis): No history to diagnose."))
        #expect(noHistory.stdout.contains("note (curves): No history: \(folder)/history.csv is missing"))
    }

    @Test func foldersThatAreNotRunsAreClearErrors() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let noConfig = try nabla("report", empty)
        #expect(noConfig.status == 1)
        #expect(noConfig.stderr == "error: \(empty) is not a run folder: \(empty)/config.json is missing (runs are made by nabla train --out DIR)\n")
        let missing = try nabla("report", empty + "/nope")
        #expect(missing.status == 1 && missing.stderr.hasPrefix("error: \(empty)/nope is not a run folder: no such directory"))
        try "{ not json".write(toFile: empty + "/config.json", atomically: true, encoding: .utf8)
        let broken = try nabla("report", empty)
        #expect(broken.status == 1 && broken.stderr.hasPrefix("error: \(empty)/config.json: not a valid training recipe"))
        #expect(!FileManager.default.fileExists(atPath: empty + "/report.html"))
    }

    /// The path of Chromium: $CHROMIUM, or `chromium` / `chromium-browser` on the PATH.
    static func chromium() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let named = environment["CHROMIUM"], FileManager.default.isExecutableFile(atPath: named) { return named }
        let folders = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/bin"]
        for folder in folders {
            for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
                return folder + "/" + name
            }
        }
        return nil
    }

    /// Runs a program with a time limit, its output collected through files; returns status and stdout.
    static func run(_ program: String, _ arguments: [String], in folder: String, seconds: Int = 120) throws -> (status: Int32, stdout: String, stderr: String) {
        let out = folder + "/tool.out", err = folder + "/tool.err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = [String(seconds), program] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    @Test func headlessChromiumShowsTheCharts() throws {
        let chromium = try #require(Self.chromium(), """
            This test renders the report in headless Chromium, which is not installed: run \
            scripts/ensure-chromium.sh (make test does; it runs apt-get install chromium).
            """)
        let folder = try Self.runFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let report = try nabla("report", folder)
        try #require(report.status == 0, "\(report.stderr)")
        let page = "file://" + folder + "/report.html"
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + folder + "/chromium-profile"]

        let dom = try Self.run(chromium, flags + ["--dump-dom", page], in: folder)
        try #require(dom.status == 0, "chromium --dump-dom failed: \(dom.stderr.suffix(800))")
        // The DOM as the browser built it: every section, the six charts with their lines, the image.
        for id in RunReport.Section.allCases.map(\.rawValue) { #expect(dom.stdout.contains("<section id=\"\(id)\">"), "\(id)") }
        #expect(dom.stdout.components(separatedBy: "<svg").count - 1 == 6)
        #expect(dom.stdout.components(separatedBy: "<polyline").count > 100)
        #expect(dom.stdout.contains("<img class=\"pixelated\"") && dom.stdout.contains("src=\"data:image/png;base64,"))

        let shot = folder + "/screenshot.png"
        let screenshot = try Self.run(chromium, flags + ["--screenshot=" + shot, "--window-size=1400,4000", page], in: folder)
        try #require(screenshot.status == 0, "chromium --screenshot failed: \(screenshot.stderr.suffix(800))")
        let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: shot)))
        #expect(png.width == 1400 && png.height == 4000)
        // Not blank: the header's color fills its band, the charts' blue lines are drawn, and
        // there is far more than a page of text could make.
        func near(_ rgb: [Int], within tolerance: Int = 24) -> Int {
            stride(from: 0, to: png.pixels.count, by: 3).filter { i in
                (0..<3).allSatisfy { abs(Int(png.pixels[i + $0]) - rgb[$0]) <= tolerance }
            }.count
        }
        #expect(near([31, 59, 90], within: 2) > 1400 * 40)   // the header band (#1f3b5a)
        #expect(near([31, 119, 180]) > 2000)                 // chart lines and markers in the first palette color
        #expect(png.distinctColors > 500)
        try? FileManager.default.copyItem(atPath: shot, toPath: FileManager.default.temporaryDirectory.path + "/nabla-report-screenshot.png")
    }
}
