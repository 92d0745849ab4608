import NIOCore
import NIOEmbedded
import NIOSSL
import Synchronization

/// HTTP/1.1 over blocking sockets on one thread of its own: no event loop, no connection
/// pool, no channel pipeline for plain HTTP. Requests are written and answers read by `HTTP1`;
/// for `https`, NIOSSL runs in an `EmbeddedChannel` that this type feeds from the socket.
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
    /// At most one per origin; a handful of origins (Runtime API, DynamoDB, GitHub), so a list
    /// searched by equality costs less than hashing the host on every request.
    private let idle = Mutex<[Connection]>([])

    public init(tlsConfiguration: TLSConfiguration = .makeClientConfiguration()) {
        self.tlsConfiguration = tlsConfiguration
    }

    deinit {
        // Connections are released on the thread that made them, then the thread ends.
        let release = UncheckedBox(idle.withLock { idle in
            defer { idle.removeAll() }
            return idle
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
        let connection = idle.withLock { idle -> Connection? in
            guard let index = idle.firstIndex(where: { $0.origin == origin }) else { return nil }
            return idle.remove(at: index)
        }
        guard let connection else { return nil }
        // Checked (one more system call) only after a pause: a connection idle for under a
        // second is nearly always still open, and if the server closed it anyway, a request
        // that finds it closed before any answer arrives goes out again on a new one.
        if ContinuousClock.now - connection.idleSince < Self.freshIdle { return connection }
        return connection.socket.isStale ? nil : connection
    }

    static let freshIdle = Duration.seconds(1)

    private func keepIdle(_ connection: Connection) {
        connection.idleSince = ContinuousClock.now
        let replaced = idle.withLock { idle -> Connection? in
            if let index = idle.firstIndex(where: { $0.origin == connection.origin }) {
                defer { idle[index] = connection }
                return idle[index]
            }
            idle.append(connection)
            return nil
        }
        _ = replaced  // closed when released, outside the lock
    }
}

/// One HTTP/1.1 connection: a socket, and for `https` an `EmbeddedChannel` running NIOSSL that
/// turns plaintext into TLS records and back. Made, used and released on the transport's
/// thread only (the `EmbeddedChannel` requires it), hence `@unchecked Sendable`.
final class Connection: @unchecked Sendable {
    struct Failure: Error {
        var error: HTTPTransportError
        /// Whether any byte of the answer had arrived (a request is only resent when none had).
        var answerStarted: Bool
    }

    let origin: HTTPTarget.Origin
    let socket: Socket
    let tls: EmbeddedChannel?
    private var incoming: ByteBuffer
    /// When the connection was last put back idle.
    var idleSince = ContinuousClock.now

    private init(origin: HTTPTarget.Origin, socket: Socket, tls: EmbeddedChannel?) {
        self.origin = origin
        self.socket = socket
        self.tls = tls
        incoming = ByteBufferAllocator().buffer(capacity: 16 * 1024)
    }

    deinit {
        _ = try? tls?.finish(acceptAlreadyClosed: true)
    }

    static func open(_ origin: HTTPTarget.Origin, tls: NIOSSLContext?, deadline: ContinuousClock.Instant) throws(HTTPTransportError)
        -> Connection
    {
        let socket = try Socket.connect(host: origin.host, port: origin.port, deadline: deadline)
        guard let tls else { return Connection(origin: origin, socket: socket, tls: nil) }
        let channel = EmbeddedChannel()
        do {
            // IP addresses are not sent as SNI; NIOSSL then checks the certificate against the peer's address.
            let isAddress = (try? SocketAddress(ipAddress: origin.host, port: origin.port)) != nil
            let handler = try NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : origin.host)
            try channel.pipeline.syncOperations.addHandler(handler)
        } catch {
            throw HTTPTransportError(.tls, "\(origin.host): \(error)")
        }
        channel.connect(to: socket.peer, promise: nil)  // channelActive: TLS queues its ClientHello
        return Connection(origin: origin, socket: socket, tls: channel)
    }

    /// Sends `request` and reads its answer. `reusable`: the connection may carry another request.
    func exchange(_ request: HTTPTransportRequest, target: HTTPTarget, deadline: ContinuousClock.Instant, maxBodyBytes: Int)
        throws(Failure) -> (HTTPTransportResponse, reusable: Bool)
    {
        var answerStarted = false
        do {
            try send(try HTTP1.serialize(request, target: target), deadline: deadline)
            var parser = HTTP1.ResponseParser(method: request.method, maxBodyBytes: maxBodyBytes)
            var closed = false
            var first = true
            while !parser.isComplete {
                defer { first = false }
                if let plaintext = try receive(deadline: deadline, waitFirst: first) {
                    answerStarted = answerStarted || plaintext.readableBytes > 0
                    try parser.feed(plaintext)
                } else {
                    closed = true
                    try parser.finish()
                }
            }
            let response = HTTPTransportResponse(status: parser.status, headers: parser.headers, body: parser.body)
            return (response, !closed && parser.keepAlive)
        } catch let error as HTTPTransportError {
            // Which server it was: "timed out waiting for the answer" alone does not say.
            throw Failure(error: HTTPTransportError(error.kind, "\(server): \(error.description)"), answerStarted: answerStarted)
        } catch {
            // Errors NIOSSL raises from the TLS channel.
            throw Failure(error: HTTPTransportError(.tls, "\(server): \(error)"), answerStarted: answerStarted)
        }
    }

    /// `host:port`, as errors name it.
    private var server: String { origin.host.contains(":") ? "[\(origin.host)]:\(origin.port)" : "\(origin.host):\(origin.port)" }

    /// Writes `bytes` (through TLS when there is TLS).
    private func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws {
        guard let tls else { return try socket.write(ByteBuffer(bytes: bytes), until: deadline) }
        // Not `writeOutbound`: it waits for the write's promise, which TLS holds until its handshake is done.
        tls.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
        try tls.throwIfErrorCaught()
        try flushTLS(deadline)
    }

    /// The next plaintext that arrives (possibly empty while TLS talks to itself); nil at the end of the stream.
    private func receive(deadline: ContinuousClock.Instant, waitFirst: Bool) throws -> ByteBuffer? {
        incoming.clear()
        guard try socket.read(into: &incoming, until: deadline, waitFirst: waitFirst) > 0 else {
            if let tls {
                tls.pipeline.fireChannelInactive()
                _ = try? tls.throwIfErrorCaught()  // a close without close_notify: the parser judges the answer
                return try readPlaintext(tls)
            }
            return nil
        }
        guard let tls else { return incoming }
        try tls.writeInbound(incoming)
        try flushTLS(deadline)  // handshake messages, and the request TLS held until the handshake was done
        return try readPlaintext(tls) ?? ByteBuffer()
    }

    private func readPlaintext(_ tls: EmbeddedChannel) throws -> ByteBuffer? {
        var plaintext: ByteBuffer?
        while var part = try tls.readInbound(as: ByteBuffer.self) {
            if plaintext == nil { plaintext = part } else { plaintext!.writeBuffer(&part) }
        }
        return plaintext
    }

    /// Writes the TLS records the channel has produced, in one `send` when they fit.
    private func flushTLS(_ deadline: ContinuousClock.Instant) throws {
        guard let tls else { return }
        var pending: ByteBuffer?
        while var bytes = try tls.readOutbound(as: ByteBuffer.self) {
            if pending == nil { pending = bytes } else { pending!.writeBuffer(&bytes) }
        }
        if let pending, pending.readableBytes > 0 { try socket.write(pending, until: deadline) }
    }
}

/// Carries a value to the transport's thread (its only user from then on).
final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
