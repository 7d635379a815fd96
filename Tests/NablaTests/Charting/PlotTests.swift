import Foundation
import Testing
@testable import Nabla

@Suite struct PlotTests {
    @Test func linearTicksFallOnRoundNumbers() {
        let axis = Axis(lower: 0, upper: 1)
        #expect(axis.ticks(target: 5).map(axis.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let epochs = Axis(covering: [1, 2, 3], integerTicks: true)
        #expect(epochs.ticks(target: 8) == [1, 2, 3])
        #expect(Axis(lower: 0, upper: 2000).ticks(target: 4).map(Axis(lower: 0, upper: 2000).label) == ["0", "500", "1000", "1500", "2000"])
    }

    @Test func logTicksArePowersOfTen() {
        let axis = Axis(covering: [1e-7, 0.5], logarithmic: true)
        #expect(axis.ticks(target: 8) == [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1])   // 0.5 padded reaches 1
        #expect(axis.label(1e-7) == "1e-7" && axis.label(0.01) == "0.01")
        #expect(axis.fraction(-1) == nil && axis.fraction(.nan) == nil)
        let narrow = Axis(covering: [0.3, 3], logarithmic: true)
        #expect(narrow.ticks().contains(0.5) && narrow.ticks().contains(1) && narrow.ticks().contains(2))
        #expect(Axis.compact(2.5e-5) == "2.5e-5" && Axis.compact(1234) == "1234" && Axis.compact(0) == "0")
        #expect(Axis.compact(10000) == "10000" && Axis.compact(12345.5) == "12345.5" && Axis.compact(3e7) == "3e7")
    }

    @Test func degenerateRangesStillMakeAnAxis() {
        let constant = Axis(covering: [0.05, 0.05])
        #expect(constant.lower < 0.05 && constant.upper > 0.05)
        let empty = Axis(covering: [])
        #expect(empty.lower < empty.upper)
    }

    func chart(logScale: Bool = false) -> LineChart {
        let steps = (1...300).map(Double.init)
        return LineChart(title: "loss", xLabel: "iteration", yLabel: "loss",
                         series: [Series("raw", x: steps, y: steps.map { 2.3 * exp(-$0 / 80) + 0.05 * sin($0) + 0.1 }),
                                  Series("smooth", x: steps, y: steps.map { 2.3 * exp(-$0 / 80) + 0.1 }, markers: false)],
                         logScaleY: logScale)
    }

    @Test func lineChartAsPNG() throws {
        let png = try DecodedPNG(chart().png(width: 640, height: 400))
        #expect(png.width == 640 && png.height == 400)
        #expect(png.distinctColors > 10)
        #expect(png.count([31, 119, 180]) > 300 && png.count([255, 127, 14]) > 300)   // both series
        #expect(png.count([255, 255, 255]) > 640 * 400 / 2)                             // mostly white
        #expect(png[0, 0] == [255, 255, 255])
        // The axis box: a dark vertical line at the left edge of the plot area, crossing mid-height.
        let dark = (0..<200).filter { x in png[x, 200][0] < 80 && png[x, 200][1] < 80 }
        #expect(!dark.isEmpty)
        let logPNG = try DecodedPNG(chart(logScale: true).png(width: 640, height: 400))
        #expect(logPNG.distinctColors > 10)
    }

    @Test func lineChartAsSVG() throws {
        let svg = chart().svg(width: 640, height: 400)
        let names = try parseSVG(svg)
        #expect(names.first == "svg")
        #expect(names.filter { $0 == "polyline" }.count > 10)   // grid, ticks, series, legend swatches
        #expect(names.filter { $0 == "text" }.count > 8)
        #expect(svg.contains(">loss</text>") && svg.contains(">iteration</text>") && svg.contains(">smooth</text>"))
    }

    @Test func gapsInASeriesAreLeftOpen() throws {
        let chart = LineChart(series: [Series("y", y: [1, 2, .nan, 4, .infinity, 3])])
        let names = try parseSVG(chart.svg())
        #expect(names.contains("polyline"))
    }

    @Test func barChartOfAHistogram() throws {
        let values = (0..<2000).map { i in sin(Double(i) * 12.9898) * 0.9 }
        let histogram = Histogram(values, bins: 20, range: -1...1)
        let chart = BarChart(histogram: histogram, title: "histogram", xLabel: "value")
        let png = try DecodedPNG(chart.png(width: 500, height: 320))
        #expect(png.width == 500 && png.height == 320)
        #expect(png.count([31, 119, 180]) > 2000)
        let names = try parseSVG(chart.svg(width: 500, height: 320))
        // The document's background, the chart's, and one bar per non-empty bin.
        #expect(names.filter { $0 == "rect" }.count == 2 + histogram.counts.filter { $0 > 0 }.count)
    }

    @Test func rasterRoundTripsThroughPNG() throws {
        let image = RasterImage(width: 37, height: 23, background: Color(10, 20, 30))
        image.fill(Rect(x: 5, y: 5, width: 10, height: 4), color: Color(200, 100, 50))
        image.text("Ab1", at: Point(20, 15), scale: 1, color: .white, anchor: .start, rotated: false)
        image.stroke([Point(0, 22.5), Point(36, 0.5)], color: Color(0, 255, 0), lineWidth: 1.5)
        let png = try DecodedPNG(image.pngData())
        #expect(png.width == 37 && png.height == 23)
        #expect(png.pixels == image.pixels)
        #expect(png[6, 6] == [200, 100, 50] && png[0, 0] == [10, 20, 30])
        #expect(png.count([255, 255, 255]) > 15)   // the text's pixels
    }

    @Test func textIsDrawnWithTheBitmapFont() {
        let image = RasterImage(width: 40, height: 20)
        image.text("1", at: Point(2, 10), scale: 1, color: .black, anchor: .start, rotated: false)
        // "1": ..#.. .##.. ..#.. ×4 .###.  → 10 ink pixels, a column at x = 4 from y = 10 - 4 to 10 + 2.
        let ink = (0..<20).flatMap { y in (0..<40).map { x in image[x, y] } }.filter { $0 == .black }.count
        #expect(ink == 10)
        #expect((6...12).allSatisfy { image[4, $0] == .black })
        let rotated = RasterImage(width: 20, height: 40)
        rotated.text("1", at: Point(10, 30), scale: 2, color: .black, anchor: .start, rotated: true)
        #expect((0..<40).flatMap { y in (0..<20).map { x in rotated[x, y] } }.filter { $0 == .black }.count == 40)
    }
}
