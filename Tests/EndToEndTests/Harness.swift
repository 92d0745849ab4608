import AsyncHTTPClient
import Foundation
import NIOCore
import ProvisionerCore
import Testing
import TestSupport

/// A real `rds-provisioner serve` process on an ephemeral loopback port, with its own data
/// directory, driven over real HTTP.
final class RunningServer: Sendable {
    let process: ServerProcess
    let baseURL: String
    let dataDirectory: URL

    /// Starts the server and returns once it has said where it listens.
    static func start(
        dataDirectory: URL, extraArguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> RunningServer {
        let process = try ServerProcess(
            ServerProcess.provisionerExecutable,
            ["serve", "--port", "0", "--data-dir", dataDirectory.path] + extraArguments, environment: environment)
        guard let line = await process.waitForLine(containing: "listening on http://") else {
            throw TestSupportError("serve exited before listening:\n" + process.output.joined(separator: "\n"))
        }
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        return RunningServer(process: process, baseURL: url, dataDirectory: dataDirectory)
    }

    private init(process: ServerProcess, baseURL: String, dataDirectory: URL) {
        self.process = process
        self.baseURL = baseURL
        self.dataDirectory = dataDirectory
    }

    struct Response: Sendable {
        var status: Int
        var body: String
        func json() throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        }
    }

    func post(_ path: String, _ body: String, contentType: String = "application/json") async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: contentType)
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    func get(_ path: String) async throws -> Response {
        try await send(HTTPClientRequest(url: baseURL + path))
    }

    private func send(_ request: HTTPClientRequest) async throws -> Response {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 * 1024 * 1024)
        return Response(status: Int(response.status.code), body: String(buffer: body))
    }

    func provision(_ name: String, engine: String = "PostgreSQL", environment: String = "Dev") async throws -> Response {
        try await post("/provision", #"{"databaseName": "\#(name)", "databaseEngine": "\#(engine)", "environment": "\#(environment)"}"#)
    }

    func record(_ id: String) async throws -> RequestRecord {
        let response = try await get("/requests/\(id)")
        #expect(response.status == 200, "GET /requests/\(id): \(response.body)")
        return try PublicJSON.decoder().decode(RequestRecord.self, from: Data(response.body.utf8))
    }

    /// Polls the server (a remote condition; bounded) until the request reaches a final status.
    func waitUntilFinal(_ id: String, timeout: Duration = .seconds(120)) async throws -> RequestRecord {
        let deadline = ContinuousClock.now + timeout
        while true {
            let record = try await record(id)
            if record.status.isFinal { return record }
            guard ContinuousClock.now < deadline else {
                throw TestSupportError("request \(id) still \(record.status.rawValue) after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    var infraRepository: URL { dataDirectory.appendingPathComponent("infra") }

    /// `git` in the local infrastructure repository.
    func git(_ arguments: String...) throws -> String {
        let result = try ProcessRunner.run("git", ["-C", infraRepository.path] + arguments)
        guard result.status == 0 else { throw TestSupportError("git \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.stdout
    }

    func stop(signal: Int32 = SIGTERM) -> Int32 { process.stop(signal: signal) }
}
