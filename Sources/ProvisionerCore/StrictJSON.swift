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

/// Why a body is not JSON (or not the JSON a `JSONReader` caller expects), and where: byte offset (0-based), line and column (1-based; the
/// column counts bytes).
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var offset: Int
    public var line: Int
    public var column: Int

    /// `expected ':' after an object key at line 1, column 17`
    public var description: String { "\(reason) at line \(line), column \(column)" }
}

/// A small, strict RFC 8259 reader: no comments, no trailing commas, no single quotes, no
/// NaN/Infinity, no leading zeros, no raw control characters in strings, valid UTF-8 only,
/// unpaired surrogate escapes refused, nesting limited to `maxDepth`. A leading UTF-8 byte
/// order mark is skipped (RFC 8259 §8.1 allows ignoring it). Duplicate keys are kept so the
/// caller can refuse them. Strings, numbers and literals are read by `JSONLexer`, which
/// `JSONReader` shares.
struct StrictJSONReader {
    /// Deeper nesting is refused; the request contract is one flat object.
    static let maxDepth = 32

    private var lexer: JSONLexer

    /// Reads exactly one JSON value, optionally surrounded by whitespace.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var reader = StrictJSONReader(lexer: JSONLexer(bytes))
        reader.lexer.skipByteOrderMark()
        reader.lexer.skipWhitespace()
        guard !reader.lexer.atEnd else { throw reader.lexer.error("the body holds no JSON value") }
        let value = try reader.readValue(depth: 1)
        try reader.lexer.expectEnd()
        return value
    }

    // MARK: - Values

    private mutating func readValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else {
            throw lexer.error("arrays and objects are nested more than \(Self.maxDepth) levels deep")
        }
        switch try lexer.peekKind() {
        case .object: return try readObject(depth: depth)
        case .array: return try readArray(depth: depth)
        case .string: return .string(try lexer.readString())
        case .number: return .number(lexer.text(try lexer.scanNumber()))
        case .bool: return .bool(try lexer.readBool())
        case .null:
            try lexer.readNull()
            return .null
        }
    }

    private mutating func readObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        var members: [JSONMember] = []
        var first = true
        try lexer.enterObject()
        while try lexer.nextMember(&first) {
            let offset = lexer.index
            let key = try lexer.readKey()
            members.append(JSONMember(key: key, value: try readValue(depth: depth + 1), offset: offset))
        }
        return .object(members)
    }

    private mutating func readArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        var elements: [JSONValue] = []
        var first = true
        try lexer.enterArray()
        while try lexer.nextElement(&first) {
            elements.append(try readValue(depth: depth + 1))
        }
        return .array(elements)
    }
}
