import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Nabla

/// The report page parsed as XML: its sections, its inline SVG charts and PNG, and nothing that
/// would reach for the network.
@Suite struct ReportTests {
    /// What an XML parse of the page found.
    final class Structure: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var sectionIDs: [String] = []
        var imageSources: [String] = []
        var svgCount = 0
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append(name)
            if name == "section", let id = attributes["id"] { sectionIDs.append(id) }
            if name == "img", let src = attributes["src"] { imageSources.append(src) }
            if name == "svg" { svgCount += 1 }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        /// Parses `html`, failing the test with the parser's error if it is not well-formed.
        static func parse(_ html: String) throws -> Structure {
            let parser = XMLParser(data: Data(html.utf8))
            let structure = Structure()
            parser.delegate = structure
            guard parser.parse() else {
                throw DecodedPNG.Failure(description: "the page is not well-formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)")
            }
            return structure
        }
    }

    /// Checks that a page stands alone: no script, no stylesheet or image from elsewhere, and no
    /// address but the SVG namespace.
    static func expectSelfContained(_ html: String) {
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("@import") && !html.contains("url("))
        let addresses = html.components(separatedBy: "http").dropFirst().map { String($0.prefix(25)) }
        #expect(addresses.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg\"") }, "\(addresses)")
    }

    static func fullReport() throws -> RunReport {
        let losses = RunPlotsTests.decreasing
        let record = RunPlotsTests.record(losses: losses, train: [0.6, 0.8, 0.95, 0.99], val: [0.58, 0.75, 0.8, 0.82])
        record.updateRatios = (1...4).map { ["epoch": Double($0), "0.weight": 2e-3 / Double($0), "0.bias": 1e-2 / Double($0)] }
        var report = RunReport(title: "runs/<test> & co", record: record)
        report.subtitle = "linear(10) on synthetic data"
        report.configuration = [("model", "linear(10)"), ("learningRate", "0.05")]
        var g = RandomGenerator(seed: 1)
        report.filters = FilterGrid.render(Tensor.randomNormal([6, 1, 5, 5], generator: &g))
        report.filterCaption = "6 filters"
        let model = Sequential(Linear(8, 16, generator: &g), Tanh(), Linear(16, 3, generator: &g))
        report.activations = ActivationStatistics.collect(model, input: Tensor.randomNormal([50, 8], generator: &g))
        report.activationCaption = "50 random examples"
        report.evaluation = ClassificationReport(predictions: [0, 1, 2, 2, 1, 0], labels: [0, 1, 2, 1, 1, 0], classNames: ["cat", "dog", "bird"])
        report.evaluationCaption = "6 examples"
        return report
    }

    @Test func thePageHasEverySectionAndWellFormedCharts() throws {
        let report = try Self.fullReport()
        let html = report.html
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        let page = try Structure.parse(html)
        #expect(page.sectionIDs == ["configuration", "diagnosis", "metrics", "curves", "filters", "activations"])
        #expect(page.svgCount == 6)   // loss, accuracy, lr, update ratios; activation summary and histograms
        #expect(page.text.contains("Nabla report: runs/<test> & co"))   // escaped in the HTML, itself again when parsed
        #expect(page.text.contains("overfitting"))   // the diagnosis: train 0.99, val 0.82
        #expect(page.text.contains("test accuracy") && page.text.contains("0.8333 (5 of 6)"))
        #expect(page.text.contains("best validation accuracy") && page.text.contains("0.82 (epoch 4)"))
        #expect(page.text.contains("update / weight ratio (log scale)") && page.text.contains("1e-3 (rule of thumb)"))
        #expect(page.elements.filter { $0 == "table" }.count == 5)   // configuration, metrics, per class, confusion, activations
        Self.expectSelfContained(html)

        // The filter grid is an inline PNG that decodes to the rendered image.
        let source = try #require(page.imageSources.first)
        #expect(page.imageSources.count == 1 && source.hasPrefix("data:image/png;base64,"))
        let png = try DecodedPNG(try #require(Data(base64Encoded: String(source.dropFirst("data:image/png;base64,".count)))))
        #expect(png.width == report.filters!.width && png.height == report.filters!.height && png.distinctColors > 20)

        // Each inline SVG is a document of its own.
        var rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            let names = try parseSVG(String(rest[start.lowerBound..<end.upperBound]))
            #expect(names.first == "svg" && names.contains("polyline") && names.contains("text"))
            rest = rest[end.upperBound...]
        }
    }

    @Test func theConfusionMatrixIsShadedByTheShareOfItsRow() throws {
        let html = try Self.fullReport().html
        // dog: 2 of 3 right, 1 taken for bird.
        #expect(html.contains("<tr><th>dog</th><td style=\"background: rgba(31, 119, 180, 0.000)\">0</td>"
                              + "<td style=\"color: white; background: rgba(31, 119, 180, 0.600)\">2</td>"
                              + "<td style=\"background: rgba(31, 119, 180, 0.300)\">1</td></tr>"))
    }

    @Test func missingPartsLeaveNotesAndAnEmptyRunStillMakesAPage() throws {
        var report = RunReport(title: "runs/new", record: RunRecord(stepLosses: [], epochs: []))
        report.notes = [.filters: "runs/new/best.safetensors does not exist", .metrics: "no test split <none>"]
        let html = report.html
        let page = try Structure.parse(html)
        #expect(page.sectionIDs.count == RunReport.Section.allCases.count)
        #expect(page.svgCount == 4 && page.imageSources.isEmpty)   // the curves, empty; no filters, no activations
        #expect(page.text.contains("runs/new/best.safetensors does not exist") && page.text.contains("no test split <none>"))
        #expect(page.text.contains("update / weight ratio (not recorded)"))
        Self.expectSelfContained(html)
    }

    @Test func writesAtomicallyAndConfigurationRowsAreReadable() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-report-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let report = try Self.fullReport()
        try report.write(to: folder + "/sub/report.html")
        #expect(try String(contentsOfFile: folder + "/sub/report.html", encoding: .utf8) == report.html)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/sub") == ["report.html"])   // no temporary left

        var config = TrainingRecipe()
        config.data = DataRecipe(source: "mnist-5k", stratify: true, preprocess: .meanImage)
        config.seed = 7
        config.model = "linear(10)"
        config.inputShape = [1, 28, 28]
        config.classNames = (0..<10).map(String.init)
        config.preprocessor = .fit(.meanImage, on: .ones([4, 300]))
        config.optimizer = OptimizerRecipe(.sgd, learningRate: 0.1)
        config.schedule = .multiplicative(decay: 0.9)
        let rows = Dictionary(uniqueKeysWithValues: RunReport.configurationRows(config).map { ($0.key, $0.value) })
        #expect(rows["data.source"] == "mnist-5k" && rows["optimizer.learningRate"] == "0.1" && rows["data.stratify"] == "true")
        #expect(rows["inputShape"] == "[1,28,28]" && rows["data.labels"] == nil)
        #expect(rows["preprocessor"]!.count <= 161 && rows["preprocessor"]!.hasSuffix("…"))   // 300 means, cut short
    }
}
