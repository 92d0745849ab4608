import Foundation
import GRDB
import ProvisionerCore

/// The state of a local pull request.
public enum PullRequestState: String, Sendable, Hashable, Codable, CaseIterable {
    case open
    case merged
    case closed
}

/// A pull request of the local infrastructure repository: what GitHub would keep, kept in an
/// SQLite file beside the repository.
public struct LocalPullRequest: Sendable, Hashable, Codable {
    /// Sequential from 1, without gaps, in the order pull requests were opened.
    public var number: Int
    public var title: String
    public var body: String
    public var branch: String
    /// Always `main`.
    public var base: String
    /// The commit of `main` the branch was made from.
    public var baseCommit: String
    /// The branch's commit (the one commit holding the stack).
    public var headCommit: String
    public var stackPath: String
    public var state: PullRequestState
    public var labels: [String]
    /// The request that opened it; nil when the branch was not made by this service.
    public var requestId: String?
    /// `file://<repository>#pull/<number>`.
    public var url: String
    public var createdAt: Date
    public var mergedAt: Date?
    public var closedAt: Date?
    /// The commit of `main` that merged it (the head commit itself for a fast-forward).
    public var mergeCommit: String?

    /// The reference the status store keeps.
    public var ref: PullRequestRef {
        PullRequestRef(number: number, url: url, branch: branch, requestId: requestId)
    }
}

/// The pull-request records, in SQLite (GRDB). Numbers are given inside a write transaction
/// (`max + 1`), which SQLite serialises across connections and processes, and a partial unique
/// index allows one open pull request per branch.
final class PullRequestStore: Sendable {
    private let database: DatabasePool
    private let repositoryURL: String

    init(path: String, repositoryURL: String) throws(LocalGitError) {
        self.repositoryURL = repositoryURL
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw Self.failure(error)
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "pullRequest") { t in
                t.primaryKey("number", .integer)
                t.column("title", .text).notNull()
                t.column("body", .text).notNull()
                t.column("branch", .text).notNull()
                t.column("base", .text).notNull()
                t.column("baseCommit", .text).notNull()
                t.column("headCommit", .text).notNull()
                t.column("stackPath", .text).notNull()
                t.column("state", .text).notNull().check { ["open", "merged", "closed"].contains($0) }
                t.column("labels", .text).notNull()
                t.column("requestId", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("mergedAt", .datetime)
                t.column("closedAt", .datetime)
                t.column("mergeCommit", .text)
            }
            try db.execute(sql: "CREATE UNIQUE INDEX pullRequest_openBranch ON pullRequest(branch) WHERE state = 'open'")
            try db.create(index: "pullRequest_state", on: "pullRequest", columns: ["state", "number"])
        }
        return migrator
    }

    /// The fields of a pull request to open.
    struct NewPullRequest: Sendable {
        var title: String
        var body: String
        var branch: String
        var baseCommit: String
        var headCommit: String
        var stackPath: String
        var labels: [String]
        var requestId: String?
        var createdAt: Date
    }

    func openPullRequest(branch: String) async throws(LocalGitError) -> LocalPullRequest? {
        try await read { db in
            try PullRequestRow.filter(Column("branch") == branch && Column("state") == PullRequestState.open.rawValue).fetchOne(db)
        }
    }

    /// Records an open pull request for the branch, unless one is open already: then returns
    /// that one (whoever opened it).
    func open(_ new: NewPullRequest) async throws(LocalGitError) -> LocalPullRequest {
        try await write { db in
            if let existing = try PullRequestRow.filter(Column("branch") == new.branch && Column("state") == PullRequestState.open.rawValue)
                .fetchOne(db)
            {
                return existing
            }
            let number = (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM pullRequest") ?? 0) + 1
            let row = PullRequestRow(
                number: number, title: new.title, body: new.body, branch: new.branch, base: "main",
                baseCommit: new.baseCommit, headCommit: new.headCommit, stackPath: new.stackPath, state: .open,
                labels: try PullRequestRow.encode(new.labels), requestId: new.requestId, createdAt: new.createdAt, mergedAt: nil,
                closedAt: nil, mergeCommit: nil)
            try row.insert(db)
            return row
        }
    }

    func pullRequest(_ number: Int) async throws(LocalGitError) -> LocalPullRequest? {
        try await read { db in try PullRequestRow.fetchOne(db, key: number) }
    }

    func list(state: PullRequestState?) async throws(LocalGitError) -> [LocalPullRequest] {
        let rows: [PullRequestRow] = try await database(read: { db in
            var request = PullRequestRow.order(Column("number"))
            if let state { request = request.filter(Column("state") == state.rawValue) }
            return try request.fetchAll(db)
        })
        return try rows.map { row throws(LocalGitError) in try pullRequest(from: row) }
    }

    /// Marks an open pull request merged or closed. Throws if it is not open any more.
    func finish(
        _ number: Int, as state: PullRequestState, at date: Date, headCommit: String, mergeCommit: String? = nil
    ) async throws(LocalGitError) -> LocalPullRequest {
        enum Outcome: Sendable {
            case finished(PullRequestRow)
            case notOpen(PullRequestState)
            case notFound
        }
        let outcome: Outcome = try await database(write: { db in
            guard var row = try PullRequestRow.fetchOne(db, key: number) else { return .notFound }
            guard row.state == .open else { return .notOpen(row.state) }
            row.state = state
            row.headCommit = headCommit
            if state == .merged {
                row.mergedAt = date
                row.mergeCommit = mergeCommit
            } else {
                row.closedAt = date
            }
            try row.update(db)
            return .finished(row)
        })
        switch outcome {
        case .finished(let row): return try pullRequest(from: row)
        case .notOpen(let current): throw .pullRequestNotOpen(number: number, state: current)
        case .notFound: throw .pullRequestNotFound(number: number)
        }
    }

    // MARK: - Rows

    fileprivate struct PullRequestRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "pullRequest"
        var number: Int
        var title: String
        var body: String
        var branch: String
        var base: String
        var baseCommit: String
        var headCommit: String
        var stackPath: String
        var state: PullRequestState
        /// A JSON array.
        var labels: String
        var requestId: String?
        var createdAt: Date
        var mergedAt: Date?
        var closedAt: Date?
        var mergeCommit: String?

        static func encode(_ labels: [String]) throws -> String {
            String(decoding: try JSONEncoder().encode(labels), as: UTF8.self)
        }
    }

    private func pullRequest(from row: PullRequestRow) throws(LocalGitError) -> LocalPullRequest {
        guard let labels = try? JSONDecoder().decode([String].self, from: Data(row.labels.utf8)) else {
            throw .database("pull request #\(row.number) has malformed labels", transient: false)
        }
        return LocalPullRequest(
            number: row.number, title: row.title, body: row.body, branch: row.branch, base: row.base,
            baseCommit: row.baseCommit, headCommit: row.headCommit, stackPath: row.stackPath, state: row.state,
            labels: labels, requestId: row.requestId, url: "\(repositoryURL)#pull/\(row.number)", createdAt: row.createdAt,
            mergedAt: row.mergedAt, closedAt: row.closedAt, mergeCommit: row.mergeCommit)
    }

    private func read(_ body: @escaping @Sendable (Database) throws -> PullRequestRow?) async throws(LocalGitError) -> LocalPullRequest? {
        guard let row = try await database(read: body) else { return nil }
        return try pullRequest(from: row)
    }

    private func write(_ body: @escaping @Sendable (Database) throws -> PullRequestRow) async throws(LocalGitError) -> LocalPullRequest {
        try pullRequest(from: try await database(write: body))
    }

    private func database<T: Sendable>(read body: @escaping @Sendable (Database) throws -> T) async throws(LocalGitError) -> T {
        do { return try await database.read(body) } catch { throw Self.failure(error) }
    }

    private func database<T: Sendable>(write body: @escaping @Sendable (Database) throws -> T) async throws(LocalGitError) -> T {
        do { return try await database.write(body) } catch { throw Self.failure(error) }
    }

    private static func failure(_ error: any Error) -> LocalGitError {
        if let error = error as? LocalGitError { return error }
        if let error = error as? DatabaseError {
            let transientCodes: [ResultCode] = [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_FULL]
            return .database(
                error.message ?? "\(error.resultCode)", transient: transientCodes.contains(error.resultCode.primaryResultCode))
        }
        return .database("\(error)", transient: false)
    }
}
