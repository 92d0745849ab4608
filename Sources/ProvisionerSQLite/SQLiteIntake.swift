import Foundation
import GRDB
import ProvisionerCore
import ProvisionerService

/// The embedded intake: in one transaction, claims the request's stack, records the request as
/// `queued` and enqueues its message. All three happen or none does.
///
/// Concurrent submissions share transactions (group commit, see `SQLiteDatabase`): each is
/// answered only once the transaction holding it is on disk. A duplicate fails alone, even
/// against another submission for the same stack in the same transaction.
public struct SQLiteIntake: RequestIntake {
    public let database: SQLiteDatabase
    /// The queue the messages go to (what the worker's `SQLiteQueue` reads).
    public let queueName: String

    public init(database: SQLiteDatabase, queueName: String = SQLiteQueue.defaultName) {
        self.database = database
        self.queueName = queueName
    }

    /// Stores the request durably. Throws `IntakeError.duplicate` if another request holds the
    /// stack (nothing is then recorded or enqueued), `SQLiteStoreError.requestAlreadyExists` if
    /// the request id is taken.
    @discardableResult
    public func submit(_ submission: Submission) async throws -> RequestRecord {
        // Encode outside the writer, so that the writer only runs SQL.
        let record = RequestRecord.queued(submission.requestId, submission.validated, at: submission.receivedAt)
        let encoded = try RecordCoding.encode(record)
        let messageId = TimeOrderedID.make(at: database.options.now())
        let now = database.nowMillis
        let queue = queueName
        try await database.write { db in
            let requestId = submission.requestId
            if try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM request WHERE request_id = ?)"), arguments: [requestId]) == true
            {
                throw SQLiteStoreError.requestAlreadyExists(requestId: requestId)
            }
            let stackKey = submission.validated.stackKey
            if case .heldBy(let holder) = try SQLiteStatusStore.claim(db, stackKey: stackKey, requestId: requestId, at: now) {
                throw IntakeError.duplicate(existingRequestId: holder, stackPath: submission.validated.stackPath)
            }
            try SQLiteStatusStore.insert(db, record, encoded: encoded)
            try SQLiteQueue.insert(db, queue: queue, messageId: messageId, body: submission.message, sentAt: now, visibleAt: now)
        }
        database.signals.signal(queueName)
        return record
    }
}
