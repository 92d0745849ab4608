/// The value tree a profile file is read into, whatever its syntax: JSON here in the core,
/// YAML in `ProvisionerYAML`. Objects keep their keys in file order so errors and output are
/// deterministic.
public indirect enum ProfileValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([ProfileValue])
    case object([Entry])

    /// One key of an object, in file order.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: ProfileValue
        public init(_ key: String, _ value: ProfileValue) {
            self.key = key
            self.value = value
        }
    }

    /// A short description of the value for error messages: `90`, `"abc"`, `an object`.
    var summary: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .string(let value):
            value.count > 60 ? "\"\(value.prefix(60))…\"" : "\"\(value)\""
        case .array: "a list"
        case .object: "an object"
        }
    }
}

// MARK: - JSON

/// A small, strict JSON reader for profile files: rejects duplicate keys (the usual decoders
/// keep the last one silently), keeps key order, tells integers from other numbers, and reports
/// the line and column of a syntax error.
enum ProfileJSON {
    static func parse(_ bytes: some Collection<UInt8>) throws(ProfileFileError) -> ProfileValue {
        var parser = Parser(bytes: Array(bytes))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        static let maxDepth = 64

        init(bytes: [UInt8]) {
            self.bytes = bytes
            // Tolerate a UTF-8 byte order mark.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        func error(_ message: String) -> ProfileFileError {
            var line = 1
            var column = 1
            for byte in bytes[..<min(index, bytes.count)] {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
            return ProfileFileError(path: "", "invalid JSON at line \(line), column \(column): \(message)")
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func expect(_ literal: String) throws(ProfileFileError) {
            for byte in literal.utf8 {
                guard current == byte else { throw error("expected \(literal)") }
                index += 1
            }
        }

        mutating func parseValue(depth: Int) throws(ProfileFileError) -> ProfileValue {
            guard depth < Self.maxDepth else { throw error("nested too deeply") }
            switch current {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
                return try parseNumber()
            case nil: throw error("unexpected end of input")
            default: throw error("unexpected character")
            }
        }

        mutating func parseObject(depth: Int) throws(ProfileFileError) -> ProfileValue {
            index += 1
            var entries: [ProfileValue.Entry] = []
            var seen: Set<String> = []
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return .object(entries)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a key in double quotes") }
                let keyStart = index
                let key = try parseString()
                guard seen.insert(key).inserted else {
                    index = keyStart
                    throw error("duplicate key \"\(key)\"")
                }
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                entries.append(.init(key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("}")
                return .object(entries)
            }
        }

        mutating func parseArray(depth: Int) throws(ProfileFileError) -> ProfileValue {
            index += 1
            var values: [ProfileValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                return .array(values)
            }
            while true {
                skipWhitespace()
                values.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("]")
                return .array(values)
            }
        }

        mutating func parseString() throws(ProfileFileError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var chunkStart = index
            func flush(_ parser: Parser, _ end: Int, into scalars: inout String.UnicodeScalarView) throws(ProfileFileError) {
                guard end > chunkStart else { return }
                guard let text = String(validating: parser.bytes[chunkStart..<end], as: UTF8.self) else {
                    throw parser.error("invalid UTF-8 in a string")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while true {
                guard let byte = current else { throw error("unterminated string") }
                switch byte {
                case UInt8(ascii: "\""):
                    try flush(self, index, into: &scalars)
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try flush(self, index, into: &scalars)
                    index += 1
                    scalars.append(try parseEscape())
                    chunkStart = index
                case 0..<0x20:
                    throw error("control character in a string (escape it)")
                default:
                    index += 1
                }
            }
        }

        mutating func parseEscape() throws(ProfileFileError) -> Unicode.Scalar {
            guard let byte = current else { throw error("unterminated escape") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let high = try parseHex4()
                if (0xD800..<0xDC00).contains(high) {
                    try expect("\\u")
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("invalid surrogate pair") }
                    let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    guard let scalar = Unicode.Scalar(value) else { throw error("invalid escape") }
                    return scalar
                }
                guard let scalar = Unicode.Scalar(high) else { throw error("invalid escape (lone surrogate)") }
                return scalar
            default: throw error("invalid escape")
            }
        }

        mutating func parseHex4() throws(ProfileFileError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current, let digit = hexValue(byte) else { throw error("invalid \\u escape") }
                value = value * 16 + digit
                index += 1
            }
            return value
        }

        func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
            default: nil
            }
        }

        mutating func parseNumber() throws(ProfileFileError) -> ProfileValue {
            let start = index
            var isInteger = true
            if current == UInt8(ascii: "-") { index += 1 }
            func digits(_ parser: inout Parser) -> Int {
                var count = 0
                while let byte = parser.current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    parser.index += 1
                    count += 1
                }
                return count
            }
            guard digits(&self) > 0 else { throw error("invalid number") }
            if current == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard digits(&self) > 0 else { throw error("invalid number") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw error("invalid number") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let value = Int(text) { return .integer(value) }
            guard let value = Double(text), value.isFinite else { throw error("number out of range") }
            return .number(value)
        }
    }
}
