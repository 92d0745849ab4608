import Foundation
import GRDB
import ProvisionerCore
import ProvisionerService

/// A queue with SQS semantics in a `SQLiteDatabase` (several queues may share one file, told
/// apart by name):
///
/// - A received message is invisible for the visibility timeout; if it is not deleted by then it
///   is delivered again, with a higher receive count and a new receipt.
/// - Only the latest receipt deletes a message or changes its visibility: a consumer whose
///   delivery expired cannot delete the newer delivery.
/// - A message about to be received more than `maxReceives` times is moved to the dead-letter
///   queue instead (`deadLetters`, `redrive`).
/// - `receive` long-polls: messages sent in this process wake waiting receivers at once, as do
///   delays and visibility timeouts ending; writes of other processes are found by polling
///   every `SQLiteDatabase.Options.crossProcessPollInterval`.
///
/// Everything is in the file: a restarted process finds unacknowledged messages again once their
/// visibility timeout ends.
public struct SQLiteQueue: MessageQueue {
    /// The queue the intake writes and the worker reads.
    public static let defaultName = "requests"
    /// SQS's usual redrive policy value for this service: five tries, then the dead-letter queue.
    public static let defaultMaxReceives = 5

    public let database: SQLiteDatabase
    public let name: String
    /// Receives allowed per message before it moves to the dead-letter queue; nil: never.
    public let maxReceives: Int?

    public init(database: SQLiteDatabase, name: String = SQLiteQueue.defaultName, maxReceives: Int? = SQLiteQueue.defaultMaxReceives) {
        precondition(maxReceives.map { $0 >= 1 } ?? true, "maxReceives must be at least 1")
        self.database = database
        self.name = name
        self.maxReceives = maxReceives
    }

    // MARK: Sending

    /// Sends a message; it can be received after `delay`. Returns its message id once durable.
    @discardableResult
    public func send(_ body: String, delay: Duration = .zero) async throws -> String {
        let messageId = TimeOrderedID.make(at: database.options.now())
        let now = database.nowMillis
        let visibleAt = now + delay.milliseconds
        let queue = name
        try await database.write { db in
            try Self.insert(db, queue: queue, messageId: messageId, body: body, sentAt: now, visibleAt: visibleAt)
        }
        database.signals.signal(name)
        return messageId
    }

    /// Inserts a message inside a write (the intake uses it in its own transaction).
    static func insert(_ db: Database, queue: String, messageId: String, body: String, sentAt: Int64, visibleAt: Int64) throws {
        try db.cachedStatement(
            sql: "INSERT INTO queue_message (queue, message_id, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [queue, messageId, body, sentAt, visibleAt])
    }

    // MARK: Receiving

    /// Waits up to `wait` for at least one message and returns at most `maxMessages`, each hidden
    /// for `visibilityTimeout`. Returns an empty array when the wait ends without a message.
    /// Throws `CancellationError` if the task is cancelled while waiting.
    public func receive(maxMessages: Int, visibilityTimeout: Duration, wait: Duration) async throws -> [QueueMessage] {
        let maxMessages = max(1, maxMessages)
        let deadline = ContinuousClock.now + max(.zero, wait)
        while true {
            let generation = database.signals.generation(of: name)
            let (messages, nextVisibleAt) = try await receiveNow(maxMessages: maxMessages, visibilityTimeout: visibilityTimeout)
            if !messages.isEmpty { return messages }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return [] }
            var timeout = min(remaining, database.options.crossProcessPollInterval)
            if let nextVisibleAt {
                let untilVisible = Duration.milliseconds(max(1, nextVisibleAt - database.nowMillis))
                timeout = min(timeout, untilVisible)
            }
            await database.signals.wait(for: name, since: generation, timeout: timeout)
            try Task.checkCancellation()
        }
    }

    /// One look: delivers what is visible now; otherwise says when the next message will be.
    private func receiveNow(maxMessages: Int, visibilityTimeout: Duration) async throws -> ([QueueMessage], Int64?) {
        let queue = name
        let now = database.nowMillis
        // Read first (concurrent, no write lock): an empty queue costs no transaction.
        let (hasVisible, nextVisibleAt) = try await database.pool.read { db -> (Bool, Int64?) in
            let visible = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM queue_message WHERE queue = ? AND visible_at <= ?)",
                arguments: [queue, now]) ?? false
            if visible { return (true, nil) }
            let next = try Int64.fetchOne(
                db, sql: "SELECT MIN(visible_at) FROM queue_message WHERE queue = ? AND visible_at > ?", arguments: [queue, now])
            return (false, next)
        }
        guard hasVisible else { return ([], nextVisibleAt) }
        let maxReceives = maxReceives
        let timeout = visibilityTimeout.milliseconds
        let clock = database.options.now
        let messages = try await database.write { db in
            try Self.deliver(db, queue: queue, now: clock().millisecondsSince1970, maxMessages: maxMessages,
                             visibilityTimeout: timeout, maxReceives: maxReceives)
        }
        return (messages, nil)
    }

    private static func deliver(
        _ db: Database, queue: String, now: Int64, maxMessages: Int, visibilityTimeout: Int64, maxReceives: Int?
    ) throws -> [QueueMessage] {
        var delivered: [QueueMessage] = []
        var deliveredSeqs: [Int64] = []
        while delivered.count < maxMessages {
            let exclusion = deliveredSeqs.isEmpty ? "" : "AND seq NOT IN (\(deliveredSeqs.map(String.init).joined(separator: ",")))"
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, message_id, body, receive_count FROM queue_message
                    WHERE queue = ? AND visible_at <= ? \(exclusion)
                    ORDER BY visible_at, seq LIMIT ?
                    """,
                arguments: [queue, now, maxMessages - delivered.count])
            if rows.isEmpty { break }
            var movedToDeadLetters = false
            for row in rows {
                let seq: Int64 = row["seq"]
                let messageId: String = row["message_id"]
                let receiveCount: Int = row["receive_count"]
                if let maxReceives, receiveCount >= maxReceives {
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO dead_letter (queue, message_id, body, sent_at, receive_count, dead_at)
                            SELECT queue, message_id, body, sent_at, receive_count, ? FROM queue_message WHERE seq = ?
                            """
                    ).execute(arguments: [now, seq])
                    try db.cachedStatement(sql: "DELETE FROM queue_message WHERE seq = ?").execute(arguments: [seq])
                    movedToDeadLetters = true
                    continue
                }
                let receipt = Receipt.make(sequence: seq, receiveCount: receiveCount + 1)
                try db.cachedStatement(
                    sql: "UPDATE queue_message SET receive_count = receive_count + 1, receipt = ?, visible_at = ? WHERE seq = ?"
                ).execute(arguments: [receipt, now + visibilityTimeout, seq])
                delivered.append(QueueMessage(messageId: messageId, receipt: receipt, body: row["body"], receiveCount: receiveCount + 1))
                deliveredSeqs.append(seq)
            }
            // Only a message moved to the dead-letter queue leaves room to look further.
            if !movedToDeadLetters { break }
        }
        return delivered
    }

    // MARK: Acknowledging

    /// Deletes the message if `message.receipt` is its latest receipt. A stale receipt (the
    /// message was delivered again since) deletes nothing and does not throw, as in SQS.
    public func delete(_ message: QueueMessage) async throws {
        _ = try await delete(messageId: message.messageId, receipt: message.receipt)
    }

    /// Deletes the message if `receipt` is its latest receipt; returns whether it did.
    @discardableResult
    public func delete(messageId: String, receipt: String) async throws -> Bool {
        guard let sequence = Receipt.sequence(of: receipt) else { return false }
        let queue = name
        return try await database.write { db in
            try db.cachedStatement(sql: "DELETE FROM queue_message WHERE seq = ? AND queue = ? AND message_id = ? AND receipt = ?")
                .execute(arguments: [sequence, queue, messageId, receipt])
            return db.changesCount > 0
        }
    }

    /// Hides the message for `timeout` from now (zero: visible at once). Throws
    /// `SQLiteStoreError.receiptNotCurrent` if the receipt is stale or the message was deleted.
    public func changeVisibility(_ message: QueueMessage, timeout: Duration) async throws {
        guard let sequence = Receipt.sequence(of: message.receipt) else {
            throw SQLiteStoreError.receiptNotCurrent(messageId: message.messageId)
        }
        let queue = name
        let visibleAt = database.nowMillis + timeout.milliseconds
        try await database.write { db in
            try db.cachedStatement(
                sql: "UPDATE queue_message SET visible_at = ? WHERE seq = ? AND queue = ? AND message_id = ? AND receipt = ?"
            ).execute(arguments: [visibleAt, sequence, queue, message.messageId, message.receipt])
            if db.changesCount == 0 { throw SQLiteStoreError.receiptNotCurrent(messageId: message.messageId) }
        }
        database.signals.signal(name)
    }

    // MARK: Depth and dead letters

    /// How many messages the queue holds, by state (SQS's Approximate* attributes).
    public func depth() async throws -> QueueDepth {
        let queue = name
        let now = database.nowMillis
        return try await database.pool.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT
                        COALESCE(SUM(visible_at <= :now), 0) AS visible,
                        COALESCE(SUM(visible_at > :now AND receipt IS NOT NULL), 0) AS in_flight,
                        COALESCE(SUM(visible_at > :now AND receipt IS NULL), 0) AS delayed,
                        MIN(CASE WHEN visible_at <= :now THEN sent_at END) AS oldest
                    FROM queue_message WHERE queue = :queue
                    """,
                arguments: ["now": now, "queue": queue])!
            let dead = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letter WHERE queue = ?", arguments: [queue]) ?? 0
            let oldest: Int64? = row["oldest"]
            return QueueDepth(
                visible: row["visible"], inFlight: row["in_flight"], delayed: row["delayed"], dead: dead,
                oldestVisibleSentAt: oldest.map(Date.init(millisecondsSince1970:)))
        }
    }

    /// Messages in the dead-letter queue, oldest first, `limit` at a time after `afterSequence`
    /// (pass the last `DeadLetter.sequence` seen to page).
    public func deadLetters(limit: Int = 100, afterSequence: Int64? = nil) async throws -> [DeadLetter] {
        let queue = name
        return try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, message_id, body, sent_at, receive_count, dead_at FROM dead_letter
                    WHERE queue = ? AND seq > ? ORDER BY seq LIMIT ?
                    """,
                arguments: [queue, afterSequence ?? 0, max(1, limit)]
            ).map { row in
                DeadLetter(
                    sequence: row["seq"], messageId: row["message_id"], body: row["body"],
                    receiveCount: row["receive_count"], sentAt: Date(millisecondsSince1970: row["sent_at"]),
                    deadAt: Date(millisecondsSince1970: row["dead_at"]))
            }
        }
    }

    /// How many messages the dead-letter queue holds.
    public func deadLetterCount() async throws -> Int {
        let queue = name
        return try await database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letter WHERE queue = ?", arguments: [queue]) ?? 0
        }
    }

    /// Moves dead letters back into the queue, visible at once with a receive count of zero
    /// (SQS's redrive): those with the given message ids, or all of them. Returns how many moved.
    @discardableResult
    public func redrive(messageIds: [String]? = nil) async throws -> Int {
        let queue = name
        let now = database.nowMillis
        let moved = try await database.write { db -> Int in
            var filter = ""
            var selection: StatementArguments = [queue]
            if let messageIds {
                if messageIds.isEmpty { return 0 }
                filter = "AND message_id IN (\(databaseQuestionMarks(count: messageIds.count)))"
                selection += StatementArguments(messageIds)
            }
            try db.execute(
                sql: """
                    INSERT INTO queue_message (queue, message_id, body, sent_at, visible_at)
                    SELECT queue, message_id, body, sent_at, ? FROM dead_letter WHERE queue = ? \(filter) ORDER BY seq
                    """,
                arguments: [now] + selection)
            let moved = db.changesCount
            try db.execute(sql: "DELETE FROM dead_letter WHERE queue = ? \(filter)", arguments: selection)
            return moved
        }
        if moved > 0 { database.signals.signal(name) }
        return moved
    }

    // MARK: Test hooks

    /// Returns once `count` receivers of this queue wait (long-poll tests).
    func waitUntilReceiversWait(_ count: Int) async {
        await database.signals.waitUntilWaiting(name, count: count)
    }
}

/// Receipt handles: `<seq>.<receive count>.<random>`. The row's sequence finds the message
/// without an index; the random part makes every delivery's receipt different.
enum Receipt {
    static func make(sequence: Int64, receiveCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        return "\(sequence).\(receiveCount).\(String(random.0, radix: 36))\(String(random.1, radix: 36))"
    }

    static func sequence(of receipt: String) -> Int64? {
        receipt.split(separator: ".", maxSplits: 1).first.flatMap { Int64($0) }
    }
}

/// How many messages a queue holds, by state.
public struct QueueDepth: Sendable, Hashable {
    /// Can be received now (SQS ApproximateNumberOfMessages).
    public var visible: Int
    /// Received and not yet deleted, still hidden (ApproximateNumberOfMessagesNotVisible).
    public var inFlight: Int
    /// Sent with a delay not yet over (ApproximateNumberOfMessagesDelayed).
    public var delayed: Int
    /// In the dead-letter queue.
    public var dead: Int
    /// When the oldest receivable message was sent (ApproximateAgeOfOldestMessage).
    public var oldestVisibleSentAt: Date?

    public init(visible: Int, inFlight: Int, delayed: Int, dead: Int, oldestVisibleSentAt: Date? = nil) {
        self.visible = visible
        self.inFlight = inFlight
        self.delayed = delayed
        self.dead = dead
        self.oldestVisibleSentAt = oldestVisibleSentAt
    }
}

/// A message that was received too many times and moved out of its queue.
public struct DeadLetter: Sendable, Hashable {
    /// Position in the dead-letter queue (for paging).
    public var sequence: Int64
    public var messageId: String
    public var body: String
    /// How many times it had been received.
    public var receiveCount: Int
    public var sentAt: Date
    public var deadAt: Date
}
