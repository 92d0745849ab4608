import Foundation
import ProvisionerAWS
import ProvisionerCore
import ProvisionerService
import Synchronization
import Testing
import TestSupport

/// A clock for the secret cache that the test moves by hand.
final class ManualInstant: Sendable {
    private let value = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { value.withLock { $0 } }
    func advance(_ duration: Duration) { value.withLock { $0 += duration } }
}

struct MotoSecretsTests {
    @Test func aJSONSecretIsReadOnceAndCachedForItsTTL() async throws {
        let moto = try await MotoFixture.make()
        let name = "github-secret"
        try await moto.createSecret(name, #"{"github-token": "ghp_first", "other": 1}"#)

        let clock = ManualInstant()
        let fetches = Mutex(0)
        let client = moto.secrets
        let cache = SecretCache(ttl: .seconds(300), now: { clock.now }) { id in
            fetches.withLock { $0 += 1 }
            return try await client.getSecretValue(secretId: id)
        }
        #expect(try await cache.string(name, key: "github-token") == "ghp_first")

        // Rotated in Secrets Manager: the cache still answers the old value, without asking.
        try await moto.putSecretValue(name, #"{"github-token": "ghp_second"}"#)
        #expect(try await cache.string(name, key: "github-token") == "ghp_first")
        #expect(fetches.withLock { $0 } == 1)

        clock.advance(.seconds(301))
        #expect(try await cache.string(name, key: "github-token") == "ghp_second")
        #expect(fetches.withLock { $0 } == 2)

        await #expect(throws: SecretError.missingKey(secretId: name, key: "nope")) {
            try await cache.string(name, key: "nope")
        }
        let value = try await cache.value(name)
        #expect(!"\(value)".contains("ghp_second"))
    }

    @Test func aMissingSecretIsANotFoundError() async throws {
        let moto = try await MotoFixture.make()
        let cache = SecretCache(client: moto.secrets)
        do {
            _ = try await cache.string(uniqueName("missing-secret"))
            Issue.record("expected an error")
        } catch let error as AWSError {
            #expect(error.kind == .notFound, "\(error)")
            #expect(error.code == "ResourceNotFoundException")
        }
    }
}

struct MotoStatusStoreTests {
    static func validated(_ name: String = "orders", environment: String = "Dev") -> ValidatedRequest {
        let slug = environment.lowercased()
        return ValidatedRequest(
            request: ProvisionRequest(databaseName: name, databaseEngine: .postgresql, environment: environment),
            environmentSlug: slug, clusterIdentifier: "\(name)-\(slug)", stackPath: "stacks/\(slug)/\(name)",
            branch: "rds/\(slug)/\(name)")
    }

    @Test func statusesMoveForwardOnlyAndTheItemHasTheDocumentedShape() async throws {
        let moto = try await MotoFixture.make()
        let table = uniqueName("status")
        let store = try await moto.createStatusTable(table)
        let id = "req-\(UUID().uuidString)"
        #expect(try await store.get(id) == nil)

        let validated = Self.validated()
        let first = try await store.apply(StatusUpdate(requestId: id, status: .processing, at: Date(), validated: validated))
        #expect(first.status == .processing)
        #expect(first.stackPath == "stacks/dev/orders")
        let pull = PullRequestRef(number: 7, url: "https://github.com/o/r/pull/7", branch: "rds/dev/orders", requestId: id)
        let opened = try await store.apply(StatusUpdate(requestId: id, status: .prOpened, at: Date(), pullRequest: pull))
        #expect(opened.status == .prOpened)
        #expect(opened.pullRequest == pull)

        // Backwards: ignored, the current record returned, nothing written.
        let ignored = try await store.apply(StatusUpdate(requestId: id, status: .processing, at: Date()))
        #expect(ignored.status == .prOpened)
        let stored = try #require(try await store.get(id))
        #expect(stored.history.map(\.status) == [.processing, .prOpened])
        #expect(stored == ignored)

        // The raw item: top-level attributes for API Gateway, the full record as JSON.
        let item = try #require(try await moto.dynamoDB.getItem(table: table, key: ["requestId": .s(id)]))
        #expect(item["status"] == .s("pr_opened"))
        #expect(item["itemType"] == .s("request"))
        #expect(item["environmentKey"] == .s("dev"))
        #expect(item["version"] == .n("2"))
        let recordJSON = try #require(item["record"]?.stringValue)
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(recordJSON.utf8)) as? [String: Any])
        #expect(item["createdAt"] == .s(try #require(fields["createdAt"] as? String)))
        #expect(item["updatedAt"] == .s(try #require(fields["updatedAt"] as? String)))
        #expect(fields["status"] as? String == "pr_opened")
        #expect(try PublicJSON.decoder().decode(RequestRecord.self, from: Data(recordJSON.utf8)) == stored)
    }

    @Test func concurrentWritersNeverLoseHistory() async throws {
        let moto = try await MotoFixture.make()
        var store = try await moto.createStatusTable(uniqueName("race"))
        store.maxAttempts = 20
        let id = "req-\(UUID().uuidString)"
        let writers = 6
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask { [store] in
                    _ = try await store.apply(StatusUpdate(requestId: id, status: .processing, at: Date(), validated: Self.validated()))
                }
            }
            try await group.waitForAll()
        }
        // Created once (attribute_not_exists), then every other write appended: none lost.
        let record = try #require(try await store.get(id))
        #expect(record.history.map(\.status) == Array(repeating: .processing, count: writers))
    }

    /// A store writes from what it last saw; another store's write in between makes that write's
    /// condition fail, and the store reads and decides again: nothing is lost or overwritten,
    /// and a status never goes backwards.
    @Test func aStoreThatRemembersAnOldStateStillNeverOverwrites() async throws {
        let moto = try await MotoFixture.make()
        let table = uniqueName("memory")
        let worker = try await moto.createStatusTable(table)
        let other = DynamoDBStatusStore(client: moto.dynamoDB, tableName: table)
        let id = "req-\(UUID().uuidString)"

        // The worker saw no record; another process creates it first.
        #expect(try await worker.get(id) == nil)
        try await other.apply(StatusUpdate(requestId: id, status: .processing, at: Date(), validated: Self.validated()))
        let second = try await worker.apply(StatusUpdate(requestId: id, status: .processing, at: Date(), validated: Self.validated()))
        #expect(second.history.map(\.status) == [.processing, .processing])

        // The worker remembers `processing`; the other store opens the pull request meanwhile.
        let pull = PullRequestRef(number: 7, url: "https://github.com/acme/infra/pull/7", branch: "rds/dev/orders", requestId: id)
        try await other.apply(StatusUpdate(requestId: id, status: .prOpened, at: Date(), pullRequest: pull))
        // `failed` may follow `processing` but not `pr_opened`: the worker's write must not land.
        let answer = try await worker.apply(
            StatusUpdate(requestId: id, status: .failed, at: Date(), reason: StatusReason(code: "publish_failed", message: "gave up")))
        #expect(answer.status == .prOpened)
        let stored = try #require(try await other.get(id))
        #expect(stored.status == .prOpened)
        #expect(stored.history.map(\.status) == [.processing, .processing, .prOpened])

        // Its own consecutive writes need no read in between, and still record everything.
        let fresh = "req-\(UUID().uuidString)"
        #expect(try await worker.get(fresh) == nil)
        try await worker.apply(StatusUpdate(requestId: fresh, status: .processing, at: Date(), validated: Self.validated()))
        try await worker.apply(StatusUpdate(requestId: fresh, status: .prOpened, at: Date(), pullRequest: pull))
        #expect(try await other.get(fresh)?.history.map(\.status) == [.processing, .prOpened])
    }

    @Test func oneStackOneClaimant() async throws {
        let moto = try await MotoFixture.make()
        let store = try await moto.createStatusTable(uniqueName("claims"))
        let stack = "stacks/dev/orders"
        let results = try await withThrowingTaskGroup(of: (String, StackClaim).self) { group in
            for index in 0..<8 {
                group.addTask { ("req-\(index)", try await store.claim(stackKey: stack, for: "req-\(index)")) }
            }
            return try await group.reduce(into: [(String, StackClaim)]()) { $0.append($1) }
        }
        let winners = results.filter { $0.1 == .claimed }.map(\.0)
        #expect(winners.count == 1)
        let winner = try #require(winners.first)
        for (id, claim) in results where id != winner {
            #expect(claim == .heldBy(requestId: winner))
        }
        #expect(try await store.claim(stackKey: stack, for: winner) == .claimed)  // holding it already

        let loser = winner == "req-0" ? "req-1" : "req-0"
        try await store.release(stackKey: stack, for: loser)  // not the holder: no effect
        #expect(try await store.claim(stackKey: stack, for: loser) == .heldBy(requestId: winner))
        try await store.release(stackKey: stack, for: winner)
        #expect(try await store.claim(stackKey: stack, for: loser) == .claimed)
        // Claims are not requests.
        #expect(try await store.get("claim#\(stack)") == nil)
    }

    @Test func listingFiltersAndPagesThroughEveryRecordOnce() async throws {
        let moto = try await MotoFixture.make()
        let store = try await moto.createStatusTable(uniqueName("list"))
        var devIds: Set<String> = []
        for index in 0..<7 {
            let id = "dev-\(index)"
            devIds.insert(id)
            try await store.apply(
                StatusUpdate(requestId: id, status: .processing, at: Date(), validated: Self.validated("db\(index)")))
        }
        for index in 0..<2 {
            try await store.apply(
                StatusUpdate(requestId: "prod-\(index)", status: .processing, at: Date(), validated: Self.validated("db\(index)", environment: "Prod")))
        }
        try await store.apply(StatusUpdate(requestId: "dev-0", status: .rejected, at: Date()))
        _ = try await store.claim(stackKey: "stacks/dev/db1", for: "dev-1")

        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.list(RequestFilter(environment: "Dev"), limit: 3, cursor: cursor)
            #expect(page.records.count <= 3)
            seen += page.records.map(\.requestId)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 20
        #expect(seen.count == 7)
        #expect(Set(seen) == devIds)
        #expect(pages >= 3)

        let rejected = try await store.list(RequestFilter(status: .rejected), limit: 50, cursor: nil)
        #expect(rejected.records.map(\.requestId) == ["dev-0"])
        #expect(rejected.nextCursor == nil)
        let everything = try await store.list(RequestFilter(), limit: 50, cursor: nil)
        #expect(everything.records.count == 9)

        let devLowerCase = try await store.list(RequestFilter(environment: "dev"), limit: 50, cursor: nil)
        #expect(Set(devLowerCase.records.map(\.requestId)) == devIds)
        for bad in ["%%%", Data("v2:dev-1".utf8).base64EncodedString(), ""] {
            await #expect(throws: InvalidCursorError(cursor: bad)) {
                try await store.list(RequestFilter(), limit: 5, cursor: bad)
            }
        }
    }
}
