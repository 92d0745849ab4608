/// Writing HCL (Terraform's configuration language) that is safe and `terraform fmt`-clean.
///
/// Text never reaches HCL except through `HCL.quoted(_:)`: a string literal with every
/// character that means something inside one escaped (`\`, `"`, newlines and other control
/// characters, and the template introducers `${` and `%{`, written `$${` and `%%{`).
public enum HCL {
    /// The inside of a quoted HCL string for `text`: parsing `"` + result + `"` gives back `text`.
    public static func escape(_ text: String) -> String {
        // Nearly every string is printable ASCII with nothing to escape: one scan, no copy.
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C && $0 != 0x22 && $0 != 0x24 && $0 != 0x25 }
        }
        if plain == true { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "$" where next == "{": result += "$$"
            case "%" where next == "{": result += "%%"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                    || scalar == "\u{2028}" || scalar == "\u{2029}"
                {
                    result += "\\u" + hex4(scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// A quoted HCL string literal: `"` + `escape(text)` + `"`.
    public static func quoted(_ text: String) -> String {
        "\"" + escape(text) + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = Array("0123456789ABCDEF")
        return String((0..<4).reversed().map { digits[Int((value >> (UInt32($0) * 4)) & 0xF)] })
    }
}

/// An HCL expression as the renderer writes it.
public indirect enum HCLValue: Sendable, Hashable {
    /// A string, escaped and quoted when written.
    case string(String)
    /// A number, bool, `null` or a reference, written as is. Only the renderer's own
    /// constants go here, never request or profile text.
    case raw(String)
    case list([HCLValue])
    /// A map with quoted keys, in the given order.
    case map([(key: String, value: HCLValue)])
    /// An object with identifier keys (the renderer's own names), in the given order.
    case object([(key: String, value: HCLValue)])

    public static func == (lhs: HCLValue, rhs: HCLValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)), (.raw(let a), .raw(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.map(let a), .map(let b)), (.object(let a), .object(let b)):
            a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .string(let text): hasher.combine(0); hasher.combine(text)
        case .raw(let text): hasher.combine(1); hasher.combine(text)
        case .list(let items): hasher.combine(2); hasher.combine(items)
        case .map(let entries), .object(let entries):
            hasher.combine(3)
            for entry in entries {
                hasher.combine(entry.key)
                hasher.combine(entry.value)
            }
        }
    }

    public static func bool(_ value: Bool) -> HCLValue { .raw(value ? "true" : "false") }
    public static func int(_ value: Int) -> HCLValue { .raw(String(value)) }
    public static let null = HCLValue.raw("null")
    public static func strings(_ values: [String]) -> HCLValue { .list(values.map(HCLValue.string)) }
    /// A map of strings sorted by key (deterministic output).
    public static func stringMap(_ values: [String: String]) -> HCLValue {
        .map(values.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })
    }
}

/// One item in a block body.
public enum HCLItem: Sendable, Hashable {
    case attribute(String, HCLValue)
    case block(String, labels: [String], [HCLItem])
    case blank
    /// A `# text` comment line (callers pass one line of their own text).
    case comment(String)
    /// A `#text` tool directive, such as `checkov:skip=CKV_AWS_139:reason`.
    case directive(String)
}

/// Writes HCL bodies formatted as `terraform fmt` formats them: two-space indentation, `=`
/// aligned across runs of consecutive single-line attributes, multi-line values on their own.
public enum HCLWriter {
    /// A file: top-level items, ending with a single newline.
    public static func file(_ items: [HCLItem]) -> String {
        var lines: [String] = []
        body(items, indent: "", into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    static func body(_ items: [HCLItem], indent: String, into lines: inout [String]) {
        var run: [(String, String)] = []
        func flush() {
            let width = run.map { columns($0.0) }.max() ?? 0
            for (name, value) in run {
                lines.append(indent + name + String(repeating: " ", count: width - columns(name)) + " = " + value)
            }
            run.removeAll()
        }
        for item in items {
            switch item {
            case .attribute(let name, let value):
                let rendered = render(value, indent: indent)
                if rendered.utf8.contains(0x0A) {
                    flush()
                    lines.append(indent + name + " = " + rendered)
                } else {
                    run.append((name, rendered))
                }
            case .block(let type, let labels, let inner):
                flush()
                let header = ([type] + labels.map(HCL.quoted)).joined(separator: " ")
                if inner.isEmpty {
                    lines.append(indent + header + " {}")
                } else {
                    lines.append(indent + header + " {")
                    body(inner, indent: indent + "  ", into: &lines)
                    lines.append(indent + "}")
                }
            case .blank:
                flush()
                lines.append("")
            case .comment(let text):
                flush()
                lines.append(indent + "#" + (text.isEmpty ? "" : " " + text))
            case .directive(let text):
                flush()
                lines.append(indent + "#" + text)
            }
        }
        flush()
    }

    /// The characters `text` takes on a line: its length in bytes when it is ASCII (nearly
    /// always: counting `Character`s means breaking graphemes).
    static func columns(_ text: String) -> Int {
        let ascii = text.utf8.withContiguousStorageIfAvailable { bytes in !bytes.contains { $0 >= 0x80 || $0 == 0x0D } }
        return ascii == true ? text.utf8.count : text.count
    }

    static func render(_ value: HCLValue, indent: String) -> String {
        switch value {
        case .string(let text): return HCL.quoted(text)
        case .raw(let text): return text
        case .list(let items):
            if items.isEmpty { return "[]" }
            let simple = items.map { render($0, indent: indent) }
            let oneLine = "[" + simple.joined(separator: ", ") + "]"
            if !oneLine.utf8.contains(0x0A), columns(oneLine) <= 80 { return oneLine }
            let inner = indent + "  "
            return "[\n" + items.map { inner + render($0, indent: inner) + ",\n" }.joined() + indent + "]"
        case .map(let entries), .object(let entries):
            if entries.isEmpty { return "{}" }
            let quote: (String) -> String = if case .object = value { { $0 } } else { HCL.quoted }
            var lines: [String] = []
            body(entries.map { HCLItem.attribute(quote($0.key), $0.value) }, indent: indent + "  ", into: &lines)
            return "{\n" + lines.joined(separator: "\n") + "\n" + indent + "}"
        }
    }
}
