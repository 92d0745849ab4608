import NIOCore
import NIOHTTP1

/// One HTTP request, sent whole (the AWS, GitHub and Lambda Runtime API calls are small).
public struct HTTPTransportRequest: Sendable {
    public var method: HTTPMethod
    /// `http://host[:port]/path?query` or `https://…`.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]?

    public init(method: HTTPMethod = .GET, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One HTTP answer, read whole.
public struct HTTPTransportResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How the AWS, GitHub and Lambda Runtime API clients send HTTP: a whole request out, a whole
/// answer back, within `timeout`. Two implementations:
/// - `SocketHTTPTransport`: blocking sockets on the calling thread, one kept-alive connection
///   per origin, TLS by NIOSSL. For a process that does one thing at a time: the Lambda bootstrap.
/// - `AsyncHTTPClientTransport` (module `ProvisionerAsyncHTTPClient`): AsyncHTTPClient's
///   connection pool on NIO event loops. For the concurrent `worker` and `serve`.
/// Redirects are never followed and bodies never decompressed: a signed request goes exactly
/// where it was signed for.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and reads the answer (at most `maxBodyBytes` of body), all within
    /// `timeout`. Throws `HTTPTransportError` (or the implementation's own errors) when no
    /// complete answer arrives; an answer of any status is returned, not thrown.
    func send(_ request: HTTPTransportRequest, timeout: Duration, maxBodyBytes: Int) async throws -> HTTPTransportResponse
}

/// A request that got no complete answer.
public struct HTTPTransportError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The URL is not `http(s)://host[:port][/path]`.
        case invalidURL
        /// A header name or value HTTP cannot carry (a CR or LF in it, say).
        case invalidRequest
        /// The host name did not resolve.
        case unresolvedHost
        /// No connection could be made.
        case connectFailed
        /// TLS failed (handshake, certificate, or the encrypted stream).
        case tls
        /// The connection broke or closed before the answer was complete.
        case connectionClosed
        /// No complete answer within the timeout.
        case timedOut
        /// The answer's body is larger than the caller accepts.
        case responseTooLarge
        /// The answer is not HTTP/1.1.
        case malformedResponse
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
