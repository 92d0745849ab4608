/// A type read from JSON by hand with a `JSONReader`: the answers read on every message (SQS
/// events, SNS envelopes, DynamoDB items, GitHub's answers). `JSONDecoder` first builds a map of
/// the whole document and then goes through `Codable`'s containers key by key; a `JSONReader`
/// reads the fields its caller asks for and skips the rest (still checking that they are JSON),
/// which costs a fraction of that on GitHub's eighty-key pull request object.
public protocol JSONReadable {
    init(json: inout JSONReader) throws(JSONSyntaxError)
}

extension JSONReadable {
    /// Reads exactly one document (whitespace around it allowed).
    public init(jsonBytes bytes: [UInt8]) throws(JSONSyntaxError) {
        self = try JSONReader.read(bytes) { (reader) throws(JSONSyntaxError) in try Self(json: &reader) }
    }
}

extension Array: JSONReadable where Element: JSONReadable {
    public init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var elements: [Element] = []
        try reader.readArray { (reader) throws(JSONSyntaxError) in elements.append(try Element(json: &reader)) }
        self = elements
    }
}

extension Dictionary: JSONReadable where Key == String, Value: JSONReadable {
    /// An object whose members are all `Value`s; a key given twice is refused (RFC 8259 leaves
    /// duplicates undefined; a reader should not pick one silently).
    public init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var members: [String: Value] = [:]
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            let name = key.description
            let start = reader.offset
            guard members.updateValue(try Value(json: &reader), forKey: name) == nil else {
                throw reader.error("the key \"\(name)\" appears twice", at: start)
            }
        }
        self = members
    }
}

/// A pull reader over one JSON document, strict as RFC 8259 (see `JSONLexer`): a caller reads the
/// values it wants in the order they come (`readObject` hands it each key) and skips the others
/// (`readObject` skips a member's value its handler did not read). Errors say what was expected
/// and where (`JSONSyntaxError`, with byte offset, line and column).
public struct JSONReader {
    /// Deeper nesting is refused (a stack-depth guard: answers nest a handful of levels).
    public static let maxDepth = 100

    private var lexer: JSONLexer
    private var depth = 0

    private init(_ bytes: [UInt8]) {
        lexer = JSONLexer(bytes)
    }

    /// Reads one document with `body`, which must read (or skip) its top-level value; only
    /// whitespace may follow it.
    public static func read<T>(
        _ bytes: [UInt8], _ body: (inout JSONReader) throws(JSONSyntaxError) -> T
    ) throws(JSONSyntaxError) -> T {
        var reader = JSONReader(bytes)
        let value = try body(&reader)
        try reader.lexer.expectEnd()
        return value
    }

    /// The kind of the next value.
    public mutating func peekKind() throws(JSONSyntaxError) -> JSONKind {
        try lexer.peekKind()
    }

    /// Reads an object: `member` is called with each key in order, and may read its value. A
    /// value `member` leaves unread is skipped.
    public mutating func readObject(
        _ member: (JSONKey, inout JSONReader) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        try expect(.object)
        try descend()
        try lexer.enterObject()
        var first = true
        while try lexer.nextMember(&first) {
            let key = try lexer.scanKey()
            lexer.skipWhitespace()
            let valueStart = lexer.index
            try member(key, &self)
            if lexer.index == valueStart { try skipValue() }
        }
        depth -= 1
    }

    /// Reads an array: `element` is called for each element and must read it (or skip it).
    public mutating func readArray(_ element: (inout JSONReader) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        try expect(.array)
        try descend()
        try lexer.enterArray()
        var first = true
        while try lexer.nextElement(&first) {
            let start = lexer.index
            try element(&self)
            if lexer.index == start { try skipValue() }
        }
        depth -= 1
    }

    public mutating func readString() throws(JSONSyntaxError) -> String {
        try expect(.string)
        return try lexer.readString()
    }

    /// A string, or nil for `null`.
    public mutating func readOptionalString() throws(JSONSyntaxError) -> String? {
        if try readNull() { return nil }
        return try readString()
    }

    /// An integer written without fraction or exponent that fits in an `Int`.
    public mutating func readInt() throws(JSONSyntaxError) -> Int {
        try expect(.number)
        let start = lexer.index
        let range = try lexer.scanNumber()
        guard let value = Int(lexer.text(range)) else {
            throw lexer.error("expected an integer, found \(lexer.text(range))", at: start)
        }
        return value
    }

    /// The text of a number, as written (`"12.50"`, `"1e3"`).
    public mutating func readNumberText() throws(JSONSyntaxError) -> String {
        try expect(.number)
        return lexer.text(try lexer.scanNumber())
    }

    public mutating func readBool() throws(JSONSyntaxError) -> Bool {
        try expect(.bool)
        return try lexer.readBool()
    }

    /// Reads a `null` and returns true, or returns false (and reads nothing) for any other value.
    public mutating func readNull() throws(JSONSyntaxError) -> Bool {
        guard try lexer.peekKind() == .null else { return false }
        try lexer.readNull()
        return true
    }

    /// Skips the next value, checking that it is valid JSON.
    public mutating func skipValue() throws(JSONSyntaxError) {
        switch try lexer.peekKind() {
        case .object:
            try descend()
            try lexer.enterObject()
            var first = true
            while try lexer.nextMember(&first) {
                try lexer.skipString()
                try lexer.readColon()
                try skipValue()
            }
            depth -= 1
        case .array:
            try descend()
            try lexer.enterArray()
            var first = true
            while try lexer.nextElement(&first) { try skipValue() }
            depth -= 1
        case .string: try lexer.skipString()
        case .number: _ = try lexer.scanNumber()
        case .bool: _ = try lexer.readBool()
        case .null: try lexer.readNull()
        }
    }

    /// Where the reader is: the byte offset of the next value (or of the end).
    public var offset: Int { lexer.index }

    /// An error at the reader's position (or at `offset`), for a value the caller cannot use.
    public func error(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
        lexer.error(reason, at: offset)
    }

    /// The error for a member that must be there but is not: `the object has no "sha" (what
    /// GitHub's answer to git/create-tree must have)` at the object's end.
    public func missing(_ key: String, in what: String) -> JSONSyntaxError {
        lexer.error("\(what) has no \"\(key)\"")
    }

    /// A required member's value, or the error that names it.
    public func required<T>(_ value: T?, _ key: String, in what: String = "the object") throws(JSONSyntaxError) -> T {
        guard let value else { throw missing(key, in: what) }
        return value
    }

    private mutating func expect(_ kind: JSONKind) throws(JSONSyntaxError) {
        let found = try lexer.peekKind()
        guard found == kind else { throw lexer.error("expected \(kind.article), found \(found.article)") }
    }

    private mutating func descend() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else {
            throw lexer.error("arrays and objects are nested more than \(Self.maxDepth) levels deep")
        }
    }
}

/// An object key as read: its bytes in the document when it has no escapes (no copy), else its
/// decoded text. Compare it with `==` or match it in a `switch` against string literals.
public struct JSONKey: CustomStringConvertible {
    let bytes: [UInt8]
    let range: Range<Int>
    let decoded: String?

    public var description: String { decoded ?? String(decoding: bytes[range], as: UTF8.self) }

    public static func == (key: JSONKey, literal: StaticString) -> Bool {
        if let decoded = key.decoded { return decoded == literal.description }
        return literal.withUTF8Buffer { expected in
            expected.count == key.range.count
                && expected.indices.allSatisfy { key.bytes[key.range.lowerBound + $0] == expected[$0] }
        }
    }

    public static func ~= (literal: StaticString, key: JSONKey) -> Bool { key == literal }
}

extension String: JSONReadable {
    public init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        self = try reader.readString()
    }
}
