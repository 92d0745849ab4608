/// The kinds of JSON value.
public enum JSONKind: Sendable, Hashable {
    case object, array, string, number, bool, null

    /// "a string", "an object"… for error messages.
    var article: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// The tokens of RFC 8259 JSON, strictly: strings (escapes, surrogate pairs, well-formed UTF-8,
/// no raw control characters), numbers (no leading zeros), literals, and the punctuation of
/// objects and arrays with their error messages. `StrictJSONReader` (the request body) and
/// `JSONReader` (answers from AWS and GitHub) are built on it, so there is one implementation
/// of what valid JSON is.
struct JSONLexer {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { index >= bytes.count }

    mutating func skipByteOrderMark() {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    /// After the top-level value: only whitespace may follow.
    mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        guard atEnd else { throw error("unexpected \(describeCurrent()) after the end of the JSON value") }
    }

    // MARK: - Values

    /// The kind of the value at `index` (whitespace skipped), or the error for a byte that
    /// starts no value.
    mutating func peekKind() throws(JSONSyntaxError) -> JSONKind {
        skipWhitespace()
        guard let byte = current else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "'"): throw error("strings must use double quotes, not single quotes")
        case UInt8(ascii: "/"): throw error("unexpected '/', expected a value (JSON has no comments)")
        case let byte where (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20):
            throw error("unexpected \(describeCurrent()), expected a value (strings need double quotes)")
        default: throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    /// `{`, then whitespace.
    mutating func enterObject() throws(JSONSyntaxError) {
        guard current == UInt8(ascii: "{") else { throw error("unexpected \(describeCurrent()), expected an object") }
        index += 1
    }

    /// Moves to the next member's key: true when there is one (at its opening quote), false after
    /// the closing `}`. `first` is true before the first member and set to false here.
    mutating func nextMember(_ first: inout Bool) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        if first {
            first = false
            if current == UInt8(ascii: "}") {
                index += 1
                return false
            }
        } else {
            switch current {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                return false
            default:
                throw error("unexpected \(describeCurrent()), expected ',' or '}' in an object")
            }
        }
        guard current == UInt8(ascii: "\"") else {
            if current == UInt8(ascii: "}") { throw error("trailing comma before '}'") }
            throw error("unexpected \(describeCurrent()), expected an object key in double quotes")
        }
        return true
    }

    /// A member's key and its colon; leaves `index` at the value.
    mutating func readKey() throws(JSONSyntaxError) -> String {
        let key = try readString()
        try readColon()
        return key
    }

    /// The key's bytes when it has no escapes (nearly always: no copy), else its decoded text.
    mutating func scanKey() throws(JSONSyntaxError) -> JSONKey {
        let start = index + 1
        let key: JSONKey
        if let end = try scanPlainString() {
            key = JSONKey(bytes: bytes, range: start..<end, decoded: nil)
        } else {
            index = start - 1
            key = JSONKey(bytes: bytes, range: start..<start, decoded: try readString())
        }
        try readColon()
        return key
    }

    mutating func readColon() throws(JSONSyntaxError) {
        skipWhitespace()
        guard current == UInt8(ascii: ":") else {
            throw error("unexpected \(describeCurrent()), expected ':' after an object key")
        }
        index += 1
    }

    /// `[`.
    mutating func enterArray() throws(JSONSyntaxError) {
        guard current == UInt8(ascii: "[") else { throw error("unexpected \(describeCurrent()), expected an array") }
        index += 1
    }

    /// Moves to the next element: true when there is one, false after the closing `]`.
    mutating func nextElement(_ first: inout Bool) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        if first {
            first = false
            if current == UInt8(ascii: "]") {
                index += 1
                return false
            }
            return true
        }
        switch current {
        case UInt8(ascii: ","):
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "]") { throw error("trailing comma before ']'") }
            return true
        case UInt8(ascii: "]"):
            index += 1
            return false
        default:
            throw error("unexpected \(describeCurrent()), expected ',' or ']' in an array")
        }
    }

    mutating func readBool() throws(JSONSyntaxError) -> Bool {
        if current == UInt8(ascii: "t") {
            try readLiteral("true")
            return true
        }
        try readLiteral("false")
        return false
    }

    mutating func readNull() throws(JSONSyntaxError) {
        try readLiteral("null")
    }

    private mutating func readLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let matches = literal.withUTF8Buffer { expected in
            index + expected.count <= bytes.count && expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else {
            throw error("unexpected \(describeCurrent()), expected a value (strings need double quotes)")
        }
        index += literal.utf8CodeUnitCount
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; returns where the number is.
    mutating func scanNumber() throws(JSONSyntaxError) -> Range<Int> {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, isDigit(first) else { throw error("a number needs a digit after '-'") }
        index += 1
        if first == UInt8(ascii: "0"), let next = current, isDigit(next) {
            throw error("numbers must not have leading zeros")
        }
        skipDigits()
        if current == UInt8(ascii: ".") {
            index += 1
            guard let next = current, isDigit(next) else { throw error("a number needs a digit after '.'") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let next = current, isDigit(next) else { throw error("a number needs a digit in its exponent") }
            skipDigits()
        }
        return start..<index
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    // MARK: - Strings

    /// Reads the string at `index` (at its opening quote).
    mutating func readString() throws(JSONSyntaxError) -> String {
        let start = index + 1
        if let end = try scanPlainString() {
            return String(decoding: bytes[start..<end], as: UTF8.self)  // validated by the scan
        }
        // An escape at `index`: the text so far, then byte by byte.
        var utf8 = Array(bytes[start..<index])
        while true {
            guard let byte = current else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)  // already validated byte by byte
            case UInt8(ascii: "\\"):
                index += 1
                try readEscape(into: &utf8)
            case 0x00..<0x20:
                throw error("raw control character U+\(hex(UInt32(byte))) in a string (escape it, e.g. \\n)")
            case 0x20..<0x80:
                utf8.append(byte)
                index += 1
            default:
                let length = try utf8SequenceLength()
                utf8.append(contentsOf: bytes[index..<index + length])
                index += length
            }
        }
    }

    /// Skips the string at `index`, checking it as `readString` does, without building it.
    mutating func skipString() throws(JSONSyntaxError) {
        guard try scanPlainString() == nil else { return }
        while true {
            guard let byte = current else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 1
                var scratch: [UInt8] = []
                try readEscape(into: &scratch)
            case 0x00..<0x20:
                throw error("raw control character U+\(hex(UInt32(byte))) in a string (escape it, e.g. \\n)")
            case 0x20..<0x80:
                index += 1
            default:
                index += try utf8SequenceLength()
            }
        }
    }

    /// From the opening quote at `index`: when the string has no escape, moves past its closing
    /// quote and returns where that quote was (the text is `index of the opening quote + 1 ..<`
    /// the result). At the first backslash, stops there and returns nil.
    private mutating func scanPlainString() throws(JSONSyntaxError) -> Int? {
        index += 1  // opening quote
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return index - 1
            }
            if byte == UInt8(ascii: "\\") { return nil }
            if byte < 0x20 {
                throw error("raw control character U+\(hex(UInt32(byte))) in a string (escape it, e.g. \\n)")
            }
            index += byte < 0x80 ? 1 : try utf8SequenceLength()
        }
        throw error("unterminated string")
    }

    private mutating func readEscape(into utf8: inout [UInt8]) throws(JSONSyntaxError) {
        guard let byte = current else { throw error("unterminated string") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): utf8.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): utf8.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): utf8.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let escapeStart = index - 2
            var code = try readHex4()
            if (0xD800...0xDBFF).contains(code) {
                guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                    throw error("unpaired surrogate escape \\u\(hex(code)) in a string", at: escapeStart)
                }
                index += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("unpaired surrogate escape \\u\(hex(code)) in a string", at: escapeStart)
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw error("unpaired surrogate escape \\u\(hex(code)) in a string", at: escapeStart)
            }
            let scalar = Unicode.Scalar(code)!  // surrogates excluded above
            utf8.append(contentsOf: UTF8.encode(scalar)!)
        default:
            index -= 1
            throw error("invalid escape '\\\(describeByte(byte))' in a string")
        }
    }

    private mutating func readHex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw error("unterminated \\u escape") }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("a \\u escape needs four hexadecimal digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence starting at `index` (RFC 3629, table 3-7 of
    /// the Unicode standard: no overlong forms, no surrogates, nothing above U+10FFFF).
    private func utf8SequenceLength() throws(JSONSyntaxError) -> Int {
        let lead = bytes[index]
        let secondRange: ClosedRange<UInt8>
        let length: Int
        switch lead {
        case 0xC2...0xDF: (length, secondRange) = (2, 0x80...0xBF)
        case 0xE0: (length, secondRange) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, secondRange) = (3, 0x80...0xBF)
        case 0xED: (length, secondRange) = (3, 0x80...0x9F)
        case 0xF0: (length, secondRange) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, secondRange) = (4, 0x80...0xBF)
        case 0xF4: (length, secondRange) = (4, 0x80...0x8F)
        default: throw error("invalid UTF-8 byte 0x\(hex(UInt32(lead), width: 2))")
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]),
            bytes[(index + 2)..<(index + length)].allSatisfy({ (0x80...0xBF).contains($0) })
        else { throw error("invalid UTF-8 sequence starting with byte 0x\(hex(UInt32(lead), width: 2))") }
        return length
    }

    // MARK: - Helpers

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { index += 1 }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    func describeCurrent() -> String {
        guard let byte = current else { return "end of input" }
        return "'\(describeByte(byte))'"
    }

    private func describeByte(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x\(hex(UInt32(byte), width: 2))"
    }

    private func hex(_ value: UInt32, width: Int = 4) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    func error(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for (position, byte) in bytes[..<offset].enumerated() where byte == 0x0A {
            line += 1
            lineStart = position + 1
        }
        return JSONSyntaxError(reason: reason, offset: offset, line: line, column: offset - lineStart + 1)
    }
}
