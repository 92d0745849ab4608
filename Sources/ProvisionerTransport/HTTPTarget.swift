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
        let scheme: Substring
        var rest: Substring
        if url.hasPrefix("http://") {
            scheme = "http"
            rest = url.dropFirst(7)
        } else if url.hasPrefix("https://") {
            scheme = "https"
            rest = url.dropFirst(8)
        } else {
            throw HTTPTransportError(.invalidURL, "\(url): only http:// and https:// URLs are supported")
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        guard !rest.contains("#") else { throw HTTPTransportError(.invalidURL, "\(url): fragments are not sent") }
        guard !authority.contains("@") else { throw HTTPTransportError(.invalidURL, "\(url): credentials in URLs are not supported") }

        let tls = scheme == "https"
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw HTTPTransportError(.invalidURL, "\(url): unterminated IPv6 address")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw HTTPTransportError(.invalidURL, "\(url): bad port") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw HTTPTransportError(.invalidURL, "\(url): no host") }
        var port = tls ? 443 : 80
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit), let number = Int(portText),
                (1...65535).contains(number)
            else { throw HTTPTransportError(.invalidURL, "\(url): bad port") }
            port = number
        }
        origin = Origin(tls: tls, host: String(host), port: port)
        requestURI = rest.isEmpty ? "/" : rest.hasPrefix("?") ? "/" + rest : String(rest)
        let bracketed = host.contains(":") ? "[\(host)]" : String(host)
        hostHeader = port == (tls ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
