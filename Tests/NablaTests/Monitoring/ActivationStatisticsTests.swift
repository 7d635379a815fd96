import Foundation
import Testing
@testable import Nabla

@Suite struct ActivationStatisticsTests {
    @Test func statisticsOfATensor() {
        let s = ActivationStatistics(name: "x", values: Tensor([0, 0, 1, 3], shape: [2, 2]), bins: 3)
        #expect(s.mean == 1)
        #expect(abs(s.standardDeviation - 1.5.squareRoot()) < 1e-12)   // population std (÷ n), as np.std
        #expect(s.minimum == 0 && s.maximum == 3 && s.zeroFraction == 0.5)
        #expect(s.histogram.counts == [2, 1, 1])
    }

    @Test func collectMeasuresEveryLayer() {
        var g = RandomGenerator(seed: 3)
        let model = Sequential(Linear(20, 30, generator: &g), ReLU(), Linear(30, 5, generator: &g))
        let x = Tensor.randomNormal([64, 20], generator: &g)
        let rows = ActivationStatistics.collect(model, input: x)
        #expect(rows.map(\.name) == ["input", "1 Linear(20 => 30)", "2 ReLU()", "3 Linear(30 => 5)"])
        #expect(rows.map(\.shape) == [[64, 20], [64, 30], [64, 30], [64, 5]])
        #expect(rows[2].minimum == 0 && rows[2].zeroFraction > 0.3 && rows[2].zeroFraction < 0.7)
        let table = ActivationStatistics.table(rows)
        #expect(table.split(separator: "\n").count == 5)
        #expect(table.contains("2 ReLU()") && table.contains("histogram"))
    }

    @Test func picturesOfTheExperiment() throws {
        let result = ActivationExperiment(nonlinearity: .tanh, weightScale: .fixed(0.01), examples: 200).run()
        let rows = [result.input] + result.hidden
        let summary = try DecodedPNG(ActivationStatistics.summaryChart(rows, title: "tanh, 0.01").png(width: 1000, height: 420))
        #expect(summary.width == 1000 && summary.height == 420)
        #expect(summary.count([214, 39, 40]) > 50)   // the red std line and markers
        #expect(summary.distinctColors > 20)
        let histograms = ActivationStatistics.histogramChart(rows, columns: 6, title: "tanh, 0.01")
        let png = try DecodedPNG(histograms.png(width: 1200, height: 500))
        #expect(png.count([31, 119, 180]) > 200)      // the bars
        let names = try parseSVG(histograms.svg(width: 1200, height: 500))
        #expect(names.filter { $0 == "rect" }.count > 11)
        #expect(names.filter { $0 == "text" }.count > 11 * 3)
    }
}

@Suite struct ActivationHistogramChartTests {
    @Test func reluZeroSpikeIsCutSoTheRestShows() throws {
        let result = ActivationExperiment(nonlinearity: .relu, weightScale: .he, examples: 100).run()
        let figure = ActivationStatistics.histogramChart([result.input] + result.hidden, columns: 6)
        let panels = figure.panels.compactMap { $0 as? BarChart }
        #expect(panels.count == 11)
        #expect(panels[0].yMaximum == nil && panels[0].title == "input layer")
        #expect(panels[1].yMaximum != nil && panels[1].title.hasPrefix("hidden layer 1, ") && panels[1].title.hasSuffix("% zeros"))
        let png = try DecodedPNG(figure.png(width: 1200, height: 500))
        #expect(png.count([31, 119, 180]) > 1000)
    }
}
