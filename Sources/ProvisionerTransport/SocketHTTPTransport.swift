import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOSSL
import Synchronization

/// HTTP/1.1 over blocking sockets on one thread of its own: no event loop, no connection
/// pool. NIO's own HTTP encoder and decoder (and NIOSSL for `https`) run in an
/// `EmbeddedChannel` that this type feeds from the socket, so the bytes on the wire are the
/// same as AsyncHTTPClient's.
///
/// Made for the Lambda bootstrap, which handles one message at a time. The bootstrap runs its
/// loop with `executor` as its task executor preference, so its code runs on the transport's
/// thread and each call sends and waits right there: no thread hop per request. A call from
/// anywhere else hops to the thread and back, and calls are served one at a time, so a
/// concurrent process (the `worker`, `serve`) uses `AsyncHTTPClientTransport` instead.
///
/// One idle connection per origin is kept. A kept connection that the server closed in the
/// meantime (a frozen Lambda container wakes up to them) is noticed before use, and a request
/// that fails on a reused connection before any byte of the answer arrives is sent once more
/// on a new one, as browsers and curl do.
public final class SocketHTTPTransport: HTTPTransport {
    /// The system's trust roots; its thread starts on first use.
    public static let shared = SocketHTTPTransport()

    let tlsConfiguration: TLSConfiguration
    private let io = IOThread()
    /// Created on the first `https` request (loading the trust roots is not free, and the
    /// Runtime API is plain HTTP).
    private let tlsContext = Mutex<NIOSSLContext?>(nil)
    private let idle = Mutex<[HTTPTarget.Origin: Connection]>([:])

    public init(tlsConfiguration: TLSConfiguration = .makeClientConfiguration()) {
        self.tlsConfiguration = tlsConfiguration
    }

    deinit {
        // Connections are released on the thread that made them, then the thread ends.
        let release = UncheckedBox(idle.withLock { idle in
            defer { idle.removeAll() }
            return Array(idle.values)
        })
        io.execute { release.value.removeAll() }
        io.stop()
    }

    /// The transport's thread as a task executor: `withTaskExecutorPreference(transport.executor)`
    /// runs a task's code there, so that its calls need no hop.
    public var executor: any TaskExecutor { io }

    public func send(_ request: HTTPTransportRequest, timeout: Duration, maxBodyBytes: Int) async throws -> HTTPTransportResponse {
        if io.isCurrent {
            return try sendBlocking(request, timeout: timeout, maxBodyBytes: maxBodyBytes)
        }
        return try await withCheckedThrowingContinuation { continuation in
            io.execute {
                continuation.resume(with: Result { try self.sendBlocking(request, timeout: timeout, maxBodyBytes: maxBodyBytes) })
            }
        }
    }

    /// One exchange, on the transport's thread.
    private func sendBlocking(_ request: HTTPTransportRequest, timeout: Duration, maxBodyBytes: Int) throws(HTTPTransportError)
        -> HTTPTransportResponse
    {
        let target = try HTTPTarget(request.url)
        let deadline = ContinuousClock.now + timeout
        if let connection = takeIdle(target.origin) {
            do {
                return try exchange(request, target: target, on: connection, deadline: deadline, maxBodyBytes: maxBodyBytes)
            } catch let failure {
                guard failure.error.kind == .connectionClosed, !failure.answerStarted else { throw failure.error }
                // The server closed the kept connection as the request went out: try a new one.
            }
        }
        let connection = try Connection.open(target.origin, tls: target.origin.tls ? try context() : nil, deadline: deadline)
        do {
            return try exchange(request, target: target, on: connection, deadline: deadline, maxBodyBytes: maxBodyBytes)
        } catch {
            throw error.error
        }
    }

    /// Whether the caller runs on the transport's thread (tests).
    var isOnItsThread: Bool { io.isCurrent }

    /// Connections kept right now (tests).
    var idleConnectionCount: Int { idle.withLock { $0.count } }

    private func exchange(
        _ request: HTTPTransportRequest, target: HTTPTarget, on connection: Connection, deadline: ContinuousClock.Instant,
        maxBodyBytes: Int
    ) throws(Connection.Failure) -> HTTPTransportResponse {
        let (response, reusable) = try connection.exchange(request, target: target, deadline: deadline, maxBodyBytes: maxBodyBytes)
        if reusable { keepIdle(connection) }
        return response
    }

    private func context() throws(HTTPTransportError) -> NIOSSLContext {
        do {
            return try tlsContext.withLock { context in
                if let context { return context }
                let created = try NIOSSLContext(configuration: tlsConfiguration)
                context = created
                return created
            }
        } catch {
            throw HTTPTransportError(.tls, "TLS configuration: \(error)")
        }
    }

    private func takeIdle(_ origin: HTTPTarget.Origin) -> Connection? {
        guard let connection = idle.withLock({ $0.removeValue(forKey: origin) }) else { return nil }
        return connection.socket.isStale ? nil : connection
    }

    private func keepIdle(_ connection: Connection) {
        let replaced = idle.withLock { $0.updateValue(connection, forKey: connection.origin) }
        _ = replaced  // closed when released, outside the lock
    }
}

/// One HTTP/1.1 connection: a socket and the `EmbeddedChannel` that encodes requests and
/// decodes answers (and runs TLS). Made, used and released on the transport's thread only (the
/// `EmbeddedChannel` requires it), hence `@unchecked Sendable`.
final class Connection: @unchecked Sendable {
    struct Failure: Error {
        var error: HTTPTransportError
        /// Whether any byte of the answer had arrived (a request is only resent when none had).
        var answerStarted: Bool
    }

    let origin: HTTPTarget.Origin
    let socket: Socket
    let channel: EmbeddedChannel
    private var pending: ByteBuffer

    private init(origin: HTTPTarget.Origin, socket: Socket, channel: EmbeddedChannel) {
        self.origin = origin
        self.socket = socket
        self.channel = channel
        pending = channel.allocator.buffer(capacity: 1024)
    }

    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    static func open(_ origin: HTTPTarget.Origin, tls: NIOSSLContext?, deadline: ContinuousClock.Instant) throws(HTTPTransportError)
        -> Connection
    {
        let socket = try Socket.connect(host: origin.host, port: origin.port, deadline: deadline)
        let channel = EmbeddedChannel()
        do {
            if let tls {
                // IP addresses are not sent as SNI; NIOSSL then checks the certificate against the peer's address.
                let isAddress = (try? SocketAddress(ipAddress: origin.host, port: origin.port)) != nil
                let handler = try NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : origin.host)
                try channel.pipeline.syncOperations.addHandler(handler)
            }
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
        } catch {
            throw HTTPTransportError(.tls, "\(origin.host): \(error)")
        }
        channel.connect(to: socket.peer, promise: nil)  // channelActive: TLS queues its ClientHello
        return Connection(origin: origin, socket: socket, channel: channel)
    }

    /// Sends `request` and reads its answer. `reusable`: the connection may carry another request.
    func exchange(_ request: HTTPTransportRequest, target: HTTPTarget, deadline: ContinuousClock.Instant, maxBodyBytes: Int)
        throws(Failure) -> (HTTPTransportResponse, reusable: Bool)
    {
        var answerStarted = false
        do {
            var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: target.requestURI, headers: request.headers)
            if !head.headers.contains(name: "Host") { head.headers.add(name: "Host", value: target.hostHeader) }
            let body = request.body ?? []
            if !head.headers.contains(name: "Content-Length"), !body.isEmpty || request.method.hasRequestBody {
                head.headers.add(name: "Content-Length", value: String(body.count))
            }
            // Not `writeOutbound`: it waits for the write's promise, which TLS holds until its handshake is done.
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            try channel.throwIfErrorCaught()
            try flush(deadline)

            var responseHead: HTTPResponseHead?
            var responseBody = ByteBuffer()
            var closed = false
            var incoming = channel.allocator.buffer(capacity: 16 * 1024)
            while true {
                while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
                    switch part {
                    case .head(let received):
                        responseHead = received
                    case .body(var bytes):
                        guard responseBody.readableBytes + bytes.readableBytes <= maxBodyBytes else {
                            throw HTTPTransportError(.responseTooLarge, "the answer's body is larger than \(maxBodyBytes) bytes")
                        }
                        responseBody.writeBuffer(&bytes)
                    case .end:
                        guard let head = responseHead else {
                            throw HTTPTransportError(.malformedResponse, "an answer ended before its head")
                        }
                        let response = HTTPTransportResponse(
                            status: Int(head.status.code), headers: head.headers, body: Array(responseBody.readableBytesView))
                        return (response, !closed && head.isKeepAlive)
                    }
                }
                guard !closed else {
                    throw HTTPTransportError(
                        .connectionClosed, answerStarted ? "the server closed the connection in the middle of its answer" : "the server closed the connection")
                }
                incoming.clear()
                if try socket.read(into: &incoming, until: deadline) == 0 {
                    closed = true
                    // The decoder ends a body framed by the close, or finds the answer cut short.
                    channel.pipeline.fireChannelInactive()
                    do {
                        try channel.throwIfErrorCaught()
                    } catch {
                        throw HTTPTransportError(.connectionClosed, "the server closed the connection in the middle of its answer")
                    }
                } else {
                    answerStarted = true
                    try channel.writeInbound(incoming)
                    try flush(deadline)  // TLS may answer (session tickets, key updates)
                }
                try channel.throwIfErrorCaught()
            }
        } catch let error as HTTPTransportError {
            throw Failure(error: error, answerStarted: answerStarted)
        } catch let error as NIOSSLError {
            throw Failure(error: HTTPTransportError(.tls, "\(origin.host): \(error)"), answerStarted: answerStarted)
        } catch let error as NIOSSLExtraError {
            throw Failure(error: HTTPTransportError(.tls, "\(origin.host): \(error)"), answerStarted: answerStarted)
        } catch let error as BoringSSLError {
            throw Failure(error: HTTPTransportError(.tls, "\(origin.host): \(error)"), answerStarted: answerStarted)
        } catch let error as HTTPParserError {
            throw Failure(error: HTTPTransportError(.malformedResponse, "\(origin.host): \(error)"), answerStarted: answerStarted)
        } catch {
            throw Failure(error: HTTPTransportError(.malformedResponse, "\(origin.host): \(error)"), answerStarted: answerStarted)
        }
    }

    /// Writes everything the pipeline has produced, in one `send` when it fits.
    private func flush(_ deadline: ContinuousClock.Instant) throws {
        pending.clear()
        while var bytes = try channel.readOutbound(as: ByteBuffer.self) {
            pending.writeBuffer(&bytes)
        }
        if pending.readableBytes > 0 { try socket.write(pending, until: deadline) }
    }
}

extension HTTPMethod {
    /// Methods whose requests carry a body (and so a `Content-Length`, even of 0).
    var hasRequestBody: Bool {
        switch self {
        case .POST, .PUT, .PATCH: true
        default: false
        }
    }
}

/// Carries a value to the transport's thread (its only user from then on).
final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
