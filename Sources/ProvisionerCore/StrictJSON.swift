/// A JSON value as `StrictJSONReader` reads it. Numbers keep their text (the request contract
/// has no numbers; they only need naming in errors). Objects keep every member in order,
/// duplicates included, so the caller can report a duplicate instead of silently picking one.
enum JSONValue: Sendable, Hashable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([JSONMember])

    /// What a developer would call it in an error message: "a string", "a number", "null"…
    var kindDescription: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool(let value): "a boolean (\(value))"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One member of a JSON object: its key, its value and the byte offset where the key starts.
struct JSONMember: Sendable, Hashable {
    var key: String
    var value: JSONValue
    var offset: Int
}

/// Why a body is not JSON, and where: byte offset (0-based), line and column (1-based; the
/// column counts bytes).
struct JSONSyntaxError: Error, Sendable, Hashable {
    var reason: String
    var offset: Int
    var line: Int
    var column: Int

    /// `expected ':' after an object key at line 1, column 17`
    var description: String { "\(reason) at line \(line), column \(column)" }
}

/// A small, strict RFC 8259 reader: no comments, no trailing commas, no single quotes, no
/// NaN/Infinity, no leading zeros, no raw control characters in strings, valid UTF-8 only,
/// unpaired surrogate escapes refused, nesting limited to `maxDepth`. A leading UTF-8 byte
/// order mark is skipped (RFC 8259 §8.1 allows ignoring it). Duplicate keys are kept so the
/// caller can refuse them.
struct StrictJSONReader {
    /// Deeper nesting is refused; the request contract is one flat object.
    static let maxDepth = 32

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Reads exactly one JSON value, optionally surrounded by whitespace.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var reader = StrictJSONReader(bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
        reader.skipWhitespace()
        guard reader.index < bytes.count else { throw reader.error("the body holds no JSON value") }
        let value = try reader.readValue(depth: 1)
        reader.skipWhitespace()
        guard reader.index == bytes.count else {
            throw reader.error("unexpected \(reader.describeCurrent()) after the end of the JSON value")
        }
        return value
    }

    // MARK: - Values

    private mutating func readValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw error("arrays and objects are nested more than \(Self.maxDepth) levels deep") }
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try readObject(depth: depth)
        case UInt8(ascii: "["): return try readArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        case UInt8(ascii: "t"): try readLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try readLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try readLiteral("null"); return .null
        case UInt8(ascii: "'"): throw error("strings must use double quotes, not single quotes")
        case UInt8(ascii: "/"): throw error("unexpected '/', expected a value (JSON has no comments)")
        case let byte where (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20):
            throw error("unexpected \(describeCurrent()), expected a value (strings need double quotes)")
        default: throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func readObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        index += 1  // {
        var members: [JSONMember] = []
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else {
                if peek(UInt8(ascii: "}")) { throw error("trailing comma before '}'") }
                throw error("unexpected \(describeCurrent()), expected an object key in double quotes")
            }
            let offset = index
            let key = try readString()
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw error("unexpected \(describeCurrent()), expected ':' after an object key") }
            index += 1
            skipWhitespace()
            let value = try readValue(depth: depth + 1)
            members.append(JSONMember(key: key, value: value, offset: offset))
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                index += 1
                continue
            }
            if peek(UInt8(ascii: "}")) {
                index += 1
                return .object(members)
            }
            throw error("unexpected \(describeCurrent()), expected ',' or '}' in an object")
        }
    }

    private mutating func readArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            if peek(UInt8(ascii: "]")) { throw error("trailing comma before ']'") }
            elements.append(try readValue(depth: depth + 1))
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                index += 1
                continue
            }
            if peek(UInt8(ascii: "]")) {
                index += 1
                return .array(elements)
            }
            throw error("unexpected \(describeCurrent()), expected ',' or ']' in an array")
        }
    }

    private mutating func readLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let expected = literal.withUTF8Buffer { Array($0) }
        guard bytes[index...].starts(with: expected) else {
            throw error("unexpected \(describeCurrent()), expected a value (strings need double quotes)")
        }
        index += expected.count
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func readNumber() throws(JSONSyntaxError) -> String {
        let start = index
        if peek(UInt8(ascii: "-")) { index += 1 }
        guard let first = current, isDigit(first) else { throw error("a number needs a digit after '-'") }
        index += 1
        if first == UInt8(ascii: "0"), let next = current, isDigit(next) {
            throw error("numbers must not have leading zeros")
        }
        skipDigits()
        if peek(UInt8(ascii: ".")) {
            index += 1
            guard let next = current, isDigit(next) else { throw error("a number needs a digit after '.'") }
            skipDigits()
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard let next = current, isDigit(next) else { throw error("a number needs a digit in its exponent") }
            skipDigits()
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func readString() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        var utf8: [UInt8] = []
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
            utf8.append(contentsOf: Array(String(Character(scalar)).utf8))
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

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func peek(_ byte: UInt8) -> Bool { current == byte }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private func describeCurrent() -> String {
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

    private func error(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
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
