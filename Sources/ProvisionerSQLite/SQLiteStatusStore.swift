import Foundation
import GRDB
import ProvisionerCore
import ProvisionerService

/// Request status in a `SQLiteDatabase`: the embedded stand-in for the DynamoDB status table.
///
/// Each request is one row holding the whole `RequestRecord` (JSON, with its status history)
/// plus the columns that filtering and paging need. Statuses only move forward
/// (`RequestStatus.canMove(to:)`); a backward update changes nothing and returns the current
/// record. `apply` creates the record if it does not exist (the worker may write first).
///
/// Stack claims (one active request per stack) are rows keyed by the stack: the primary key
/// makes two concurrent claimers unable to both win, in this process or another.
public struct SQLiteStatusStore: StatusStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func get(_ requestId: String) async throws -> RequestRecord? {
        try await database.pool.read { db in
            try Self.fetch(db, requestId)
        }
    }

    @discardableResult
    public func apply(_ update: StatusUpdate) async throws -> RequestRecord {
        try await database.write { db in
            guard var record = try Self.fetch(db, update.requestId) else {
                let record = Self.newRecord(update)
                try Self.insert(db, record, encoded: try RecordCoding.encode(record))
                return record
            }
            guard record.status.canMove(to: update.status) else { return record }
            record.status = update.status
            if let reason = update.reason { record.reason = reason }
            if let request = update.validated?.request ?? update.request { record.request = request }
            if let validated = update.validated {
                record.clusterIdentifier = validated.clusterIdentifier
                record.stackPath = validated.stackPath
                record.branch = validated.branch
            }
            if let pullRequest = update.pullRequest { record.pullRequest = pullRequest }
            record.history.append(StatusChange(status: update.status, at: update.at, reason: update.reason))
            record.updatedAt = max(record.updatedAt, update.at)
            try db.cachedStatement(sql: "UPDATE request SET status = ?, environment_key = ?, record = ? WHERE request_id = ?")
                .execute(arguments: [
                    record.status.rawValue, Self.environmentKey(record), try RecordCoding.encode(record), record.requestId,
                ])
            return record
        }
    }

    /// Records newest first (in the order they were created), filtered by status and
    /// environment (case-insensitive). Pages are stable: records created after the first page
    /// never shift later ones. The cursor is opaque; an unknown one throws
    /// `InvalidCursorError` (the API answers 400 `invalid_cursor`).
    public func list(_ filter: RequestFilter, limit: Int, cursor: String?) async throws -> RequestPage {
        let limit = max(1, limit)
        let position = try cursor.map(PageCursor.init(encoded:))
        return try await database.pool.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let status = filter.status {
                conditions.append("status = ?")
                arguments += [status.rawValue]
            }
            if let environment = filter.environment {
                conditions.append("environment_key = ?")
                arguments += [environment.lowercased()]
            }
            if let position {
                conditions.append("seq < ?")
                arguments += [position.sequence]
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [limit + 1]
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT seq, request_id, record FROM request \(whereClause) ORDER BY seq DESC LIMIT ?",
                arguments: arguments)
            let page = rows.prefix(limit)
            let records = try page.map { row in try RecordCoding.decode(row["record"], requestId: row["request_id"]) }
            let next: String? =
                rows.count > limit ? page.last.map { PageCursor(sequence: $0["seq"]).encoded } : nil
            return RequestPage(records: records, nextCursor: next)
        }
    }

    public func claim(stackKey: String, for requestId: String) async throws -> StackClaim {
        let now = database.nowMillis
        return try await database.write { db in
            try Self.claim(db, stackKey: stackKey, requestId: requestId, at: now)
        }
    }

    public func release(stackKey: String, for requestId: String) async throws {
        try await database.write { db in
            try db.cachedStatement(sql: "DELETE FROM stack_claim WHERE stack_key = ? AND request_id = ?")
                .execute(arguments: [stackKey, requestId])
        }
    }

    /// The request holding `stackKey`, if any.
    public func claimHolder(stackKey: String) async throws -> String? {
        try await database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT request_id FROM stack_claim WHERE stack_key = ?", arguments: [stackKey])
        }
    }

    // MARK: Shared with the intake

    static func claim(_ db: Database, stackKey: String, requestId: String, at now: Int64) throws -> StackClaim {
        try db.cachedStatement(
            sql: "INSERT INTO stack_claim (stack_key, request_id, claimed_at) VALUES (?, ?, ?) ON CONFLICT (stack_key) DO NOTHING"
        ).execute(arguments: [stackKey, requestId, now])
        if db.changesCount > 0 { return .claimed }
        let holder = try String.fetchOne(
            db.cachedStatement(sql: "SELECT request_id FROM stack_claim WHERE stack_key = ?"), arguments: [stackKey])
        guard let holder, holder != requestId else { return .claimed }
        return .heldBy(requestId: holder)
    }

    static func fetch(_ db: Database, _ requestId: String) throws -> RequestRecord? {
        guard let json = try String.fetchOne(
            db.cachedStatement(sql: "SELECT record FROM request WHERE request_id = ?"), arguments: [requestId])
        else { return nil }
        return try RecordCoding.decode(json, requestId: requestId)
    }

    static func insert(_ db: Database, _ record: RequestRecord, encoded: String) throws {
        try db.cachedStatement(
            sql: "INSERT INTO request (request_id, status, environment_key, record) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [record.requestId, record.status.rawValue, environmentKey(record), encoded])
    }

    private static func newRecord(_ update: StatusUpdate) -> RequestRecord {
        RequestRecord(
            requestId: update.requestId, status: update.status, request: update.validated?.request ?? update.request,
            clusterIdentifier: update.validated?.clusterIdentifier, stackPath: update.validated?.stackPath,
            branch: update.validated?.branch, pullRequest: update.pullRequest, reason: update.reason,
            history: [StatusChange(status: update.status, at: update.at, reason: update.reason)],
            createdAt: update.at, updatedAt: update.at)
    }

    private static func environmentKey(_ record: RequestRecord) -> String? {
        record.request?.environment.lowercased()
    }
}

/// How records are stored: JSON with sorted keys; dates in Foundation's own encoding, which
/// round-trips exactly (what `apply` returns equals what `get` reads back).
enum RecordCoding {
    static func encode(_ record: RequestRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    static func decode(_ json: String, requestId: String) throws -> RequestRecord {
        do {
            return try JSONDecoder().decode(RequestRecord.self, from: Data(json.utf8))
        } catch {
            throw SQLiteStoreError.corruptRecord(requestId: requestId, underlying: String(describing: error))
        }
    }
}

/// The position after the last record of a page: its row sequence.
struct PageCursor: Hashable {
    var sequence: Int64

    init(sequence: Int64) {
        self.sequence = sequence
    }

    /// `base64url("v1:<sequence>")`
    var encoded: String {
        Data("v1:\(sequence)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init(encoded: String) throws {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("v1:"), let sequence = Int64(text.dropFirst(3)), sequence > 0
        else {
            throw InvalidCursorError(cursor: encoded)
        }
        self.init(sequence: sequence)
    }
}
