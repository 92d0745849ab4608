/// The little XML reading the Query protocol needs: the text of the first element with a given
/// name (`<MessageId>…</MessageId>`), entities decoded. Not a general XML parser: AWS
/// responses are small, flat where we read them, and namespaced only on the root element.
public enum XMLScan {
    /// The decoded text of the first `<name>` element (attributes allowed), or nil.
    public static func firstText(of name: String, in xml: String) -> String? {
        allTexts(of: name, in: xml, limit: 1).first
    }

    /// The decoded texts of every `<name>` element, in document order.
    public static func allTexts(of name: String, in xml: String, limit: Int = .max) -> [String] {
        var results: [String] = []
        let bytes = Array(xml.utf8)
        let open = Array("<\(name)".utf8)
        let close = Array("</\(name)>".utf8)
        var index = 0
        while results.count < limit, let start = find(open, in: bytes, from: index) {
            var cursor = start + open.count
            guard cursor < bytes.count else { break }
            // `<nameX` is another element; `<name/>` is empty.
            let next = bytes[cursor]
            if next != UInt8(ascii: ">") && next != UInt8(ascii: " ") && next != UInt8(ascii: "/") {
                index = cursor
                continue
            }
            guard let tagEnd = bytes[cursor...].firstIndex(of: UInt8(ascii: ">")) else { break }
            if bytes[tagEnd - 1] == UInt8(ascii: "/") {
                results.append("")
                index = tagEnd + 1
                continue
            }
            cursor = tagEnd + 1
            guard let end = find(close, in: bytes, from: cursor) else { break }
            results.append(decodeEntities(bytes[cursor..<end]))
            index = end + close.count
        }
        return results
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && haystack[index..<index + needle.count].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }

    /// `&amp; &lt; &gt; &quot; &apos; &#N; &#xN;` and CDATA sections.
    static func decodeEntities(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("<![CDATA[") && text.hasSuffix("]]>") {
            return String(text.dropFirst(9).dropLast(3))
        }
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                var scalar: Unicode.Scalar?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
                }
                if let scalar { out.unicodeScalars.append(scalar) } else { out += rest[amp...semicolon] }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        out += rest
        return out
    }
}
