import Foundation
import ProvisionerCore
import ProvisionerService
import Testing

@testable import ProvisionerSQLite

@Suite("SQLiteQueue: SQS semantics")
struct SQLiteQueueTests {
    @Test func sendReceiveDelete() async throws {
        let test = try TestDatabase(clock: ManualClock())
        let queue = SQLiteQueue(database: try test.open())
        let id = try await queue.send("hello")

        let received = try await queue.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .zero)
        #expect(received.map(\.messageId) == [id])
        #expect(received.first?.body == "hello")
        #expect(received.first?.receiveCount == 1)
        #expect(try await queue.depth() == QueueDepth(visible: 0, inFlight: 1, delayed: 0, dead: 0))

        try await queue.delete(received[0])
        #expect(try await queue.depth() == QueueDepth(visible: 0, inFlight: 0, delayed: 0, dead: 0))
        #expect(try await queue.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .zero).isEmpty)
    }

    @Test func receiveReturnsAtMostMaxMessagesInSendOrder() async throws {
        let test = try TestDatabase(clock: ManualClock())
        let queue = SQLiteQueue(database: try test.open())
        var ids: [String] = []
        for index in 0..<5 { ids.append(try await queue.send("m\(index)")) }

        let first = try await queue.receive(maxMessages: 3, visibilityTimeout: .seconds(30), wait: .zero)
        let second = try await queue.receive(maxMessages: 3, visibilityTimeout: .seconds(30), wait: .zero)
        #expect(first.map(\.messageId) == Array(ids[0..<3]))
        #expect(second.map(\.messageId) == Array(ids[3..<5]))
    }

    @Test func unacknowledgedMessageComesBackAfterVisibilityTimeout() async throws {
        let clock = ManualClock()
        let test = try TestDatabase(clock: clock)
        let queue = SQLiteQueue(database: try test.open())
        try await queue.send("job")

        let first = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).first)
        clock.advance(.seconds(29))
        #expect(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).isEmpty)
        clock.advance(.seconds(2))
        let second = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).first)

        #expect(second.messageId == first.messageId)
        #expect(second.body == "job")
        #expect(second.receiveCount == 2)
        #expect(second.receipt != first.receipt)
    }

    @Test func staleReceiptDeletesNothing() async throws {
        let clock = ManualClock()
        let test = try TestDatabase(clock: clock)
        let queue = SQLiteQueue(database: try test.open())
        try await queue.send("job")
        let first = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(10), wait: .zero).first)
        clock.advance(.seconds(11))
        let second = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(10), wait: .zero).first)

        // The first consumer finishes late: its delete must not remove the newer delivery.
        try await queue.delete(first)
        #expect(try await queue.delete(messageId: first.messageId, receipt: first.receipt) == false)
        #expect(try await queue.depth().inFlight == 1)
        // Nor may it change the newer delivery's visibility.
        await #expect(throws: SQLiteStoreError.receiptNotCurrent(messageId: first.messageId)) {
            try await queue.changeVisibility(first, timeout: .zero)
        }

        #expect(try await queue.delete(messageId: second.messageId, receipt: second.receipt) == true)
        #expect(try await queue.depth() == QueueDepth(visible: 0, inFlight: 0, delayed: 0, dead: 0))
    }

    @Test func changeVisibilityExtendsOrReleases() async throws {
        let clock = ManualClock()
        let test = try TestDatabase(clock: clock)
        let queue = SQLiteQueue(database: try test.open())
        try await queue.send("job")
        let first = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).first)

        // Extend: still hidden after the original 30 s.
        try await queue.changeVisibility(first, timeout: .seconds(120))
        clock.advance(.seconds(60))
        #expect(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).isEmpty)

        // Release: visible at once.
        try await queue.changeVisibility(first, timeout: .zero)
        let second = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).first)
        #expect(second.messageId == first.messageId)
        #expect(second.receiveCount == 2)

        try await queue.delete(second)
        await #expect(throws: SQLiteStoreError.receiptNotCurrent(messageId: second.messageId)) {
            try await queue.changeVisibility(second, timeout: .seconds(5))
        }
    }

    @Test func delayedMessageIsHiddenUntilItsDelayEnds() async throws {
        let clock = ManualClock()
        let test = try TestDatabase(clock: clock)
        let queue = SQLiteQueue(database: try test.open())
        try await queue.send("later", delay: .seconds(10))

        #expect(try await queue.depth() == QueueDepth(visible: 0, inFlight: 0, delayed: 1, dead: 0))
        #expect(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).isEmpty)
        clock.advance(.seconds(10))
        let depth = try await queue.depth()
        #expect(depth.visible == 1)
        #expect(depth.oldestVisibleSentAt == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).map(\.body) == ["later"])
    }

    @Test func messageReceivedTooOftenMovesToDeadLetterQueueAndRedrives() async throws {
        let clock = ManualClock()
        let test = try TestDatabase(clock: clock)
        let queue = SQLiteQueue(database: try test.open(), maxReceives: 2)
        let poison = try await queue.send("poison")

        for expectedCount in 1...2 {
            let message = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(5), wait: .zero).first)
            #expect(message.receiveCount == expectedCount)
            clock.advance(.seconds(6))
        }
        // A third receive would exceed maxReceives: the message moves instead of being delivered.
        let healthy = try await queue.send("healthy")
        let received = try await queue.receive(maxMessages: 10, visibilityTimeout: .seconds(5), wait: .zero)
        #expect(received.map(\.messageId) == [healthy])

        #expect(try await queue.deadLetterCount() == 1)
        let dead = try await queue.deadLetters()
        #expect(dead.map(\.messageId) == [poison])
        #expect(dead.first?.body == "poison")
        #expect(dead.first?.receiveCount == 2)
        #expect(try await queue.depth() == QueueDepth(visible: 0, inFlight: 1, delayed: 0, dead: 1))

        #expect(try await queue.redrive() == 1)
        #expect(try await queue.deadLetterCount() == 0)
        let redriven = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(5), wait: .zero).first)
        #expect(redriven.messageId == poison)
        #expect(redriven.receiveCount == 1)
    }

    @Test func redriveSelectedMessagesAndPageDeadLetters() async throws {
        let clock = ManualClock()
        let test = try TestDatabase(clock: clock)
        let queue = SQLiteQueue(database: try test.open(), maxReceives: 1)
        var ids: [String] = []
        for index in 0..<5 { ids.append(try await queue.send("m\(index)")) }
        _ = try await queue.receive(maxMessages: 10, visibilityTimeout: .seconds(1), wait: .zero)
        clock.advance(.seconds(2))
        #expect(try await queue.receive(maxMessages: 10, visibilityTimeout: .seconds(1), wait: .zero).isEmpty)

        let firstPage = try await queue.deadLetters(limit: 3)
        let secondPage = try await queue.deadLetters(limit: 3, afterSequence: firstPage.last?.sequence)
        #expect((firstPage + secondPage).map(\.messageId) == ids)

        #expect(try await queue.redrive(messageIds: [ids[1], ids[3]]) == 2)
        #expect(try await queue.deadLetters().map(\.messageId) == [ids[0], ids[2], ids[4]])
        let back = try await queue.receive(maxMessages: 10, visibilityTimeout: .seconds(1), wait: .zero)
        #expect(Set(back.map(\.messageId)) == [ids[1], ids[3]])
    }

    @Test func queuesInOneFileAreSeparate() async throws {
        let test = try TestDatabase(clock: ManualClock())
        let database = try test.open()
        let requests = SQLiteQueue(database: database, name: "requests")
        let other = SQLiteQueue(database: database, name: "other")
        try await requests.send("for requests")

        #expect(try await other.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .zero).isEmpty)
        #expect(try await other.depth() == QueueDepth(visible: 0, inFlight: 0, delayed: 0, dead: 0))
        #expect(try await requests.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .zero).map(\.body) == ["for requests"])
    }

    // MARK: Long polling. Receivers wait up to an hour and other processes are polled hourly,
    // so only an in-process wake-up answers them; `value(of:within:)` fails the test otherwise.

    private static let hour = Duration.seconds(3600)

    private func receiveTask(_ queue: SQLiteQueue) -> Task<[QueueMessage], any Error> {
        Task { try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: Self.hour) }
    }

    @Test func longPollWakesOnSend() async throws {
        let test = try TestDatabase()
        let queue = SQLiteQueue(database: try test.open())
        let receiver = receiveTask(queue)
        await queue.waitUntilReceiversWait(1)
        let id = try await queue.send("wake up")
        #expect(try await value(of: receiver).map(\.messageId) == [id])
    }

    @Test func longPollWakesEveryWaiterOfTheQueueOnly() async throws {
        let test = try TestDatabase()
        let database = try test.open()
        let queue = SQLiteQueue(database: database)
        let other = SQLiteQueue(database: database, name: "other")
        let first = receiveTask(queue), second = receiveTask(queue)
        await queue.waitUntilReceiversWait(2)
        try await other.send("not for you")
        try await queue.send("a")
        try await queue.send("b")
        let bodies = try await value(of: first).map(\.body) + value(of: second).map(\.body)
        #expect(bodies.sorted() == ["a", "b"])
    }

    @Test func longPollWakesWhenDelayEnds() async throws {
        let test = try TestDatabase()
        let queue = SQLiteQueue(database: try test.open())
        try await queue.send("soon", delay: .milliseconds(200))
        #expect(try await value(of: receiveTask(queue)).map(\.body) == ["soon"])
    }

    @Test func longPollWakesWhenVisibilityIsReleased() async throws {
        let test = try TestDatabase()
        let queue = SQLiteQueue(database: try test.open())
        try await queue.send("retry me")
        let first = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: Self.hour, wait: .zero).first)
        let receiver = receiveTask(queue)
        await queue.waitUntilReceiversWait(1)
        try await queue.changeVisibility(first, timeout: .zero)
        #expect(try await value(of: receiver).map(\.receiveCount) == [2])
    }

    @Test func longPollWakesWhenVisibilityTimeoutEnds() async throws {
        let test = try TestDatabase()
        let queue = SQLiteQueue(database: try test.open())
        try await queue.send("abandoned")
        _ = try await queue.receive(maxMessages: 1, visibilityTimeout: .milliseconds(200), wait: .zero)
        #expect(try await value(of: receiveTask(queue)).map(\.receiveCount) == [2])
    }

    @Test func longPollEndsEmptyWhenWaitEnds() async throws {
        let test = try TestDatabase()
        let queue = SQLiteQueue(database: try test.open())
        let received = try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .milliseconds(50))
        #expect(received.isEmpty)
    }

    @Test func cancellingALongPollThrows() async throws {
        let test = try TestDatabase()
        let queue = SQLiteQueue(database: try test.open())
        let task = receiveTask(queue)
        await queue.waitUntilReceiversWait(1)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await value(of: task) }
    }

    @Test func longPollFindsMessagesOfAnotherProcessByPolling() async throws {
        let test = try TestDatabase(pollInterval: .milliseconds(20))
        // Two opens of the file do not share in-process wake-ups, like two processes.
        let consumer = SQLiteQueue(database: try test.open())
        let producer = SQLiteQueue(database: try test.open())
        let receiver = receiveTask(consumer)
        await consumer.waitUntilReceiversWait(1)
        let id = try await producer.send("from the API process")
        #expect(try await value(of: receiver).map(\.messageId) == [id])
    }

    @Test func concurrentConsumersNeverGetTheSameMessage() async throws {
        let test = try TestDatabase()
        let database = try test.open()
        let queue = SQLiteQueue(database: database)
        let count = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count { group.addTask { try await queue.send("m\(index)") } }
            try await group.waitForAll()
        }
        let received = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var ids: [String] = []
                    while true {
                        let batch = try await queue.receive(maxMessages: 7, visibilityTimeout: .seconds(3600), wait: .zero)
                        if batch.isEmpty { return ids }
                        ids += batch.map(\.messageId)
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(received.count == count)
        #expect(Set(received).count == count)
    }

    // MARK: Restarts

    @Test func inFlightMessagesSurviveRestartAndComeBackAfterTimeout() async throws {
        let clock = ManualClock()
        let test = try TestDatabase(clock: clock)
        let database = try test.open()
        let queue = SQLiteQueue(database: database)
        try await queue.send("survivor")
        let first = try #require(try await queue.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).first)
        try await database.close()

        let reopened = SQLiteQueue(database: try test.open())
        #expect(try await reopened.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).isEmpty)
        clock.advance(.seconds(31))
        let again = try #require(try await reopened.receive(maxMessages: 1, visibilityTimeout: .seconds(30), wait: .zero).first)
        #expect(again.messageId == first.messageId)
        #expect(again.receiveCount == 2)
    }

    @Test func messagesSurviveAnUncleanStop() async throws {
        let clock = ManualClock()
        let test = try TestDatabase(clock: clock)
        let queue = SQLiteQueue(database: try test.open())
        let sentAt = clock.now()
        for index in 0..<20 { try await queue.send("m\(index)") }
        _ = try await queue.receive(maxMessages: 5, visibilityTimeout: .seconds(30), wait: .zero)

        // The files as a SIGKILL would leave them, while the first database is still open.
        let copy = try crashCopy(of: test)
        let recovered = SQLiteQueue(database: try copy.open())
        #expect(try await recovered.depth() == QueueDepth(visible: 15, inFlight: 5, delayed: 0, dead: 0, oldestVisibleSentAt: sentAt))
        clock.advance(.seconds(31))
        let all = try await recovered.receive(maxMessages: 100, visibilityTimeout: .seconds(30), wait: .zero)
        #expect(all.count == 20)
        #expect(all.filter { $0.receiveCount == 2 }.count == 5)
    }

    @Test func writesAfterCloseThrow() async throws {
        let test = try TestDatabase()
        let database = try test.open()
        try await database.close()
        await #expect(throws: SQLiteStoreError.closed) { try await SQLiteQueue(database: database).send("late") }
    }
}

@Suite("TimeOrderedID")
struct TimeOrderedIDTests {
    @Test func idsAreVersion7UUIDsThatSortByTime() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = (0..<50).map { TimeOrderedID.make(at: start.addingTimeInterval(Double($0) / 1000)) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let uuid = try #require(UUID(uuidString: id))
            #expect(uuid.uuidString.lowercased() == id)
            #expect(Array(id)[14] == "7")  // version
            #expect("89ab".contains(Array(id)[19]))  // RFC 9562 variant
        }
    }
}
