import NIOCore
import NIOHTTP1
import Testing

@testable import ProvisionerTransport

/// The HTTP/1.1 reader and writer on bytes: every framing, fed whole and one byte at a time.
struct HTTP1Tests {
    /// Parses `text` fed in pieces of `step` bytes; `eof` ends the stream after it.
    static func parse(_ text: String, method: HTTPMethod = .GET, step: Int, eof: Bool = false, maxBodyBytes: Int = 1 << 20) throws
        -> HTTP1.ResponseParser
    {
        var parser = HTTP1.ResponseParser(method: method, maxBodyBytes: maxBodyBytes)
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count, !parser.isComplete {
            let end = min(index + step, bytes.count)
            try parser.feed(ByteBuffer(bytes: bytes[index..<end]))
            index = end
        }
        if eof { try parser.finish() }
        return parser
    }

    static let answers: [(name: String, text: String, body: String, keepAlive: Bool, eof: Bool)] = [
        ("length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  spaced value \t\r\n\r\nhello", "hello", true, false),
        ("chunked", "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nB\r\n, the world\r\n0\r\nTrailer: x\r\n\r\n", "hello, the world", true, false),
        ("until close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", "all of it", false, true),
        ("HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "ok", false, false),
        ("HTTP/1.0 kept", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", "ok", true, false),
        ("interim", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", "x", true, false),
        ("no content", "HTTP/1.1 204 No Content\r\n\r\n", "", true, false),
        ("not modified", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", "", true, false),
        ("empty", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "", true, false),
        ("bare LF", "HTTP/1.1 404 Not Found\nContent-Length: 3\n\nnah", "nah", true, false),
        ("no reason", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\ny", "y", true, false),
        ("close token", "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 1\r\n\r\nz", "z", false, false),
    ]

    @Test(arguments: 0..<answers.count) func everyFramingReadsTheSameInAnyPieces(_ index: Int) throws {
        let answer = Self.answers[index]
        for step in [1, 2, 7, 1000] {
            let parser = try Self.parse(answer.text, step: step, eof: answer.eof)
            #expect(parser.isComplete, "\(answer.name), step \(step)")
            #expect(String(decoding: parser.body, as: UTF8.self) == answer.body, "\(answer.name), step \(step)")
            #expect(parser.keepAlive == answer.keepAlive, "\(answer.name), step \(step)")
        }
    }

    @Test func statusAndHeadersAreRead() throws {
        let parser = try Self.parse(Self.answers[0].text, step: 3)
        #expect(parser.status == 200)
        #expect(parser.headers.first(name: "x-a") == "spaced value")
        #expect(parser.headers.first(name: "Content-Length") == "5")
    }

    @Test func aHeadAnswerHasNoBodyWhateverItsLength() throws {
        let parser = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 123\r\n\r\n", method: .HEAD, step: 4)
        #expect(parser.isComplete)
        #expect(parser.body.isEmpty)
    }

    @Test(arguments: [
        ("SSH-2.0-OpenSSH\r\n\r\n", HTTPTransportError.Kind.malformedResponse),
        ("HTTP/2 200\r\n\r\n", .malformedResponse),
        ("HTTP/1.1 2000 OK\r\n\r\n", .malformedResponse),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", .malformedResponse),
        ("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", .malformedResponse),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", .malformedResponse),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .malformedResponse),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedResponse),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", .malformedResponse),
        ("HTTP/1.1 101 Switching Protocols\r\n\r\n", .malformedResponse),
        ("HTTP/1.1 200 OK\r\nContent-Length: 4097\r\n\r\n", .responseTooLarge),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1001\r\n" + String(repeating: "x", count: 4097), .responseTooLarge),
    ])
    func brokenAnswersAreErrorsOfTheirKind(text: String, kind: HTTPTransportError.Kind) {
        for step in [1, 1000] {
            do {
                _ = try Self.parse(text, step: step, maxBodyBytes: 4096)
                Issue.record("\(text.debugDescription) was accepted")
            } catch {
                #expect((error as? HTTPTransportError)?.kind == kind, "\(text.debugDescription), step \(step): \(error)")
            }
        }
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", true),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe", true),
        ("HTTP/1.1 200 OK\r\nContent-", true),
        ("", false),
    ])
    func anEndBeforeTheAnswerIsCompleteIsAClosedConnection(text: String, started: Bool) throws {
        var parser = try Self.parse(text, step: 1000)
        do {
            try parser.finish()
            Issue.record("an answer cut short was accepted")
        } catch {
            #expect(error.kind == .connectionClosed)
            #expect(error.description.contains("middle") == started)
        }
    }

    @Test func requestsAreWrittenWithHostAndLength() throws {
        let target = try HTTPTarget("http://127.0.0.1:9001/path?q=1")
        var request = HTTPTransportRequest(method: .POST, url: target.requestURI, body: Array("{}".utf8))
        request.headers.add(name: "X-Amz-Target", value: "DynamoDB_20120810.PutItem")
        let text = String(decoding: try HTTP1.serialize(request, target: target), as: UTF8.self)
        #expect(text == "POST /path?q=1 HTTP/1.1\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nHost: 127.0.0.1:9001\r\nContent-Length: 2\r\n\r\n{}")
        let get = String(decoding: try HTTP1.serialize(HTTPTransportRequest(url: "/"), target: target), as: UTF8.self)
        #expect(get == "GET /path?q=1 HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n\r\n")
        var given = HTTPTransportRequest(method: .PUT, url: "/")
        given.headers.add(name: "host", value: "example.com")
        let put = String(decoding: try HTTP1.serialize(given, target: target), as: UTF8.self)
        #expect(put == "PUT /path?q=1 HTTP/1.1\r\nhost: example.com\r\nContent-Length: 0\r\n\r\n")
    }

    @Test(arguments: [("X-Evil", "a\r\nInjected: yes"), ("X-Evil", "a\nb"), ("Bad Name", "x"), ("", "x"), ("X-Nul", "a\u{0}b")])
    func headersThatWouldSplitTheRequestAreRefused(name: String, value: String) throws {
        var request = HTTPTransportRequest(url: "/")
        request.headers.add(name: name, value: value)
        #expect(throws: HTTPTransportError.self) { try HTTP1.serialize(request, target: try HTTPTarget("http://h/")) }
    }
}
