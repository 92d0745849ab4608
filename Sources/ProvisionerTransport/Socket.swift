import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A connected TCP socket in non-blocking mode, read and written with `poll` against a
/// deadline. Owned by one caller at a time; closed on deinit.
final class Socket {
    let descriptor: Int32
    /// The peer, as NIO names it (NIOSSL checks IP-address certificates against it).
    let peer: SocketAddress

    private init(descriptor: Int32, peer: SocketAddress) {
        self.descriptor = descriptor
        self.peer = peer
    }

    deinit { close(descriptor) }

    /// Resolves `host` and connects to the first address that answers before `deadline`.
    static func connect(host: String, port: Int, deadline: ContinuousClock.Instant) throws(HTTPTransportError) -> Socket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw HTTPTransportError(.unresolvedHost, "\(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }

        var failure = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let address = info.ai_addr, let peer = Self.socketAddress(address, host: host) else { continue }
            let descriptor = socket(info.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard descriptor >= 0 else {
                failure = Self.errorText(errno)
                continue
            }
            let socket = Socket(descriptor: descriptor, peer: peer)
            if Glibc.connect(descriptor, address, info.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else {
                    failure = Self.errorText(errno)
                    continue
                }
                do {
                    try socket.wait(for: Int16(POLLOUT), until: deadline, doing: "connecting to \(host):\(port)")
                } catch {
                    if error.kind == .timedOut { throw error }
                    failure = error.description
                    continue
                }
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
                guard code == 0 else {
                    failure = Self.errorText(code)
                    continue
                }
            }
            var on: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            return socket
        }
        throw HTTPTransportError(.connectFailed, "\(host):\(port): \(failure)")
    }

    /// Reads what is available (waiting for it until `deadline`) into `buffer`; 0 at end of stream.
    /// `waitFirst`: nothing can have arrived yet (the request just went out), so wait before
    /// reading instead of trying a read that would only say "not yet".
    func read(into buffer: inout ByteBuffer, until deadline: ContinuousClock.Instant, waitFirst: Bool = false)
        throws(HTTPTransportError) -> Int
    {
        if waitFirst { try wait(for: Int16(POLLIN), until: deadline, doing: "waiting for the answer") }
        while true {
            var count = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 16 * 1024) { pointer in
                count = Glibc.read(descriptor, pointer.baseAddress, pointer.count)
                return max(count, 0)
            }
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN), until: deadline, doing: "waiting for the answer")
            default: throw HTTPTransportError(.connectionClosed, "reading: \(Self.errorText(errno))")
            }
        }
    }

    /// Writes all of `bytes` before `deadline`.
    func write(_ bytes: ByteBuffer, until deadline: ContinuousClock.Instant) throws(HTTPTransportError) {
        var bytes = bytes
        while bytes.readableBytes > 0 {
            // MSG_NOSIGNAL: a peer that closed gives EPIPE, not SIGPIPE.
            let count = bytes.withUnsafeReadableBytes { pointer in
                send(descriptor, pointer.baseAddress, pointer.count, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                bytes.moveReaderIndex(forwardBy: count)
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLOUT), until: deadline, doing: "sending the request")
            default: throw HTTPTransportError(.connectionClosed, "writing: \(Self.errorText(errno))")
            }
        }
    }

    /// True when an idle connection has been closed by its peer (or sent something unasked).
    var isStale: Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN) | 0x2000 /* POLLRDHUP */, revents: 0)
        return poll(&entry, 1, 0) != 0
    }

    private func wait(for events: Int16, until deadline: ContinuousClock.Instant, doing what: String) throws(HTTPTransportError) {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw HTTPTransportError(.timedOut, "timed out \(what)") }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0, errno != EINTR {
                throw HTTPTransportError(.connectionClosed, "\(what): \(Self.errorText(errno))")
            }
        }
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    private static func socketAddress(_ address: UnsafePointer<sockaddr>, host: String) -> SocketAddress? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) }
        default:
            return nil
        }
    }
}
