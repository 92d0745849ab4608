import Foundation
import ProvisionerCore
import ProvisionerHTTP
import ProvisionerService
import ProvisionerSQLite
import Testing
import TestSupport

/// The API over the real embedded adapters: a SQLite file on disk, as `serve` runs it.
@Suite("HTTP API over SQLite")
struct SQLiteAPITests {
    struct Client: APIClient { let port: Int }

    /// A fresh database file, the API over it, and the queue the worker would read.
    static func withSQLiteAPI<T: Sendable>(
        _ body: @Sendable (Client, SQLiteDatabase, SQLiteQueue, PrometheusMetrics) async throws -> T
    ) async throws -> T {
        let directory = try TestEnvironment.makeTemporaryDirectory("http-sqlite")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("provisioner.sqlite").path)
        let queue = SQLiteQueue(database: database)
        let metrics = PrometheusMetrics()
        let result = try await withServer(
            intake: SQLiteIntake(database: database), store: SQLiteStatusStore(database: database),
            queueStats: {
                let depth = try await queue.depth()
                return QueueStats(
                    visible: depth.visible, inFlight: depth.inFlight, delayed: depth.delayed, dead: depth.dead,
                    oldestVisibleSentAt: depth.oldestVisibleSentAt)
            },
            metrics: metrics
        ) { port in
            try await body(Client(port: port), database, queue, metrics)
        }
        try await database.close()
        return result
    }

    @Test("202 queues one message that unwraps to the request; GET reads it back; a second is 409")
    func acceptReadBackDuplicate() async throws {
        try await Self.withSQLiteAPI { api, _, queue, _ in
            let accepted = try await api.provision(#"{"databaseName": "orders", "databaseEngine": "postgres", "environment": "dev"}"#)
            #expect(accepted.status == 202, "\(accepted.text)")
            let requestId = try #require(try accepted.json()["requestId"] as? String)

            let messages = try await queue.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .zero)
            try #require(messages.count == 1)
            let unwrapped = SNSEnvelope.unwrap(messages[0])
            #expect(unwrapped.requestId == requestId)
            #expect(
                try PublicJSON.decoder().decode(ProvisionRequest.self, from: Data(unwrapped.body.utf8))
                    == ProvisionRequest(databaseName: "orders", databaseEngine: .postgresql, environment: "Dev"))

            let record = try await api.get("/requests/\(requestId)")
            #expect(record.status == 200, "\(record.text)")
            #expect(try record.decode(RequestRecord.self).status == .queued)

            let duplicate = try await api.provision(#"{"databaseName": "orders", "databaseEngine": "MySQL", "environment": "Dev"}"#)
            #expect(duplicate.status == 409, "\(duplicate.text)")
            #expect(try duplicate.error().error.message.contains(requestId))
            #expect(try await queue.depth().inFlight == 1)
            #expect(try await queue.depth().visible == 0)
        }
    }

    @Test("Paging and filters over the SQLite store; a forged cursor is a 400, not a 503")
    func listing() async throws {
        try await Self.withSQLiteAPI { api, _, _, _ in
            var ids: [String] = []
            for name in ["alpha", "bravo", "charlie"] {
                let reply = try await api.provision(#"{"databaseName": "\#(name)", "databaseEngine": "MySQL", "environment": "Prod"}"#)
                #expect(reply.status == 202, "\(reply.text)")
                ids.append(try #require(try reply.json()["requestId"] as? String))
            }
            var seen: [String] = []
            var path = "/requests?limit=2&environment=prod&status=queued"
            while true {
                let reply = try await api.get(path)
                #expect(reply.status == 200, "\(reply.text)")
                let json = try reply.json()
                seen += (json["requests"] as? [[String: Any]] ?? []).compactMap { $0["requestId"] as? String }
                guard let cursor = json["nextCursor"] as? String else { break }
                path = "/requests?limit=2&environment=prod&status=queued&cursor=\(cursor)"
                try #require(seen.count < 10)
            }
            #expect(Set(seen) == Set(ids))
            #expect(seen.count == 3)
            let dev = try await api.get("/requests?environment=Dev")
            #expect((try dev.json()["requests"] as? [Any])?.isEmpty == true)

            let forged = try await api.get("/requests?cursor=not-a-cursor")
            #expect(forged.status == 400, "\(forged.text)")
            #expect(try forged.error().error.code == "invalid_cursor")
        }
    }

    @Test("The server over SQLite conforms to openapi.yaml (schemathesis)", .timeLimit(.minutes(2)))
    func conformance() async throws {
        try await Self.withSQLiteAPI { api, _, queue, _ in
            try await OpenAPIContractTests.expectConformance(port: api.port)
            #expect(try await queue.depth().visible > 0, "no request was accepted")
        }
    }

    @Test("/metrics shows the SQLite queue's depth")
    func queueMetrics() async throws {
        try await Self.withSQLiteAPI { api, _, _, _ in
            #expect(try await api.provision(ProvisionTests.orders).status == 202)
            let metrics = try await api.get("/metrics")
            #expect(metrics.text.contains(#"rds_provisioner_queue_messages{state="visible"} 1"#), "\(metrics.text)")
        }
    }
}
