import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ProvisionerCore
import ProvisionerHTTP
import ProvisionerService
import ServiceLifecycle
import TestSupport

/// Runs the API on an ephemeral port of 127.0.0.1 with the given parts, runs `body` with the
/// port, and stops the server (also when `body` throws).
func withServer<T: Sendable>(
    intake: any RequestIntake, store: any StatusStore, queueStats: QueueStatsProvider? = nil,
    metrics: PrometheusMetrics = PrometheusMetrics(), profiles: ProfileSet = .builtIn,
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    var logger = Logger(label: "ProvisionerHTTPTests")
    logger.logLevel = .warning
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = ProvisionerAPI.buildApplication(
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        validator: RequestValidator(profiles: profiles), intake: intake, statusStore: store,
        queueStats: queueStats, metrics: metrics, logger: logger,
        onServerRunning: { port in
            portContinuation.yield(port)
            portContinuation.finish()
        })
    let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { portContinuation.finish() }  // a server that fails to start ends the wait below
            try await services.run()
        }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await group.next()
            throw TestSupportError("the API stopped before it listened")
        }
        do {
            let value = try await body(port)
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return value
        } catch {
            await services.triggerGracefulShutdown()
            throw error
        }
    }
}

/// The API running with in-memory parts the test can inspect.
struct LiveAPI: APIClient {
    let port: Int
    let intake: RecordingIntake
    let store: PagingStatusStore
    let metrics: PrometheusMetrics

    static func run<T: Sendable>(
        store: PagingStatusStore = PagingStatusStore(),
        intake: RecordingIntake? = nil,
        queueStats: QueueStatsProvider? = nil,
        _ body: @Sendable (LiveAPI) async throws -> T
    ) async throws -> T {
        let intake = intake ?? RecordingIntake(store: store)
        let metrics = PrometheusMetrics()
        return try await withServer(intake: intake, store: store, queueStats: queueStats, metrics: metrics) { port in
            try await body(LiveAPI(port: port, intake: intake, store: store, metrics: metrics))
        }
    }
}

/// An HTTP reply, read whole.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try PublicJSON.decoder().decode(type, from: Data(body))
    }

    /// The error body every error response carries.
    func error() throws -> ErrorResponse { try ErrorResponse.decode(body) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestSupportError("not a JSON object: \(text)")
        }
        return object
    }
}

/// Sends real HTTP requests (AsyncHTTPClient) to the server on 127.0.0.1.
protocol APIClient: Sendable {
    var port: Int { get }
}

extension APIClient {
    var baseURL: String { "http://127.0.0.1:\(port)" }

    func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        chunked: Bool = false
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if chunked {
                // Streamed in small pieces without a Content-Length (Transfer-Encoding: chunked).
                let pieces = stride(from: 0, to: body.count, by: 1024).map { ByteBuffer(bytes: body[$0..<min($0 + 1024, body.count)]) }
                request.body = .stream(pieces.async, length: .unknown)
            } else {
                request.body = .bytes(body)
            }
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }

    func get(_ path: String) async throws -> Reply { try await send(.GET, path) }

    /// POSTs a JSON body to `/provision`.
    func provision(_ json: String, contentType: String? = "application/json") async throws -> Reply {
        try await send(.POST, "/provision", headers: contentType.map { [("Content-Type", $0)] } ?? [], body: Array(json.utf8))
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence (for streamed request bodies).
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}

/// Builds a status record for seeding a store.
func record(
    _ name: String, environment: String = "Dev", status: RequestStatus = .queued, createdAt: Date,
    id: String = UUID().uuidString.lowercased()
) -> RequestRecord {
    let request = ProvisionRequest(databaseName: name, databaseEngine: .postgresql, environment: environment)
    var history = [StatusChange(status: .queued, at: createdAt)]
    if status != .queued { history.append(StatusChange(status: status, at: createdAt.addingTimeInterval(1))) }
    return RequestRecord(
        requestId: id, status: status, request: request, clusterIdentifier: "\(name)-\(environment.lowercased())",
        stackPath: "stacks/\(environment.lowercased())/\(name)", branch: "rds/\(environment.lowercased())/\(name)",
        reason: status == .rejected ? StatusReason(code: "already_provisioned", message: "stack exists") : nil,
        history: history, createdAt: createdAt, updatedAt: history.last!.at)
}
