import Foundation
import ProvisionerCore
import ProvisionerService
import Testing

@testable import ProvisionerSQLite

@Suite("SQLiteIntake: atomic, durable, group-committed submissions")
struct SQLiteIntakeTests {
    @Test func submitClaimsRecordsAndEnqueuesTogether() async throws {
        let database = try TestDatabase().open()
        let intake = SQLiteIntake(database: database)
        let store = SQLiteStatusStore(database: database)
        let queue = SQLiteQueue(database: database)
        let sub = submission("orders")

        let record = try await intake.submit(sub)
        #expect(record.status == .queued)
        #expect(record.requestId == sub.requestId)
        #expect(record.stackPath == "stacks/dev/orders")
        #expect(record.history == [StatusChange(status: .queued, at: sub.receivedAt)])
        #expect(try await store.get(sub.requestId) == record)
        #expect(try await store.claimHolder(stackKey: "stacks/dev/orders") == sub.requestId)

        let message = try #require(try await queue.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .zero).first)
        #expect(message.body == sub.message)
        #expect(SNSEnvelope.unwrap(message).requestId == sub.requestId)
    }

    @Test func duplicateStoresNothing() async throws {
        let database = try TestDatabase().open()
        let intake = SQLiteIntake(database: database)
        let store = SQLiteStatusStore(database: database)
        let first = submission("orders")
        let second = submission("orders")
        try await intake.submit(first)

        await #expect(throws: IntakeError.duplicate(existingRequestId: first.requestId, stackPath: "stacks/dev/orders")) {
            try await intake.submit(second)
        }
        #expect(try await store.get(second.requestId) == nil)
        #expect(try await store.claimHolder(stackKey: "stacks/dev/orders") == first.requestId)
        #expect(try await SQLiteQueue(database: database).depth().visible == 1)
        #expect(try await store.list(RequestFilter(), limit: 10, cursor: nil).records.map(\.requestId) == [first.requestId])
    }

    @Test func releasedStackCanBeSubmittedAgain() async throws {
        let database = try TestDatabase().open()
        let intake = SQLiteIntake(database: database)
        let store = SQLiteStatusStore(database: database)
        let first = submission("orders")
        try await intake.submit(first)
        try await store.apply(StatusUpdate(requestId: first.requestId, status: .failed, at: first.receivedAt))
        try await store.release(stackKey: first.validated.stackKey, for: first.requestId)

        let second = submission("orders")
        #expect(try await intake.submit(second).requestId == second.requestId)
    }

    @Test func reusedRequestIdIsRefused() async throws {
        let database = try TestDatabase().open()
        let intake = SQLiteIntake(database: database)
        let first = submission("orders", requestId: "same")
        try await intake.submit(first)
        await #expect(throws: SQLiteStoreError.requestAlreadyExists(requestId: "same")) {
            try await intake.submit(submission("payments", requestId: "same"))
        }
        #expect(try await SQLiteStatusStore(database: database).claimHolder(stackKey: "stacks/dev/payments") == nil)
        #expect(try await SQLiteQueue(database: database).depth().visible == 1)
    }

    @Test func concurrentSubmitsShareTransactions() async throws {
        let test = try TestDatabase()
        let database = try test.open()
        let intake = SQLiteIntake(database: database)
        let before = database.writeStatistics
        let count = 100

        // Hold the writer so that every submission is waiting when it starts: one transaction.
        database.committer.pause()
        let submissions = (0..<count).map { submission("db\($0)") }
        async let records = withThrowingTaskGroup(of: RequestRecord.self) { group in
            for sub in submissions { group.addTask { try await intake.submit(sub) } }
            return try await group.reduce(into: [RequestRecord]()) { $0.append($1) }
        }
        await database.committer.waitUntilPending(count)
        database.committer.resume()
        #expect(try await records.count == count)

        let after = database.writeStatistics
        #expect(after.transactions - before.transactions == 1)
        #expect(after.operations - before.operations == count)
        #expect(after.largestBatch == count)
        try await database.close()

        // All of them are on disk.
        let reopened = try test.open()
        #expect(try await SQLiteQueue(database: reopened).depth().visible == count)
        let stored = try await SQLiteStatusStore(database: reopened).list(RequestFilter(), limit: 1000, cursor: nil)
        #expect(Set(stored.records.map(\.requestId)) == Set(submissions.map(\.requestId)))
    }

    @Test func duplicateInsideABatchFailsOnlyItsCaller() async throws {
        let database = try TestDatabase().open()
        let intake = SQLiteIntake(database: database)
        let store = SQLiteStatusStore(database: database)
        let before = database.writeStatistics
        let racing = [submission("orders"), submission("orders")]
        let other = submission("payments")

        database.committer.pause()
        async let results = withTaskGroup(of: (String, Result<RequestRecord, any Error>).self) { group in
            for sub in racing + [other] {
                group.addTask {
                    do { return (sub.requestId, .success(try await intake.submit(sub))) } catch { return (sub.requestId, .failure(error)) }
                }
            }
            return await group.reduce(into: [String: Result<RequestRecord, any Error>]()) { $0[$1.0] = $1.1 }
        }
        await database.committer.waitUntilPending(3)
        database.committer.resume()
        let outcome = await results

        #expect(database.writeStatistics.transactions - before.transactions == 1)
        #expect((try? outcome[other.requestId]?.get())?.status == .queued)
        let winners = racing.filter { (try? outcome[$0.requestId]?.get()) != nil }
        let losers = racing.filter { (try? outcome[$0.requestId]?.get()) == nil }
        #expect(winners.count == 1 && losers.count == 1)
        let winner = try #require(winners.first), loser = try #require(losers.first)
        #expect(throws: IntakeError.duplicate(existingRequestId: winner.requestId, stackPath: "stacks/dev/orders")) {
            try outcome[loser.requestId]?.get()
        }
        #expect(try await store.get(loser.requestId) == nil)
        #expect(try await SQLiteQueue(database: database).depth().visible == 2)
    }

    @Test func manyConcurrentSubmitsAreAllDurable() async throws {
        let test = try TestDatabase()
        let database = try test.open()
        let intake = SQLiteIntake(database: database)
        let before = database.writeStatistics
        let count = 500
        let submissions = (0..<count).map { submission("db\($0)", environment: $0 % 2 == 0 ? "Dev" : "Prod") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sub in submissions { group.addTask { _ = try await intake.submit(sub) } }
            try await group.waitForAll()
        }
        let after = database.writeStatistics
        #expect(after.operations - before.operations == count)
        #expect(after.transactions - before.transactions <= count)
        #expect(after.failedTransactions == 0)

        // Every acknowledged submission is in the files as they are now, without a clean close.
        let recovered = try crashCopy(of: test).open()
        #expect(try await SQLiteQueue(database: recovered).depth().visible == count)
        let store = SQLiteStatusStore(database: recovered)
        #expect(try await store.list(RequestFilter(environment: "Prod"), limit: 1000, cursor: nil).records.count == count / 2)
        for sub in submissions.prefix(20) {
            #expect(try await store.get(sub.requestId)?.status == .queued)
        }
    }

    @Test func commitsAreDurableWhenTheyReturn() async throws {
        let database = try TestDatabase().open()
        // FULL: every commit fsyncs the WAL (NORMAL would wait for the next checkpoint).
        let synchronous = try await database.pool.writeWithoutTransaction { db in
            try Int.fetchOne(db, sql: "PRAGMA synchronous")
        }
        let journalMode = try await database.pool.writeWithoutTransaction { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode")
        }
        #expect(synchronous == 2)
        #expect(journalMode == "wal")
    }

    @Test func submitAfterCloseIsRefused() async throws {
        let database = try TestDatabase().open()
        try await database.close()
        await #expect(throws: SQLiteStoreError.closed) { try await SQLiteIntake(database: database).submit(submission("orders")) }
    }
}
