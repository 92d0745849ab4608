import NIOCore
import NIOHTTP1

/// HTTP/1.1 as bytes (RFC 9112), just what `SocketHTTPTransport` needs: a request written
/// whole, an answer read incrementally with every framing a server may use (Content-Length,
/// chunked, until close, no body), interim 1xx answers skipped.
enum HTTP1 {
    /// The request line, the headers (`Host` and `Content-Length` added when missing) and the body.
    static func serialize(_ request: HTTPTransportRequest, target: HTTPTarget) throws(HTTPTransportError) -> [UInt8] {
        let body = request.body ?? []
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + body.count)
        bytes.append(contentsOf: request.method.rawValue.utf8)
        bytes.append(0x20)
        bytes.append(contentsOf: target.requestURI.utf8)
        bytes.append(contentsOf: " HTTP/1.1\r\n".utf8)
        var hasHost = false
        var hasLength = false
        for (name, value) in request.headers {
            // A CR or LF would let a value start a header, or a request, of its own.
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte), value.utf8.allSatisfy({ $0 != 0x0D && $0 != 0x0A && $0 != 0 })
            else { throw HTTPTransportError(.invalidRequest, "header \(name.debugDescription) has a name or value HTTP cannot carry") }
            hasHost = hasHost || equalsIgnoringCase(name.utf8, "host")
            hasLength = hasLength || equalsIgnoringCase(name.utf8, "content-length")
            append(&bytes, name, value)
        }
        if !hasHost { append(&bytes, "Host", target.hostHeader) }
        if !hasLength, !body.isEmpty || request.method.carriesBody { append(&bytes, "Content-Length", String(body.count)) }
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: body)
        return bytes
    }

    private static func append(_ bytes: inout [UInt8], _ name: String, _ value: String) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ": ".utf8)
        bytes.append(contentsOf: value.utf8)
        bytes.append(contentsOf: "\r\n".utf8)
    }

    /// RFC 9110 token characters (header names).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// Whether the ASCII header name `bytes` is `lowercase` in any case.
    static func equalsIgnoringCase<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { $0 | 0x20 == $1 }
        }
    }

    /// Reads one answer from the bytes it is fed.
    struct ResponseParser {
        enum Framing: Equatable {
            case length(Int)
            case chunkSize
            case chunkData(Int)
            case chunkDataEnd
            case trailers
            case untilClose
        }

        let isHead: Bool
        let maxBodyBytes: Int
        static let maxHeadBytes = 64 * 1024

        private var buffer: [UInt8] = []
        private var position = 0
        private var framing: Framing?
        private(set) var status = 0
        private(set) var headers = HTTPHeaders()
        private(set) var body: [UInt8] = []
        private(set) var keepAlive = false
        private(set) var isComplete = false

        init(method: HTTPMethod, maxBodyBytes: Int) {
            isHead = method == .HEAD
            self.maxBodyBytes = maxBodyBytes
        }

        /// Adds bytes that arrived and reads as far as they go.
        mutating func feed(_ bytes: ByteBuffer) throws(HTTPTransportError) {
            bytes.withUnsafeReadableBytes { buffer.append(contentsOf: $0) }  // one copy, not byte by byte
            try advance()
        }

        /// The connection ended: completes a body framed by the close, or finds the answer cut short.
        mutating func finish() throws(HTTPTransportError) {
            guard !isComplete else { return }
            guard framing == .untilClose else {
                throw HTTPTransportError(
                    .connectionClosed,
                    status == 0 && buffer.isEmpty ? "the server closed the connection" : "the server closed the connection in the middle of its answer")
            }
            isComplete = true
        }

        private mutating func advance() throws(HTTPTransportError) {
            while !isComplete {
                guard let framing else {
                    guard try readHead() else { return }
                    continue
                }
                switch framing {
                case .length(let remaining):
                    let count = min(remaining, buffer.count - position)
                    try take(count)
                    if remaining - count == 0 { isComplete = true } else { self.framing = .length(remaining - count); return }
                case .untilClose:
                    try take(buffer.count - position)
                    return
                case .chunkSize:
                    guard let line = try readLine() else { return }
                    let size = line.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)[0]
                    guard let text = String(validating: size, as: UTF8.self)?.trimmed, !text.isEmpty, text.count <= 16,
                        let count = Int(text, radix: 16)
                    else { throw HTTPTransportError(.malformedResponse, "a chunk size is not hexadecimal") }
                    self.framing = count == 0 ? .trailers : .chunkData(count)
                case .chunkData(let remaining):
                    let count = min(remaining, buffer.count - position)
                    try take(count)
                    guard remaining - count == 0 else { self.framing = .chunkData(remaining - count); return }
                    self.framing = .chunkDataEnd
                case .chunkDataEnd:
                    guard let line = try readLine() else { return }
                    guard line.isEmpty else { throw HTTPTransportError(.malformedResponse, "a chunk does not end where its size says") }
                    self.framing = .chunkSize
                case .trailers:
                    guard let line = try readLine() else { return }
                    if line.isEmpty { isComplete = true }
                }
            }
        }

        /// Reads the status line and headers once they are all in; false when more bytes are needed.
        private mutating func readHead() throws(HTTPTransportError) -> Bool {
            // Where the head ends (an empty line), before anything is taken from the buffer.
            guard let end = headEnd() else {
                guard buffer.count - position <= Self.maxHeadBytes else {
                    throw HTTPTransportError(.malformedResponse, "the answer's head is larger than \(Self.maxHeadBytes) bytes")
                }
                return false
            }
            guard let statusLine = try readLine(limit: Self.maxHeadBytes), let (version, code) = Self.statusLine(statusLine) else {
                throw HTTPTransportError(.malformedResponse, "the answer does not start with an HTTP/1.x status line")
            }
            // The headers, and what frames the body, read in one pass over the bytes.
            var fields = HTTPHeaders()
            var closeRequested = false
            var keepAliveRequested = false
            var transferCodings: [Substring] = []
            var length: Int?
            while position < end, let line = try readLine(limit: Self.maxHeadBytes), !line.isEmpty {
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                    line[line.startIndex..<colon].allSatisfy(HTTP1.isTokenByte)
                else { throw HTTPTransportError(.malformedResponse, "a header line of the answer is not `name: value`") }
                let nameBytes = line[line.startIndex..<colon]
                let valueBytes = Self.trimmingWhitespace(line[(colon + 1)...])
                let value = String(decoding: valueBytes, as: UTF8.self)
                if HTTP1.equalsIgnoringCase(nameBytes, "content-length") {
                    let number: Int
                    if !valueBytes.isEmpty, valueBytes.count <= 18, valueBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                        number = valueBytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }  // one number, the usual case
                        guard length == nil || length == number else {
                            throw HTTPTransportError(.malformedResponse, "the answer's Content-Length is not one number")
                        }
                        length = number
                    } else {
                        for part in value.split(separator: ",") {
                            let text = part.trimmed
                            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                                let number = Int(text), length == nil || length == number
                            else { throw HTTPTransportError(.malformedResponse, "the answer's Content-Length is not one number") }
                            length = number
                        }
                    }
                } else if HTTP1.equalsIgnoringCase(nameBytes, "transfer-encoding") {
                    transferCodings += value.split(separator: ",").map { Substring($0.trimmed.lowercased()) }
                } else if HTTP1.equalsIgnoringCase(nameBytes, "connection") {
                    for token in value.split(separator: ",") {
                        let option = token.trimmed.lowercased()
                        closeRequested = closeRequested || option == "close"
                        keepAliveRequested = keepAliveRequested || option == "keep-alive"
                    }
                }
                fields.add(name: String(decoding: nameBytes, as: UTF8.self), value: value)
            }
            compact()
            if (100..<200).contains(code) {
                guard code != 101 else { throw HTTPTransportError(.malformedResponse, "the server switched protocols") }
                return true  // an interim answer: the real one follows
            }
            status = code
            headers = fields
            keepAlive = version == 1 ? !closeRequested : keepAliveRequested
            if isHead || code == 204 || code == 304 {
                isComplete = true
            } else if !transferCodings.isEmpty {
                if transferCodings.last == "chunked" {
                    framing = .chunkSize
                } else {
                    framing = .untilClose
                    keepAlive = false
                }
            } else if let length {
                guard length <= maxBodyBytes else {
                    throw HTTPTransportError(.responseTooLarge, "the answer's body is larger than \(maxBodyBytes) bytes")
                }
                if length == 0 { isComplete = true } else { framing = .length(length) }
                body.reserveCapacity(min(length, 1 << 20))  // what the server announces, up to 1 MiB ahead
            } else {
                framing = .untilClose
                keepAlive = false
            }
            return true
        }

        /// The index just past the empty line that ends the head (CRLF CRLF, or bare LFs), or nil
        /// when it has not arrived yet.
        private func headEnd() -> Int? {
            var index = position
            var lineStart = position
            while let newline = buffer[index...].firstIndex(of: 0x0A) {
                let length = newline - lineStart
                if length == 0 || (length == 1 && buffer[lineStart] == 0x0D) { return newline + 1 }
                lineStart = newline + 1
                index = lineStart
            }
            return nil
        }

        /// `HTTP/1.<minor> <3 digits>[ <reason>]` → (minor, code).
        private static func statusLine(_ line: ArraySlice<UInt8>) -> (Int, Int)? {
            let s = line.startIndex
            guard line.count >= 12, line[s..<(s + 7)].elementsEqual("HTTP/1.".utf8),
                line[s + 7] == UInt8(ascii: "0") || line[s + 7] == UInt8(ascii: "1"), line[s + 8] == 0x20,
                line[(s + 9)..<(s + 12)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), line.count == 12 || line[s + 12] == 0x20
            else { return nil }
            let code = line[(s + 9)..<(s + 12)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
            return (Int(line[s + 7] - 0x30), code)
        }

        /// Without leading and trailing spaces and tabs (HTTP's optional whitespace around a value).
        private static func trimmingWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            var start = bytes.startIndex
            var end = bytes.endIndex
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            return bytes[start..<end]
        }

        /// The next line without its CRLF (a bare LF is accepted), or nil when it is not all in.
        private mutating func readLine(limit: Int = 8 * 1024) throws(HTTPTransportError) -> ArraySlice<UInt8>? {
            guard let newline = buffer[position...].firstIndex(of: 0x0A) else {
                guard buffer.count - position <= limit else { throw HTTPTransportError(.malformedResponse, "a line of the answer is too long") }
                return nil
            }
            var end = newline
            if end > position, buffer[end - 1] == 0x0D { end -= 1 }
            let line = buffer[position..<end]
            position = newline + 1
            return line
        }

        /// Moves `count` bytes of body out of the buffer.
        private mutating func take(_ count: Int) throws(HTTPTransportError) {
            guard count > 0 else { return }
            guard body.count + count <= maxBodyBytes else {
                throw HTTPTransportError(.responseTooLarge, "the answer's body is larger than \(maxBodyBytes) bytes")
            }
            body.append(contentsOf: buffer[position..<(position + count)])
            position += count
            compact()
        }

        /// Drops what has been read.
        private mutating func compact() {
            if position == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                position = 0
            } else if position > 64 * 1024 {
                buffer.removeFirst(position)
                position = 0
            }
        }
    }
}

extension HTTPMethod {
    /// Methods whose requests carry a body (and so a `Content-Length`, even of 0).
    var carriesBody: Bool {
        switch self {
        case .POST, .PUT, .PATCH: true
        default: false
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmed: String {
        let text = String(self)
        guard let start = text.unicodeScalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let end = text.unicodeScalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(text[start...end])
    }
}
