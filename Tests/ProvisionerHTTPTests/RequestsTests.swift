import Foundation
import ProvisionerCore
import ProvisionerHTTP
import ProvisionerService
import Testing

@Suite("GET /requests, GET /requests/{id}")
struct RequestsTests {
    static func isTimestamp(_ text: String) -> Bool {
        text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
    }

    @Test("An accepted request reads back as queued, with its history and derived names")
    func readBack() async throws {
        try await LiveAPI.run { api in
            let accepted = try await api.provision(ProvisionTests.orders)
            let location = try #require(accepted.headers["Location"].first)
            let reply = try await api.get(location)
            #expect(reply.status == 200, "\(reply.text)")
            let json = try reply.json()
            #expect(json["status"] as? String == "queued")
            #expect(json["branch"] as? String == "rds/dev/orders")
            let request = try #require(json["request"] as? [String: Any])
            #expect(request["databaseEngine"] as? String == "PostgreSQL")
            let history = try #require(json["history"] as? [[String: Any]])
            #expect(history.count == 1)
            #expect(history.first?["status"] as? String == "queued")
            let at = try #require(history.first?["at"] as? String)
            #expect(Self.isTimestamp(at), "\(at)")
            let createdAt = try #require(json["createdAt"] as? String)
            #expect(Self.isTimestamp(createdAt), "\(createdAt)")
            let record = try reply.decode(RequestRecord.self)
            let stored = try #require(await api.store.records[record.requestId])
            #expect(record.requestId == accepted.headers["Location"].first?.split(separator: "/").last.map(String.init))
            #expect(record.request == stored.request)
            // Timestamps travel with millisecond precision.
            #expect(abs(record.createdAt.timeIntervalSince(stored.createdAt)) < 0.001)
        }
    }

    @Test("A record with a reason and a pull request carries both")
    func reasonAndPullRequest() async throws {
        var rejected = record("orders", status: .rejected, createdAt: Date(timeIntervalSince1970: 1_800_000_000))
        rejected.pullRequest = PullRequestRef(number: 7, url: "local://pulls/7", branch: "rds/dev/orders", requestId: rejected.requestId)
        let seeded = rejected
        try await LiveAPI.run(store: PagingStatusStore([seeded])) { api in
            let reply = try await api.get("/requests/\(seeded.requestId.uppercased())")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(try reply.decode(RequestRecord.self) == seeded)
            let json = try reply.json()
            #expect((json["reason"] as? [String: Any])?["code"] as? String == "already_provisioned")
            #expect((json["pullRequest"] as? [String: Any])?["number"] as? Int == 7)
        }
    }

    @Test("404 request_not_found for an unknown id; 400 invalid_request_id for one that is not a UUID")
    func unknownAndJunkIds() async throws {
        try await LiveAPI.run { api in
            let unknown = try await api.get("/requests/\(UUID().uuidString.lowercased())")
            #expect(unknown.status == 404)
            #expect(try unknown.error().error.code == "request_not_found")
            for junk in ["not-a-uuid", "12345", "3f2c8a4e-1b7d-4c1e-9a53-2f0e6c8d9b1", "3f2c8a4e1b7d4c1e9a532f0e6c8d9b10", "%20"] {
                let reply = try await api.get("/requests/\(junk)")
                #expect(reply.status == 400, "\(junk): \(reply.text)")
                #expect(try reply.error().error.code == "invalid_request_id")
                #expect(try reply.error().error.field == "id")
            }
        }
    }

    @Test("Listing pages through every record with its cursor, newest first")
    func paging() async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let seeded = (0..<5).map { record("db\($0)", createdAt: base.addingTimeInterval(Double($0) * 60)) }
        try await LiveAPI.run(store: PagingStatusStore(seeded)) { api in
            var seen: [String] = []
            var path = "/requests?limit=2"
            var pages = 0
            while true {
                let reply = try await api.get(path)
                #expect(reply.status == 200, "\(reply.text)")
                let json = try reply.json()
                let requests = try #require(json["requests"] as? [[String: Any]])
                seen += requests.compactMap { $0["requestId"] as? String }
                pages += 1
                #expect(json.keys.contains("nextCursor"))  // present, null on the last page
                guard let cursor = json["nextCursor"] as? String else { break }
                #expect(requests.count == 2)
                path = "/requests?limit=2&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
                try #require(pages < 10)
            }
            #expect(pages == 3)
            #expect(seen == seeded.reversed().map(\.requestId))
        }
    }

    @Test("Listing filters by status and by environment (any case)")
    func filters() async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let seeded = [
            record("a", environment: "Dev", status: .queued, createdAt: base),
            record("b", environment: "Prod", status: .rejected, createdAt: base.addingTimeInterval(1)),
            record("c", environment: "Prod", status: .queued, createdAt: base.addingTimeInterval(2)),
        ]
        try await LiveAPI.run(store: PagingStatusStore(seeded)) { api in
            let rejected = try await api.get("/requests?status=rejected").decode(ListPage.self)
            #expect(rejected.requests.map(\.requestId) == [seeded[1].requestId])
            let prod = try await api.get("/requests?environment=prod").decode(ListPage.self)
            #expect(prod.requests.map(\.requestId) == [seeded[2].requestId, seeded[1].requestId])
            let both = try await api.get("/requests?environment=PROD&status=queued").decode(ListPage.self)
            #expect(both.requests.map(\.requestId) == [seeded[2].requestId])
            let all = try await api.get("/requests").decode(ListPage.self)
            #expect(all.requests.count == 3)
            #expect(all.nextCursor == nil)
            for limit in [1, 500] {
                #expect(try await api.get("/requests?limit=\(limit)").status == 200, "limit=\(limit)")
            }
        }
    }

    @Test(
        "400 with a specific code for bad list parameters",
        arguments: [
            ("status=done", "invalid_status_filter", "status"),
            ("status=", "invalid_status_filter", "status"),
            ("environment=Moon", "invalid_environment_filter", "environment"),
            ("limit=0", "invalid_limit", "limit"),
            ("limit=501", "invalid_limit", "limit"),
            ("limit=ten", "invalid_limit", "limit"),
            ("cursor=garbage", "invalid_cursor", "cursor"),
            ("cursor=", "invalid_cursor", "cursor"),
        ])
    func badListParameters(query: String, code: String, field: String) async throws {
        try await LiveAPI.run { api in
            let reply = try await api.get("/requests?\(query)")
            #expect(reply.status == 400, "\(reply.text)")
            let error = try reply.error()
            #expect(error.error.code == code)
            #expect(error.error.field == field)
        }
    }

    @Test("503 status_unavailable when the status store fails; its error stays in the log")
    func storeFailure() async throws {
        let store = PagingStatusStore()
        await store.setFailing(true)
        try await LiveAPI.run(store: store) { api in
            for path in ["/requests", "/requests/\(UUID().uuidString.lowercased())"] {
                let reply = try await api.get(path)
                #expect(reply.status == 503)
                #expect(try reply.error().error.code == "status_unavailable")
                #expect(!reply.text.contains("secret"))
            }
        }
    }

    struct ListPage: Decodable {
        var requests: [RequestRecord]
        var nextCursor: String?
    }
}

@Suite("Routing, health")
struct RoutingTests {
    @Test("404 not_found for unknown paths, in the one error shape")
    func notFound() async throws {
        try await LiveAPI.run { api in
            for (method, path) in [("GET", "/nope"), ("POST", "/provision/extra"), ("GET", "/requests/a/b"), ("GET", "/")] {
                let reply = try await api.send(.RAW(value: method), path)
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(try reply.error().error.code == "not_found")
                #expect(reply.headers["Content-Type"].first?.hasPrefix("application/json") == true)
            }
        }
    }

    @Test("405 method_not_allowed with Allow for known paths")
    func methodNotAllowed() async throws {
        try await LiveAPI.run { api in
            let id = UUID().uuidString.lowercased()
            for (method, path, allow) in [
                ("GET", "/provision", "POST"), ("PUT", "/provision", "POST"), ("DELETE", "/requests/\(id)", "GET"),
                ("POST", "/requests", "GET"), ("PATCH", "/healthz", "GET"), ("POST", "/metrics", "GET"),
            ] {
                let reply = try await api.send(.RAW(value: method), path)
                #expect(reply.status == 405, "\(method) \(path)")
                #expect(reply.headers["Allow"] == [allow], "\(method) \(path)")
                #expect(try reply.error().error.code == "method_not_allowed")
            }
            #expect(await api.intake.submissions.isEmpty)
        }
    }

    @Test("GET /healthz answers ok")
    func health() async throws {
        try await LiveAPI.run { api in
            let reply = try await api.get("/healthz")
            #expect(reply.status == 200)
            #expect(try reply.json()["status"] as? String == "ok")
        }
    }
}
