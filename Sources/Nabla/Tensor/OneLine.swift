extension String {
    /// The text on one line: control characters (a newline in a name read from a damaged file)
    /// shown escaped, as `\n`, `\r`, `\t` or `\u{1b}`, so that an error message stays one line.
    var oneLine: String {
        guard unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return self }
        return unicodeScalars.map { c in
            switch c {
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            case _ where c.value < 0x20 || c.value == 0x7F: return "\\u{\(String(c.value, radix: 16))}"
            default: return String(c)
            }
        }.joined()
    }
}
