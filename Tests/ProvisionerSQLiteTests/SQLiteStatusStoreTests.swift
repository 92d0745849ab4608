import Foundation
import ProvisionerCore
import ProvisionerService
import Testing

@testable import ProvisionerSQLite

@Suite("SQLiteStatusStore")
struct SQLiteStatusStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000.125)

    @Test func applyCreatesTheRecordWhenAbsent() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        #expect(try await store.get("r1") == nil)

        let request = validated("orders")
        let created = try await store.apply(StatusUpdate(requestId: "r1", status: .processing, at: t0, validated: request))
        #expect(created.status == .processing)
        #expect(created.request == request.request)
        #expect(created.stackPath == "stacks/dev/orders")
        #expect(created.clusterIdentifier == "orders-dev")
        #expect(created.history == [StatusChange(status: .processing, at: t0)])
        #expect(created.createdAt == t0)
        #expect(try await store.get("r1") == created)
    }

    @Test func statusMovesForwardWithHistory() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        let times = (0..<4).map { t0.addingTimeInterval(Double($0) * 1.5) }
        let pullRequest = PullRequestRef(number: 7, url: "file:///repo/pulls/7", branch: "rds/dev/orders", requestId: "r1")

        try await store.apply(StatusUpdate(requestId: "r1", status: .queued, at: times[0], validated: validated("orders")))
        try await store.apply(StatusUpdate(requestId: "r1", status: .processing, at: times[1]))
        try await store.apply(StatusUpdate(requestId: "r1", status: .prOpened, at: times[2], pullRequest: pullRequest))
        let merged = try await store.apply(StatusUpdate(requestId: "r1", status: .merged, at: times[3]))

        #expect(merged.status == .merged)
        #expect(merged.pullRequest == pullRequest)
        #expect(merged.history.map(\.status) == [.queued, .processing, .prOpened, .merged])
        #expect(merged.history.map(\.at) == times)
        #expect(merged.createdAt == times[0])
        #expect(merged.updatedAt == times[3])
        #expect(try await store.get("r1") == merged)
    }

    @Test func backwardUpdateIsIgnoredAndReturnsTheCurrentRecord() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        try await store.apply(StatusUpdate(requestId: "r1", status: .processing, at: t0))
        let reason = StatusReason(code: "invalid_database_name", field: "databaseName", message: "bad name")
        let rejected = try await store.apply(StatusUpdate(requestId: "r1", status: .rejected, at: t0.addingTimeInterval(1), reason: reason))
        #expect(rejected.reason == reason)

        // A late redelivery tries to go back to processing, then queued.
        let afterLate = try await store.apply(StatusUpdate(requestId: "r1", status: .processing, at: t0.addingTimeInterval(2)))
        let afterQueued = try await store.apply(StatusUpdate(requestId: "r1", status: .queued, at: t0.addingTimeInterval(3)))
        #expect(afterLate == rejected)
        #expect(afterQueued == rejected)
        #expect(try await store.get("r1") == rejected)
    }

    @Test func redeliveryRecordsProcessingAgain() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        try await store.apply(StatusUpdate(requestId: "r1", status: .processing, at: t0))
        let again = try await store.apply(StatusUpdate(requestId: "r1", status: .processing, at: t0.addingTimeInterval(30)))
        #expect(again.history.map(\.status) == [.processing, .processing])
    }

    @Test func listPagesNewestFirstWithoutGapsOrRepeats() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        // 25 records; some share a millisecond (creation order decides, not the clock).
        var created: [String] = []
        for index in 0..<25 {
            let id = "r\(25 - index)"  // ids that sort the other way round
            try await store.apply(StatusUpdate(requestId: id, status: .queued, at: t0.addingTimeInterval(Double(index / 2)), validated: validated("db\(index)")))
            created.append(id)
        }
        let newestFirst = Array(created.reversed())

        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.list(RequestFilter(), limit: 10, cursor: cursor)
            seen += page.records.map(\.requestId)
            cursor = page.nextCursor
            pages += 1
            if pages == 1 {
                // A request arriving between pages is newer: it must not shift later pages.
                try await store.apply(StatusUpdate(requestId: "late", status: .queued, at: t0.addingTimeInterval(100)))
            }
        } while cursor != nil
        #expect(pages == 3)
        #expect(seen == newestFirst)
    }

    @Test func listFiltersByStatusAndEnvironment() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        try await store.apply(StatusUpdate(requestId: "dev-queued", status: .queued, at: t0, validated: validated("a", environment: "Dev")))
        try await store.apply(StatusUpdate(requestId: "prod-queued", status: .queued, at: t0, validated: validated("b", environment: "Prod")))
        try await store.apply(StatusUpdate(requestId: "prod-failed", status: .failed, at: t0, validated: validated("c", environment: "Prod")))
        try await store.apply(StatusUpdate(requestId: "unknown", status: .rejected, at: t0))

        func ids(_ filter: RequestFilter) async throws -> Set<String> {
            Set(try await store.list(filter, limit: 100, cursor: nil).records.map(\.requestId))
        }
        #expect(try await ids(RequestFilter()) == ["dev-queued", "prod-queued", "prod-failed", "unknown"])
        #expect(try await ids(RequestFilter(status: .queued)) == ["dev-queued", "prod-queued"])
        #expect(try await ids(RequestFilter(environment: "prod")) == ["prod-queued", "prod-failed"])
        #expect(try await ids(RequestFilter(status: .failed, environment: "PROD")) == ["prod-failed"])
        #expect(try await ids(RequestFilter(status: .merged)) == [])
    }

    @Test func filterFollowsStatusChanges() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        try await store.apply(StatusUpdate(requestId: "r1", status: .queued, at: t0))
        try await store.apply(StatusUpdate(requestId: "r1", status: .processing, at: t0))
        #expect(try await store.list(RequestFilter(status: .queued), limit: 10, cursor: nil).records.isEmpty)
        #expect(try await store.list(RequestFilter(status: .processing), limit: 10, cursor: nil).records.map(\.requestId) == ["r1"])
    }

    @Test func unknownCursorIsRefused() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        for cursor in ["not-a-cursor", "djE6", "djE6LTE", "djI6NQ"] {  // junk, "v1:", "v1:-1", "v2:5"
            await #expect(throws: InvalidCursorError(cursor: cursor)) {
                try await store.list(RequestFilter(), limit: 10, cursor: cursor)
            }
        }
    }

    @Test func claimAndRelease() async throws {
        let store = SQLiteStatusStore(database: try TestDatabase().open())
        #expect(try await store.claim(stackKey: "stacks/dev/orders", for: "r1") == .claimed)
        #expect(try await store.claim(stackKey: "stacks/dev/orders", for: "r1") == .claimed)
        #expect(try await store.claim(stackKey: "stacks/dev/orders", for: "r2") == .heldBy(requestId: "r1"))
        #expect(try await store.claim(stackKey: "stacks/prod/orders", for: "r2") == .claimed)

        try await store.release(stackKey: "stacks/dev/orders", for: "r2")  // not the holder: no effect
        #expect(try await store.claimHolder(stackKey: "stacks/dev/orders") == "r1")
        try await store.release(stackKey: "stacks/dev/orders", for: "r1")
        #expect(try await store.claimHolder(stackKey: "stacks/dev/orders") == nil)
        #expect(try await store.claim(stackKey: "stacks/dev/orders", for: "r2") == .claimed)
    }

    @Test func racingClaimersHaveExactlyOneWinner() async throws {
        let test = try TestDatabase()
        // Two opens of the file, like two processes, plus many tasks in each.
        let stores = [SQLiteStatusStore(database: try test.open()), SQLiteStatusStore(database: try test.open())]
        let results = try await withThrowingTaskGroup(of: (String, StackClaim).self) { group in
            for index in 0..<60 {
                group.addTask {
                    let id = "r\(index)"
                    return (id, try await stores[index % 2].claim(stackKey: "stacks/dev/orders", for: id))
                }
            }
            return try await group.reduce(into: [(String, StackClaim)]()) { $0.append($1) }
        }
        let winners = results.filter { $0.1 == .claimed }.map(\.0)
        #expect(winners.count == 1)
        let winner = try #require(winners.first)
        #expect(results.allSatisfy { $0.0 == winner || $0.1 == .heldBy(requestId: winner) })
        #expect(try await stores[0].claimHolder(stackKey: "stacks/dev/orders") == winner)
    }

    @Test func recordsSurviveReopen() async throws {
        let test = try TestDatabase()
        let database = try test.open()
        let record = try await SQLiteStatusStore(database: database).apply(
            StatusUpdate(requestId: "r1", status: .processing, at: t0, validated: validated("orders")))
        _ = try await SQLiteStatusStore(database: database).claim(stackKey: "stacks/dev/orders", for: "r1")
        try await database.close()

        let reopened = SQLiteStatusStore(database: try test.open())
        #expect(try await reopened.get("r1") == record)
        #expect(try await reopened.claim(stackKey: "stacks/dev/orders", for: "r2") == .heldBy(requestId: "r1"))
    }
}
