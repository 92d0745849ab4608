import Testing

@testable import ProvisionerTransport

struct HTTPTargetTests {
    @Test(arguments: [
        ("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", false, "127.0.0.1", 9001, "/2018-06-01/runtime/invocation/next", "127.0.0.1:9001"),
        ("https://dynamodb.eu-west-1.amazonaws.com/", true, "dynamodb.eu-west-1.amazonaws.com", 443, "/", "dynamodb.eu-west-1.amazonaws.com"),
        ("https://api.github.com", true, "api.github.com", 443, "/", "api.github.com"),
        ("http://localhost:80/a?b=c&d=%2F", false, "localhost", 80, "/a?b=c&d=%2F", "localhost"),
        ("https://ghe.example.com:8443/api/v3/repos/o/r?per_page=100", true, "ghe.example.com", 8443, "/api/v3/repos/o/r?per_page=100", "ghe.example.com:8443"),
        ("http://[::1]:4566/", false, "::1", 4566, "/", "[::1]:4566"),
        ("https://[2001:db8::1]/x", true, "2001:db8::1", 443, "/x", "[2001:db8::1]"),
        ("http://h?q=1", false, "h", 80, "/?q=1", "h"),
    ])
    func urlsBecomeOriginRequestLineAndHost(
        url: String, tls: Bool, host: String, port: Int, requestURI: String, hostHeader: String
    ) throws {
        let target = try HTTPTarget(url)
        #expect(target.origin == HTTPTarget.Origin(tls: tls, host: host, port: port))
        #expect(target.requestURI == requestURI)
        #expect(target.hostHeader == hostHeader)
    }

    @Test(arguments: [
        "ftp://example.com/", "example.com/path", "http://", "http://:80/", "http://user:pw@example.com/",
        "http://example.com:0/", "http://example.com:65536/", "http://example.com:8a/", "http://example.com:/",
        "http://[::1/", "http://[::1]x/", "http://example.com/#fragment",
    ])
    func badURLsAreRefused(url: String) {
        #expect(throws: HTTPTransportError.self) { try HTTPTarget(url) }
        do {
            _ = try HTTPTarget(url)
        } catch {
            #expect(error.kind == .invalidURL)
            #expect(error.description.hasPrefix(url))
        }
    }
}
