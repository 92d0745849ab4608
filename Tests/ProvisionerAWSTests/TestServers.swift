import AsyncHTTPClient
import ProvisionerAsyncHTTPClient
import ProvisionerTransport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ProvisionerAWS
import Synchronization
import TestSupport

/// A request as the stub server saw it.
struct StubRequest: Sendable {
    var method: String
    var path: String
    var headers: [String: String]
    var body: String

    /// A header by name, any case.
    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

struct StubResponse: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: String = ""
}

/// A tiny HTTP server on 127.0.0.1 (ephemeral port) answering with a closure; records requests.
final class StubServer: Sendable {
    let requests = Mutex<[StubRequest]>([])
    let handler: @Sendable (StubRequest, Int) async -> StubResponse

    init(handler: @escaping @Sendable (StubRequest, Int) async -> StubResponse) {
        self.handler = handler
    }

    var count: Int { requests.withLock { $0.count } }
    var received: [StubRequest] { requests.withLock { $0 } }

    /// Runs `body` with the server's base URL (`http://127.0.0.1:<port>`), then stops the server.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let stub = StubRequest(
                method: request.method.rawValue, path: request.uri.path, headers: headers,
                body: String(buffer: bytes))
            let index = self.requests.withLock { requests in
                requests.append(stub)
                return requests.count
            }
            let answer = await self.handler(stub, index)
            var fields = HTTPFields()
            for (name, value) in answer.headers { fields[HTTPField.Name(name)!] = value }
            return Response(
                status: .init(code: answer.status), headers: fields,
                body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "stub-server")
        logger.logLevel = .critical
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw TestSupportError("stub server did not start") }
            let result = try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
            return result
        }
    }
}

/// One moto_server per test process (moto keeps state per account and region; tests use
/// unique resource names), run through tools/moto_server.py, which serialises DynamoDB requests
/// (moto's conditional writes are not atomic across its request threads; DynamoDB's are).
/// Started on 127.0.0.1 on a free port; it exits by itself once the test process is gone
/// (`--exit-with-parent`), however that ended.
final class MotoServer: Sendable {
    let port: Int
    let process: Process
    let log: URL

    private init(port: Int, process: Process, log: URL) {
        self.port = port
        self.process = process
        self.log = log
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    private static let starting = Task<MotoServer, any Error> { try await start() }

    static func shared() async throws -> MotoServer { try await starting.value }

    /// A configuration pointing every service at moto through the SDKs' environment variables.
    static func configuration(
        retry: AWSRetryPolicy = AWSRetryPolicy(), transport: any HTTPTransport = AsyncHTTPClientTransport.shared
    ) async throws -> AWSConfiguration {
        let moto = try await shared()
        return try AWSConfiguration.fromEnvironment(
            [
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ENDPOINT_URL": moto.endpoint,
            ], transport: transport, retry: retry)
    }

    private static func start() async throws -> MotoServer {
        _ = try TestEnvironment.pythonTool("moto_server")  // moto is installed (else a clear error)
        // moto_server's own app, with DynamoDB requests serialised: see tools/moto_server.py.
        let python = try TestEnvironment.pythonTool("python3")
        let wrapper = TestEnvironment.repositoryRoot.appendingPathComponent("tools/moto_server.py")
        let port = try freePort()
        let log = try TestEnvironment.makeTemporaryDirectory("moto").appendingPathComponent("moto.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = python
        process.arguments = [wrapper.path, "-H", "127.0.0.1", "-p", String(port), "--exit-with-parent"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let server = MotoServer(port: port, process: process, log: log)
        try await server.waitUntilReady()
        return server
    }

    /// Polls `/moto-api/` until it answers (a remote condition), for at most 60 seconds.
    private func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw TestSupportError("moto_server exited: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            var request = HTTPClientRequest(url: "\(endpoint)/moto-api/")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)),
                response.status.code == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))  // poll interval, not synchronisation
        }
        throw TestSupportError("moto_server did not answer on \(endpoint) within 60 s")
    }

    /// A port the kernel says is free (bind to port 0, read it back, close).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestSupportError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestSupportError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A unique name for a test's queue, topic or table.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}
