#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

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
        // Runs of bytes that need no escape go in whole (a substring of `text`: no copy but the
        // append); each escaped byte in between.
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte == 0x22 || byte == 0x5C || byte < 0x20 else { continue }
                if runStart < index { output.append(contentsOf: slice(text, runStart..<index)) }
                appendEscape(byte, to: &output)
                runStart = index + 1
            }
            if runStart == 0 {
                output.append(text)
            } else if runStart < bytes.count {
                output.append(contentsOf: slice(text, runStart..<bytes.count))
            }
        }
        if done == nil {
            for scalar in text.unicodeScalars {
                if scalar.value < 0x20 || scalar == "\"" || scalar == "\\" {
                    appendEscape(UInt8(scalar.value), to: &output)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output.append("\"")
    }

    /// `text`'s characters at these UTF-8 offsets (both at ASCII bytes, so on scalar boundaries).
    private static func slice(_ text: String, _ offsets: Range<Int>) -> Substring {
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: offsets.lowerBound)
        return text[start..<utf8.index(start, offsetBy: offsets.count)]
    }

    private static func appendEscape(_ byte: UInt8, to output: inout String) {
        switch byte {
        case 0x22: output.append("\\\"")
        case 0x5C: output.append("\\\\")
        case 0x0A: output.append("\\n")
        case 0x0D: output.append("\\r")
        case 0x09: output.append("\\t")
        case 0x08: output.append("\\b")
        case 0x0C: output.append("\\f")
        default:
            output.append("\\u00")
            output.unicodeScalars.append(Unicode.Scalar(hexDigits[Int(byte >> 4)]))
            output.unicodeScalars.append(Unicode.Scalar(hexDigits[Int(byte & 0x0F)]))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

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
    ///
    /// Written by hand for the years 1970–9999 (every status change writes two): the format style
    /// goes through a calendar; a test holds the two to the same text over random instants.
    public static func formatTimestamp(_ date: Date) -> String {
        // The same arithmetic as the format style: half a millisecond added to the seconds since
        // 2001 (what a `Date` holds), then whole seconds and the nanoseconds of the rest, truncated.
        let shifted = date.timeIntervalSinceReferenceDate + 0.0005
        let wholeSeconds = shifted.rounded(.down)
        let unixSeconds = wholeSeconds + Date.timeIntervalBetween1970AndReferenceDate
        guard unixSeconds >= 0, unixSeconds < 253_402_300_800 else { return formatTimestampWithCalendar(date) }
        let nanoseconds = Int((shifted - wholeSeconds) * 1_000_000_000)
        let total = Int(unixSeconds) * 1000 + nanoseconds / 1_000_000
        let (days, millisecondOfDay) = total.quotientAndRemainder(dividingBy: 86_400_000)
        let (year, month, day) = CivilDate.from(daysSince1970: days)
        var text = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, _ digits: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                text[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, 4, at: 0)
        text[4] = UInt8(ascii: "-")
        put(month, 2, at: 5)
        text[7] = UInt8(ascii: "-")
        put(day, 2, at: 8)
        text[10] = UInt8(ascii: "T")
        put(millisecondOfDay / 3_600_000, 2, at: 11)
        text[13] = UInt8(ascii: ":")
        put(millisecondOfDay / 60_000 % 60, 2, at: 14)
        text[16] = UInt8(ascii: ":")
        put(millisecondOfDay / 1000 % 60, 2, at: 17)
        text[19] = UInt8(ascii: ".")
        put(millisecondOfDay % 1000, 3, at: 20)
        text[23] = UInt8(ascii: "Z")
        return String(decoding: text, as: UTF8.self)
    }

    /// The format style's text (rounded to the nearest millisecond as above).
    static func formatTimestampWithCalendar(_ date: Date) -> String {
        date.addingTimeInterval(0.0005).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }


    public static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}

/// Writes JSON in the layout of `PrettyJSONWriter.encoder` (`JSONEncoder` with pretty printing,
/// sorted keys and unescaped slashes): two-space indents, `"key" : value`, an empty container as
/// an opening line, a blank line and a closing line. The caller writes keys in sorted order; a
/// test holds the result to the encoder's bytes.
public struct PrettyJSONWriter {
    /// The encoder whose output this writer reproduces.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    public private(set) var text = ""
    /// Per open container: whether it has no member yet.
    private var empty: [Bool] = []

    public init() {}

    public mutating func openObject() { open("{") }
    public mutating func closeObject() { close("}") }
    public mutating func openArray() { open("[") }
    public mutating func closeArray() { close("]") }

    /// `"name" : ` on a new line, after a comma when needed; the caller writes the value.
    public mutating func key(_ name: String) {
        element()
        PublicJSON.appendString(name, to: &text)
        text.append(" : ")
    }

    /// Starts the next array element on a new line; the caller writes the value.
    public mutating func element() {
        if empty[empty.count - 1] {
            empty[empty.count - 1] = false
        } else {
            text.append(",")
        }
        newline(depth: empty.count)
    }

    public mutating func string(_ value: String) { PublicJSON.appendString(value, to: &text) }
    public mutating func integer(_ value: Int) { text.append(String(value)) }
    public mutating func bool(_ value: Bool) { text.append(value ? "true" : "false") }

    public mutating func strings(_ values: [String]) {
        openArray()
        for value in values {
            element()
            string(value)
        }
        closeArray()
    }

    /// Any other value, as the encoder writes it at this depth. The text is kept in `cache` (a
    /// profile is the same for every request of its environment), so the encoder runs once.
    public mutating func fragment<Value: Encodable & Hashable & Sendable>(_ value: Value, cache: FragmentCache<Value>) {
        text.append(cache.text(for: value, depth: empty.count))
    }

    private mutating func open(_ bracket: String) {
        text.append(bracket)
        empty.append(true)
    }

    private mutating func close(_ bracket: String) {
        if empty.removeLast() { text.append("\n") }
        newline(depth: empty.count)
        text.append(bracket)
    }

    private mutating func newline(depth: Int) {
        text.append("\n")
        indent(depth: depth)
    }

    private mutating func indent(depth: Int) {
        for _ in 0..<depth { text.append("  ") }
    }

    /// The encoder's text per value and depth, indented for that depth. Bounded: emptied when it
    /// reaches `limit` entries. (Typed, not keyed by `AnyHashable`: making one costs a dynamic
    /// cast on every use.)
    public final class FragmentCache<Value: Encodable & Hashable & Sendable>: Sendable {
        public static var limit: Int { 64 }
        private struct Key: Hashable, Sendable {
            var value: Value
            var depth: Int
        }
        private let texts = Mutex<[Key: String]>([:])

        public init() {}

        func text(for value: Value, depth: Int) -> String {
            let key = Key(value: value, depth: depth)
            if let text = texts.withLock({ $0[key] }) { return text }
            // Strings, numbers, bools, arrays and objects of them always encode.
            let encoded = String(decoding: try! PrettyJSONWriter.encoder().encode(value), as: UTF8.self)
            var text = ""
            var first = true
            for line in encoded.split(separator: "\n", omittingEmptySubsequences: false) {
                if !first {
                    text.append("\n")
                    if !line.isEmpty { text.append(String(repeating: "  ", count: depth)) }
                }
                first = false
                text.append(contentsOf: line)
            }
            texts.withLock {
                if $0.count >= Self.limit { $0.removeAll() }
                $0[key] = text
            }
            return text
        }
    }
}

/// Dates of the proleptic Gregorian calendar in UTC from day counts, without a calendar object
/// (timestamps and SigV4 dates are written on every request).
public enum CivilDate {
    /// Year, month (1–12) and day (1–31) of the day `days` after 1970-01-01 (before it when
    /// negative): whole 400-year eras from 0000-03-01, then the year of the era with March first,
    /// so that the leap day falls at the end of the year.
    public static func from(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // 0...365, from March 1
        let monthFromMarch = (5 * dayOfYear + 2) / 153  // 0...11
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
