import Foundation
import ProvisionerCore
import ProvisionerService

/// An intake that keeps submissions in memory and behaves like the real one: one active request
/// per stack (a second submission for the same stack is a duplicate), and it can be told to fail
/// like a full disk. Accepted requests are also recorded in `store`, as the SQLite intake does.
actor RecordingIntake: RequestIntake {
    private(set) var submissions: [Submission] = []
    /// When set, every submission fails with this error (nothing is stored).
    var failure: (any Error)?
    let store: PagingStatusStore?

    init(store: PagingStatusStore? = nil, failure: (any Error)? = nil) {
        self.store = store
        self.failure = failure
    }

    func submit(_ submission: Submission) async throws -> RequestRecord {
        if let failure { throw failure }
        if let active = submissions.first(where: { $0.validated.stackKey == submission.validated.stackKey }) {
            throw IntakeError.duplicate(existingRequestId: active.requestId, stackPath: active.validated.stackPath)
        }
        submissions.append(submission)
        let record = RequestRecord.queued(submission.requestId, submission.validated, at: submission.receivedAt)
        await store?.put(record)
        return record
    }
}

/// What a failing disk says; its text must never reach a response.
struct DiskFullError: Error, CustomStringConvertible {
    var description: String { "disk I/O error: database or disk is full at /var/secret/queue.sqlite" }
}

/// A status store with real paging: newest first, cursors are opaque `page:<offset>` tokens,
/// and any other cursor is refused with `InvalidCursorError`. Can be told to fail.
actor PagingStatusStore: StatusStore {
    private(set) var records: [String: RequestRecord] = [:]
    var failing = false

    init(_ records: [RequestRecord] = []) {
        for record in records { self.records[record.requestId] = record }
    }

    func put(_ record: RequestRecord) { records[record.requestId] = record }

    func setFailing(_ failing: Bool) { self.failing = failing }

    func get(_ requestId: String) async throws -> RequestRecord? {
        if failing { throw DiskFullError() }
        return records[requestId]
    }

    func apply(_ update: StatusUpdate) async throws -> RequestRecord {
        guard var record = records[update.requestId] else {
            let record = RequestRecord(
                requestId: update.requestId, status: update.status, request: update.request, reason: update.reason,
                history: [StatusChange(status: update.status, at: update.at, reason: update.reason)],
                createdAt: update.at, updatedAt: update.at)
            records[update.requestId] = record
            return record
        }
        guard record.status.canMove(to: update.status) else { return record }
        record.status = update.status
        record.history.append(StatusChange(status: update.status, at: update.at, reason: update.reason))
        record.updatedAt = update.at
        records[update.requestId] = record
        return record
    }

    func list(_ filter: RequestFilter, limit: Int, cursor: String?) async throws -> RequestPage {
        if failing { throw DiskFullError() }
        var offset = 0
        if let cursor {
            guard cursor.hasPrefix("page:"), let parsed = Int(cursor.dropFirst(5)), parsed >= 0 else {
                throw InvalidCursorError(cursor: cursor)
            }
            offset = parsed
        }
        let matching = records.values
            .filter { filter.status == nil || $0.status == filter.status }
            .filter { filter.environment == nil || $0.request?.environment == filter.environment }
            .sorted { ($0.createdAt, $0.requestId) > ($1.createdAt, $1.requestId) }
        let page = Array(matching.dropFirst(offset).prefix(limit))
        let next = offset + page.count < matching.count ? "page:\(offset + page.count)" : nil
        return RequestPage(records: page, nextCursor: next)
    }

    func claim(stackKey: String, for requestId: String) async throws -> StackClaim { .claimed }
    func release(stackKey: String, for requestId: String) async throws {}
}
