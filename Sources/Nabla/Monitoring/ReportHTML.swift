import Foundation

/// The pieces `RunReport` builds its page from. The page is written as well-formed XML (every
/// element closed, only the five XML entities), so that it is also valid XHTML and a test can
/// check its structure with an XML parser.
enum ReportHTML {
    /// `text` with `&`, `<`, `>` and `"` escaped, for element content and attribute values.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(c)
            }
        }
        return result
    }

    /// A chart as an inline `<svg>` element: the SVG file without its XML declaration, which may
    /// stand only at the start of a document.
    static func inlineSVG(_ chart: any Chart, width: Int, height: Int) -> String {
        let text = chart.svg(width: width, height: height)
        guard let start = text.range(of: "<svg") else { return text }
        return String(text[start.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A PNG as an `<img>` whose source is a `data:` URI, so the page needs no other file.
    static func inlinePNG(_ png: Data, width: Int, height: Int, alt: String) -> String {
        "<img class=\"pixelated\" width=\"\(width)\" height=\"\(height)\" alt=\"\(escape(alt))\" src=\"data:image/png;base64,\(png.base64EncodedString())\"/>"
    }

    /// A table with a header row; cells are escaped text.
    static func table(header: [String], rows: [[String]], numericFrom: Int = 1, cssClass: String = "data") -> String {
        var html = "<table class=\"\(cssClass)\">\n<thead><tr>"
        html += header.map { "<th>\(escape($0))</th>" }.joined()
        html += "</tr></thead>\n<tbody>\n"
        for row in rows {
            html += "<tr>" + row.enumerated().map { i, cell in
                i >= numericFrom ? "<td class=\"num\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</tbody>\n</table>"
    }

    /// A number as the report prints it: four significant digits, `nan`/`inf` as such.
    static func number(_ value: Double) -> String {
        value.isFinite ? String(format: "%.4g", value) : (value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
    }

    /// The page's style: system fonts, a readable width, charts scaled down on narrow screens,
    /// filter images enlarged without smoothing.
    static let style = """
    body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0; background: #f6f7f9; }
    header { background: #1f3b5a; color: white; padding: 18px 32px; }
    header h1 { margin: 0 0 4px 0; font-size: 24px; }
    header p { margin: 0; opacity: 0.85; }
    nav { padding: 8px 32px; background: #e8ecf1; }
    nav a { margin-right: 18px; color: #1f3b5a; text-decoration: none; font-weight: 600; }
    main { max-width: 1360px; padding: 8px 32px 40px 32px; }
    section { background: white; border: 1px solid #dde2e8; border-radius: 6px; padding: 8px 20px 16px 20px; margin: 16px 0; }
    h2 { font-size: 20px; color: #1f3b5a; }
    .charts { display: flex; flex-wrap: wrap; gap: 12px; }
    figure { margin: 0; }
    figcaption { font-size: 13px; color: #555; max-width: 600px; }
    svg { max-width: 100%; height: auto; border: 1px solid #eee; }
    img.pixelated { image-rendering: pixelated; image-rendering: crisp-edges; border: 1px solid #eee; }
    table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
    th, td { border: 1px solid #dde2e8; padding: 3px 8px; text-align: left; }
    th { background: #f0f3f6; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: ui-monospace, monospace; }
    table.confusion td { text-align: right; min-width: 36px; font-family: ui-monospace, monospace; }
    ul.diagnosis li { margin: 4px 0; }
    li.problem { color: #a02020; }
    li.healthy { color: #206020; }
    p.note { color: #7a5a00; background: #fff8e0; padding: 6px 10px; border-radius: 4px; }
    code, .mono { font-family: ui-monospace, monospace; }
    """
}
