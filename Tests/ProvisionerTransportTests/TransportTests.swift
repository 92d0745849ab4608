import Foundation
import NIOSSL
import ProvisionerAsyncHTTPClient
import Testing
import TestSupport

@testable import ProvisionerTransport

/// tools/http_test_server.py, one per test process (and one with TLS), in its own process.
final class ScriptedServer: Sendable {
    let process: ServerProcess
    let port: Int
    let tlsDirectory: URL?

    private init(process: ServerProcess, port: Int, tlsDirectory: URL?) {
        self.process = process
        self.port = port
        self.tlsDirectory = tlsDirectory
    }

    static let plain = Task { try await start(tls: false) }
    static let tls = Task { try await start(tls: true) }

    private static func start(tls: Bool) async throws -> ScriptedServer {
        let python = try TestEnvironment.pythonTool("python3")
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("tools/http_test_server.py").path
        let directory = tls ? try TestEnvironment.makeTemporaryDirectory("transport-tls") : nil
        let process = try ServerProcess(python, [script] + (directory.map { ["--tls-dir", $0.path] } ?? []))
        guard let line = await process.waitForLine(containing: "listening on"), let port = Int(line.split(separator: " ").last ?? "")
        else { throw TestSupportError("http_test_server.py did not start: \(process.output.joined(separator: "\n"))") }
        return ScriptedServer(process: process, port: port, tlsDirectory: directory)
    }

    var base: String { tlsDirectory == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)" }

    /// A client TLS configuration trusting `file` in the server's directory (ca.pem or other-ca.pem).
    func trusting(_ file: String) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(tlsDirectory!.appendingPathComponent(file).path)
        return configuration
    }
}

/// What `/echo` saw.
struct Echo: Decodable {
    var method: String
    var path: String
    var headers: [String: String]
    var body: String
}

/// Each way of sending: the socket transport called from a task running on its own thread (as
/// in the Lambda), the socket transport called from anywhere else (a hop to its thread), and
/// AsyncHTTPClient.
enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case socketOnItsThread
    case socketFromElsewhere
    case asyncHTTPClient

    func transport(tls: TLSConfiguration? = nil) -> any HTTPTransport {
        switch self {
        case .socketOnItsThread, .socketFromElsewhere: SocketHTTPTransport(tlsConfiguration: tls ?? .makeClientConfiguration())
        case .asyncHTTPClient: AsyncHTTPClientTransport.shared
        }
    }

    /// Runs `body` where this kind calls from.
    func run(_ transport: any HTTPTransport, _ body: @Sendable () async throws -> Void) async throws {
        if self == .socketOnItsThread, let socket = transport as? SocketHTTPTransport {
            try await withTaskExecutorPreference(socket.executor) {
                #expect(socket.isOnItsThread)
                try await body()
            }
        } else {
            try await body()
        }
    }

    var testDescription: String { rawValue }
}

extension HTTPTransport {
    func get(_ url: String, timeout: Duration = .seconds(10), maxBodyBytes: Int = 1 << 20) async throws -> HTTPTransportResponse {
        try await send(HTTPTransportRequest(url: url), timeout: timeout, maxBodyBytes: maxBodyBytes)
    }
}

func transportError(_ body: () async throws -> Void) async -> HTTPTransportError? {
    do {
        try await body()
        Issue.record("expected an HTTPTransportError")
        return nil
    } catch let error as HTTPTransportError {
        return error
    } catch {
        Issue.record("expected an HTTPTransportError, got \(error)")
        return nil
    }
}

struct TransportTests {
    @Test(arguments: Kind.allCases) func requestsGoOutWholeAndAnswersComeBackWhole(_ kind: Kind) async throws {
        let server = try await ScriptedServer.plain.value
        let transport = kind.transport()
        try await kind.run(transport) {
            var request = HTTPTransportRequest(method: .POST, url: "\(server.base)/echo?a=1&b=%2F", body: Array("héllo".utf8))
            request.headers.add(name: "X-Amz-Target", value: "DynamoDB_20120810.GetItem")
            let response = try await transport.send(request, timeout: .seconds(10), maxBodyBytes: 1 << 20)
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/json")
            let echo = try JSONDecoder().decode(Echo.self, from: Data(response.body))
            #expect(echo.method == "POST")
            #expect(echo.path == "/echo?a=1&b=%2F")
            #expect(echo.headers["host"] == "127.0.0.1:\(server.port)")
            #expect(echo.headers["content-length"] == "6")
            #expect(echo.headers["x-amz-target"] == "DynamoDB_20120810.GetItem")
            #expect(echo.body == "héllo")

            // A POST without a body still says so; a GET sends no length at all.
            let empty = try await transport.send(
                HTTPTransportRequest(method: .POST, url: "\(server.base)/echo"), timeout: .seconds(10), maxBodyBytes: 1 << 20)
            #expect(try JSONDecoder().decode(Echo.self, from: Data(empty.body)).headers["content-length"] == "0")
            let get = try await transport.get("\(server.base)/echo")
            let getEcho = try JSONDecoder().decode(Echo.self, from: Data(get.body))
            #expect(getEcho.method == "GET")
            #expect(getEcho.headers["content-length"] == nil)
            #expect(getEcho.headers["transfer-encoding"] == nil)
        }
    }

    @Test(arguments: Kind.allCases) func everyFramingIsRead(_ kind: Kind) async throws {
        let server = try await ScriptedServer.plain.value
        let transport = kind.transport()
        try await kind.run(transport) {
            let chunked = try await transport.get("\(server.base)/chunked?size=25001")
            #expect(chunked.body == Array(repeating: UInt8(ascii: "x"), count: 25001))
            let untilClose = try await transport.get("\(server.base)/until-close?size=70000")
            #expect(untilClose.body == Array(repeating: UInt8(ascii: "y"), count: 70000))
            for status in [201, 204, 400, 404, 500, 503] {
                let answer = try await transport.get("\(server.base)/status/\(status)")
                #expect(answer.status == status)  // answers of any status are returned, not thrown
            }
        }
    }

    @Test(arguments: Kind.allCases) func brokenAnswersAreErrorsOfTheirKind(_ kind: Kind) async throws {
        let server = try await ScriptedServer.plain.value
        let transport = kind.transport()
        try await kind.run(transport) {
            let timedOut = await transportError { _ = try await transport.get("\(server.base)/slow?ms=3000", timeout: .milliseconds(200)) }
            #expect(timedOut?.kind == .timedOut)
            if kind != .asyncHTTPClient {
                #expect(timedOut?.description.hasPrefix("127.0.0.1:\(server.port): ") == true)  // which server it was
            }
            guard kind != .asyncHTTPClient else {
                // AsyncHTTPClient reports these with its own error types; the callers treat any error alike.
                await #expect(throws: (any Error).self) { _ = try await transport.get("\(server.base)/chunked?size=5000", maxBodyBytes: 4096) }
                await #expect(throws: (any Error).self) { _ = try await transport.get("\(server.base)/truncated") }
                await #expect(throws: (any Error).self) { _ = try await transport.get("\(server.base)/garbage") }
                return
            }
            let tooLarge = await transportError { _ = try await transport.get("\(server.base)/chunked?size=5000", maxBodyBytes: 4096) }
            #expect(tooLarge?.kind == .responseTooLarge)
            let truncated = await transportError { _ = try await transport.get("\(server.base)/truncated") }
            #expect(truncated?.kind == .connectionClosed)
            let garbage = await transportError { _ = try await transport.get("\(server.base)/garbage") }
            #expect(garbage?.kind == .malformedResponse)
            let refused = await transportError { _ = try await transport.get("http://127.0.0.1:\(try MotoFreePort.find())/echo") }
            #expect(refused?.kind == .connectFailed)
            let invalid = await transportError { _ = try await transport.get("ftp://127.0.0.1/") }
            #expect(invalid?.kind == .invalidURL)
        }
    }

    @Test(arguments: [Kind.socketOnItsThread, .socketFromElsewhere]) func oneConnectionIsKeptAndReusedWhileItLasts(_ kind: Kind) async throws {
        let server = try await ScriptedServer.plain.value
        let transport = try #require(kind.transport() as? SocketHTTPTransport)
        try await kind.run(transport) {
            func connection(_ path: String) async throws -> String? {
                try await transport.get("\(server.base)\(path)").headers.first(name: "X-Connection")
            }
            let first = try await connection("/echo")
            #expect(try await connection("/echo") == first)
            #expect(try await connection("/status/500") == first)
            #expect(transport.idleConnectionCount == 1)

            // `Connection: close`: not kept.
            #expect(try await connection("/close") == first)
            #expect(transport.idleConnectionCount == 0)
            let second = try await connection("/echo")
            #expect(second != first)

            // The server drops a kept connection without a word (its idle timeout, or a Lambda
            // container thawed after a while): the next request notices and goes out on a new one.
            #expect(try await connection("/drop") == second)
            let third = try await connection("/echo")
            #expect(third != second)
            #expect(try await connection("/echo") == third)
        }
    }

    @Test func manyCallersAtOnceAreServedOneAtATime() async throws {
        let server = try await ScriptedServer.plain.value
        let transport = SocketHTTPTransport()
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<24 {
                group.addTask {
                    let request = HTTPTransportRequest(method: .POST, url: "\(server.base)/echo", body: Array("call \(index)".utf8))
                    let answer = try await transport.send(request, timeout: .seconds(20), maxBodyBytes: 1 << 20)
                    return try JSONDecoder().decode(Echo.self, from: Data(answer.body)).body
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(bodies == Set((0..<24).map { "call \($0)" }))
        #expect(transport.idleConnectionCount == 1)
    }

    @Test(arguments: [Kind.socketOnItsThread, .socketFromElsewhere]) func tlsVerifiesTheServerAndKeepsTheSession(_ kind: Kind) async throws {
        let server = try await ScriptedServer.tls.value
        let transport = try #require(kind.transport(tls: server.trusting("ca.pem")) as? SocketHTTPTransport)
        try await kind.run(transport) {
            var request = HTTPTransportRequest(method: .POST, url: "\(server.base)/echo", body: Array("over TLS".utf8))
            request.headers.add(name: "Authorization", value: "Bearer t")
            let answer = try await transport.send(request, timeout: .seconds(10), maxBodyBytes: 1 << 20)
            let echo = try JSONDecoder().decode(Echo.self, from: Data(answer.body))
            #expect(echo.body == "over TLS")
            #expect(echo.headers["host"] == "localhost:\(server.port)")
            let chunked = try await transport.get("\(server.base)/chunked?size=40000")
            #expect(chunked.body.count == 40000)
            #expect(chunked.headers.first(name: "X-Connection") == answer.headers.first(name: "X-Connection"))

            // A certificate from a CA that is not trusted, and a name the certificate does not hold.
            let stranger = kind.transport(tls: server.trusting("other-ca.pem"))
            let untrusted = await transportError { _ = try await stranger.get("\(server.base)/echo") }
            #expect(untrusted?.kind == .tls)
            let byAddress = await transportError { _ = try await transport.get("https://127.0.0.1:\(server.port)/echo") }
            #expect(byAddress?.kind == .tls)
            #expect(byAddress?.description.contains("127.0.0.1") == true)
            // Plain HTTP to a TLS port is no answer, never a silent success.
            let plain = await transportError { _ = try await transport.get("http://127.0.0.1:\(server.port)/echo", timeout: .seconds(5)) }
            #expect(plain != nil)
        }
    }
}

enum MotoFreePort {
    /// A port nothing listens on (bound, then released).
    static func find() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw TestSupportError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
