import AsyncHTTPClient
import NIOCore
import ProvisionerTransport

/// `HTTPTransport` over AsyncHTTPClient: a connection pool on NIO event loops, for processes
/// that make many calls at once (`worker`, `serve`). The whole exchange, body included, is
/// bounded by the timeout.
public struct AsyncHTTPClientTransport: HTTPTransport {
    public let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    /// The client every transport made with `shared` uses: no redirects (a signed request must
    /// not wander), no decompression, a 3 s connect timeout, and a failed connection fails the
    /// request at once (the callers' retry policies decide about retrying, rather than the
    /// pool retrying until the deadline). Created on first use; it lives as long as the process.
    public static let shared = AsyncHTTPClientTransport(client: sharedClient)

    public func send(_ request: HTTPTransportRequest, timeout: Duration, maxBodyBytes: Int) async throws -> HTTPTransportResponse {
        let client = self.client
        return try await withThrowingTaskGroup(of: HTTPTransportResponse.self) { group in
            group.addTask {
                var outgoing = HTTPClientRequest(url: request.url)
                outgoing.method = request.method
                outgoing.headers = request.headers
                if let body = request.body { outgoing.body = .bytes(body) }
                let response = try await client.execute(outgoing, timeout: .nanoseconds(timeout.nanoseconds))
                let body = try await response.body.collect(upTo: maxBodyBytes)
                return HTTPTransportResponse(
                    status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw HTTPTransportError(.timedOut, "no complete answer within \(timeout)")
            }
            defer { group.cancelAll() }
            do {
                guard let first = try await group.next() else { throw HTTPTransportError(.timedOut, "no answer") }
                return first
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                throw HTTPTransportError(.timedOut, "no complete answer within \(timeout)")
            }
        }
    }
}

private let sharedClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    configuration.timeout = .init(connect: .seconds(3))
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.decompression = .disabled
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()

extension Duration {
    fileprivate var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
