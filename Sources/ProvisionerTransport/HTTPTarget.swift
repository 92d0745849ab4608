/// Where a request goes, parsed from its URL: `http(s)://host[:port][/path][?query]`.
/// Userinfo, fragments and non-HTTP schemes are refused (nothing here needs them, and a signed
/// request must go exactly where it says).
struct HTTPTarget: Hashable, Sendable {
    struct Origin: Hashable, Sendable {
        var tls: Bool
        /// Without brackets for IPv6 (`::1`).
        var host: String
        var port: Int
    }

    var origin: Origin
    /// `/path?query` as sent on the request line.
    var requestURI: String
    /// The `Host` header: the port only when it is not the scheme's default.
    var hostHeader: String

    init(_ url: String) throws(HTTPTransportError) {
        // Over the URL's bytes: every request parses one, and `Character` searches cost grapheme
        // breaking. Every delimiter is ASCII, so the parts cut at them are whole characters.
        var text = url
        let parts: Parts
        switch text.withUTF8({ bytes in Self.parse(bytes) }) {
        case .success(let parsed): parts = parsed
        case .failure(let problem): throw HTTPTransportError(.invalidURL, "\(url): \(problem)")
        }
        let tls = parts.tls
        let port = parts.port ?? (tls ? 443 : 80)
        // The parts cut from the same bytes (no second copy of the URL).
        let (host, rest) = text.withUTF8 { bytes in
            (String(decoding: bytes[parts.host], as: UTF8.self), String(decoding: bytes[parts.rest], as: UTF8.self))
        }
        origin = Origin(tls: tls, host: host, port: port)
        requestURI = rest.isEmpty ? "/" : rest.utf8.first == UInt8(ascii: "?") ? "/" + rest : rest
        let bracketed = parts.ipv6 ? "[\(host)]" : host
        hostHeader = port == (tls ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }

    private struct Parts {
        var tls: Bool
        var host: Range<Int>
        var ipv6: Bool
        var port: Int?
        var rest: Range<Int>
    }

    private enum Parsed {
        case success(Parts)
        case failure(String)
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Parsed {
        func starts(_ prefix: StaticString) -> Bool {
            prefix.withUTF8Buffer { expected in bytes.count >= expected.count && zip(bytes, expected).allSatisfy { $0 == $1 } }
        }
        let tls: Bool
        var index: Int
        if starts("http://") {
            (tls, index) = (false, 7)
        } else if starts("https://") {
            (tls, index) = (true, 8)
        } else {
            return .failure("only http:// and https:// URLs are supported")
        }
        let authorityStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "/"), bytes[index] != UInt8(ascii: "?"),
            bytes[index] != UInt8(ascii: "#")
        {
            index += 1
        }
        let authority = authorityStart..<index
        let rest = index..<bytes.count
        if bytes[rest].contains(UInt8(ascii: "#")) { return .failure("fragments are not sent") }
        if bytes[authority].contains(UInt8(ascii: "@")) { return .failure("credentials in URLs are not supported") }

        var host: Range<Int>
        var portBytes: Range<Int>?
        var ipv6 = false
        if authority.first.map({ bytes[$0] == UInt8(ascii: "[") }) == true {
            guard let close = bytes[authority].firstIndex(of: UInt8(ascii: "]")) else { return .failure("unterminated IPv6 address") }
            host = (authority.lowerBound + 1)..<close
            ipv6 = true
            if close + 1 < authority.upperBound {
                guard bytes[close + 1] == UInt8(ascii: ":") else { return .failure("bad port") }
                portBytes = (close + 2)..<authority.upperBound
            }
        } else if let colon = bytes[authority].firstIndex(of: UInt8(ascii: ":")) {
            host = authority.lowerBound..<colon
            portBytes = (colon + 1)..<authority.upperBound
        } else {
            host = authority
        }
        if !ipv6, bytes[host].contains(UInt8(ascii: ":")) { ipv6 = true }
        guard !host.isEmpty else { return .failure("no host") }
        var port: Int?
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5,
                bytes[portBytes].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return .failure("bad port") }
            let number = bytes[portBytes].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard (1...65535).contains(number) else { return .failure("bad port") }
            port = number
        }
        return .success(Parts(tls: tls, host: host, ipv6: ipv6, port: port, rest: rest))
    }
}
