/// "Did you mean …?" for near misses (`enviroment`, `Postgre`, `prd`), and safe rendering of
/// user input inside error messages.
enum Suggestions {
    /// The candidate closest to `input`, if it is close enough to be a likely typo: compared
    /// case-insensitively with `_`, `-` and spaces ignored, by optimal string alignment distance
    /// (insertions, deletions, substitutions and adjacent transpositions), allowing one edit per
    /// four characters of the candidate (at least one). `aliases` maps other common words
    /// (compared the same way) straight to a candidate.
    static func closest(to input: String, among candidates: [String], aliases: [String: String] = [:]) -> String? {
        let key = normalized(input)
        guard !key.isEmpty else { return nil }
        if let alias = aliases.first(where: { normalized($0.key) == key }) { return alias.value }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let target = normalized(candidate)
            let allowed = max(1, target.count / 4)
            guard abs(key.count - target.count) <= allowed else { continue }  // cheap bound first
            let distance = distance(key, target)
            guard distance <= allowed else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Optimal string alignment distance between two strings, by Unicode scalar.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, table[i - 2][j - 2] + 1)
                }
                table[i][j] = value
            }
        }
        return table[a.count][b.count]
    }

    private static func normalized(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "_" && $0 != "-" && $0 != " " })).lowercased()
    }

    /// `input` in backticks when it is short, printable ASCII and free of anything that could
    /// confuse a reader or a log (quotes, backslashes, `$`, `%`, braces, backticks); nil otherwise.
    /// Error messages never echo other user input.
    static func quoted(_ input: String) -> String? {
        guard (1...64).contains(input.unicodeScalars.count),
            input.unicodeScalars.allSatisfy({ (0x20..<0x7F).contains($0.value) && !"`\"'\\$%{}".unicodeScalars.contains($0) })
        else { return nil }
        return "`\(input)`"
    }

    /// How a character is named in a message: `-` for printable ASCII, `a space`,
    /// `a newline (U+000A)`, `U+043E (CYRILLIC SMALL LETTER O)`.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": return "a space"
        case "`": return "a backtick"
        case "\n": return "a newline (U+000A)"
        case "\r": return "a carriage return (U+000D)"
        case "\t": return "a tab (U+0009)"
        default: break
        }
        if (0x21..<0x7F).contains(scalar.value) { return "`\(Character(scalar))`" }
        let digits = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        let name = scalar.properties.name ?? scalar.properties.nameAlias
        if let name { return "\(code) (\(name))" }
        return scalar.value < 0x20 || scalar.value == 0x7F ? "the control character \(code)" : code
    }
}
