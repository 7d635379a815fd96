import Foundation
import Testing
@testable import Nabla

@Suite struct SearchPlotTests {
    @Test func onePanelPerParameterWithLogAxesForLogRanges() throws {
        let space = try SearchSpace.parse("lr=log(1e-5,1e-1), reg=log(1e-5,1e1), hidden=choice(50,100), dropout=uniform(0,0.5)")
        var g = RandomGenerator(seed: 4)
        let records = (0..<30).map { i -> TrialRecord in
            let settings = space.sample(&g)
            let accuracy = 0.9 - 0.1 * abs(log10(settings["lr"]!) + 3)
            return TrialRecord(trial: i, stage: i < 20 ? 0 : 1, settings: settings, validationAccuracy: i == 7 ? nil : accuracy,
                               epochsRun: 1, seconds: 1, status: i == 7 ? "diverged" : "ok")
        }
        let figure = SearchPlot.chart(records, space: space)
        #expect(figure.panels.count == 4)
        let panels = figure.panels.compactMap { $0 as? LineChart }
        #expect(panels.map(\.logScaleX) == [true, true, false, false])
        // Two stages and the best trial; the diverged trial is left out.
        #expect(panels[0].series.map(\.name) == ["", "stage 1", "stage 2", "best"])
        // The x axis spans the searched range, not only the values drawn.
        #expect(panels[0].series[0].x == [1e-5, 1e-1] && panels[3].series[0].x == [0, 0.5])
        #expect(panels[0].series[1].x.count + panels[0].series[2].x.count == 29)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-search-plot-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let paths = try SearchPlot.write(records, space: space, to: folder)
        #expect(paths == [folder + "/search.svg", folder + "/search.png"])
        let png = try DecodedPNG(Data(contentsOf: URL(fileURLWithPath: paths[1])))
        #expect(png.width == 1260 && png.height == 740 && png.distinctColors > 10)
        let svg = try String(contentsOfFile: paths[0], encoding: .utf8)
        #expect(try parseSVG(svg).contains("svg"))
        #expect(svg.contains("lr (log scale)") && svg.contains("dropout") && svg.contains("validation accuracy of 29 trials"))
    }
}
