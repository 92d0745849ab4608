#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A value that writes its own JSON, for bodies built on every message (a GitHub request, a
/// DynamoDB item): `JSONEncoder` costs more than the rest of handling a message. Each type that
/// adopts it keeps its `Encodable` conformance, and a test holds the two to the same JSON.
public protocol JSONWritable {
    func writeJSON(to output: inout String)
}

extension JSONWritable {
    /// The JSON text as bytes.
    public var jsonBytes: [UInt8] {
        var output = ""
        writeJSON(to: &output)
        return Array(output.utf8)
    }
}

/// Helpers for `JSONWritable` types: `{"a":…,"b":…}` written member by member.
public struct JSONObjectWriter {
    private var first = true

    /// Starts an object (`{`).
    public init(_ output: inout String) {
        output.append("{")
    }

    /// Writes `"name":` (with the comma before it when needed); the caller writes the value.
    public mutating func key(_ name: String, _ output: inout String) {
        if !first { output.append(",") }
        first = false
        PublicJSON.appendString(name, to: &output)
        output.append(":")
    }

    public mutating func string(_ name: String, _ value: String?, _ output: inout String) {
        guard let value else { return }
        key(name, &output)
        PublicJSON.appendString(value, to: &output)
    }

    public mutating func strings(_ name: String, _ values: [String], _ output: inout String) {
        key(name, &output)
        PublicJSON.appendArray(values, to: &output)
    }

    /// Ends the object (`}`).
    public func end(_ output: inout String) {
        output.append("}")
    }
}

/// The one JSON dialect of the public contract (HTTP bodies, queue messages, status items):
/// sorted keys, ISO 8601 timestamps with milliseconds in UTC.
public enum PublicJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTimestamp(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 timestamp: \(text)")
            }
            return date
        }
        return decoder
    }

    /// Appends `text` as a JSON string, escaped exactly as `encoder()` escapes it (quote,
    /// backslash and control characters; `/` and non-ASCII as they are). For hot paths that
    /// write a fixed shape by hand; tests hold it to the encoder's bytes.
    public static func appendString(_ text: String, to output: inout String) {
        output.append("\"")
        var pending = text.utf8.startIndex
        let utf8 = text.utf8
        var index = pending
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 {
                output.append(contentsOf: text[pending..<index])
                switch byte {
                case 0x22: output.append("\\\"")
                case 0x5C: output.append("\\\\")
                case 0x0A: output.append("\\n")
                case 0x0D: output.append("\\r")
                case 0x09: output.append("\\t")
                case 0x08: output.append("\\b")
                case 0x0C: output.append("\\f")
                default:
                    let hex: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
                    output.append("\\u00")
                    output.append(hex[Int(byte >> 4)])
                    output.append(hex[Int(byte & 0x0F)])
                }
                pending = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        output.append(contentsOf: text[pending..<utf8.endIndex])
        output.append("\"")
    }

    /// `["a","b"]`
    public static func appendArray(_ values: [String], to output: inout String) {
        output.append("[")
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(",") }
            appendString(value, to: &output)
        }
        output.append("]")
    }

    /// `{"a":"1","b":"2"}` from members already in sorted key order (nil values left out), as
    /// `encoder()` writes a struct of optional strings.
    public static func object(_ members: KeyValuePairs<String, String?>) -> String {
        var output = "{"
        var first = true
        for (key, value) in members {
            guard let value else { continue }
            if !first { output.append(",") }
            first = false
            appendString(key, to: &output)
            output.append(":")
            appendString(value, to: &output)
        }
        output.append("}")
        return output
    }

    /// `2026-11-25T20:41:07.123Z`, rounded to the nearest millisecond. (The format style
    /// truncates, and a parsed `.002` is stored as `.00199…`: without the half millisecond a
    /// timestamp lost a millisecond on about half of its parse/format round trips.)
    public static func formatTimestamp(_ date: Date) -> String {
        date.addingTimeInterval(0.0005).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
