import Foundation
import GRDB
import Synchronization

/// The one SQLite file of the embedded mode (`<data-dir>/provisioner.sqlite`): it stands in for
/// SNS + SQS (`SQLiteQueue`, `SQLiteIntake`) and for the DynamoDB status table
/// (`SQLiteStatusStore`).
///
/// - WAL journal, `synchronous=FULL`: a committed transaction is on disk (the WAL is fsynced)
///   before any caller hears about it, and survives SIGKILL or power loss.
/// - Every write goes through one in-process writer that commits concurrent operations together
///   (group commit): many callers share one transaction and one fsync, each answered only
///   after that commit. Reads run concurrently on the pool's readers.
/// - Several processes (`serve` and `worker`) may share the file: SQLite's locks serialise their
///   writers, and the busy timeout makes them wait instead of failing.
///
/// Open one `SQLiteDatabase` per file and process, and share it between the queue, the status
/// store and the intake (they share its writer and its in-process wake-ups).
public final class SQLiteDatabase: Sendable {
    public struct Options: Sendable {
        /// How long a writer waits for another process's lock before failing with `SQLITE_BUSY`.
        public var busyTimeout: Duration = .seconds(10)
        /// How often a long-polling receiver looks for messages written by *other processes*
        /// (messages sent in this process wake receivers at once).
        public var crossProcessPollInterval: Duration = .milliseconds(200)
        /// The most operations committed together in one transaction.
        public var maxBatchSize: Int = 512
        /// The clock for queue visibility, delays and claim times. Tests inject a manual one.
        public var now: @Sendable () -> Date = { Date() }

        public init() {}
    }

    /// The GRDB pool (WAL). Exposed for diagnostics and tests; write through the types of this
    /// module, never directly, or the group-commit statistics and in-process wake-ups are bypassed.
    public let pool: DatabasePool
    /// The file's path.
    public let path: String
    let options: Options
    let committer: GroupCommitter
    let signals = QueueSignals()

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public convenience init(path: String) throws {
        try self.init(path: path, options: Options())
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String, options: Options) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout.seconds)
        configuration.label = "provisioner.sqlite"
        configuration.prepareDatabase { db in
            // Keep the WAL from staying large after a burst.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Every commit fsyncs the WAL, so a transaction is on disk when the commit returns.
            // (DatabasePool sets NORMAL on its writer after `prepareDatabase`, which would make
            // commits durable only at the next checkpoint: set it here, on the writer.)
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        } catch {
            throw SQLiteStoreError.cannotOpen(path: path, underlying: String(describing: error))
        }
        do {
            try Schema.migrate(pool)
        } catch {
            throw SQLiteStoreError.migrationFailed(path: path, underlying: String(describing: error))
        }
        self.pool = pool
        self.path = path
        self.options = options
        self.committer = GroupCommitter(pool: pool, maxBatchSize: options.maxBatchSize)
    }

    /// Counters of the writer: how many transactions (each one fsync) carried how many operations.
    public var writeStatistics: WriteStatistics { committer.statistics }

    /// Waits for pending writes, refuses new ones, and closes the file. Using the database
    /// afterwards throws `SQLiteStoreError.closed`.
    public func close() async throws {
        await committer.close()
        try pool.close()
    }

    /// Runs `operation` inside the next group-commit transaction, in its own savepoint, and
    /// returns its result once that transaction is durable. If `operation` throws, only its own
    /// changes are rolled back and its error is rethrown; the rest of the batch commits.
    func write<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await committer.perform(operation)
    }

    /// The current time in milliseconds since 1970, from the injected clock.
    var nowMillis: Int64 { options.now().millisecondsSince1970 }
}

/// What the writer has done since the database was opened (for benchmarks and metrics).
public struct WriteStatistics: Sendable, Hashable {
    /// Committed transactions; each is one fsync of the WAL.
    public var transactions: Int = 0
    /// Operations (submissions, status updates, queue operations) in committed transactions,
    /// including those whose own savepoint was rolled back (a duplicate submission, say).
    public var operations: Int = 0
    /// Transactions that failed as a whole (every caller in them got the error).
    public var failedTransactions: Int = 0
    /// The most operations one transaction carried.
    public var largestBatch: Int = 0
    /// Time the writer spent running operations (SQL inside the transactions).
    public var operationTime: Duration = .zero
    /// Time the writer spent committing: writing the WAL, fsync, and any automatic checkpoint.
    public var commitTime: Duration = .zero

    public init() {}

    /// Average operations per committed transaction.
    public var averageBatch: Double { transactions == 0 ? 0 : Double(operations) / Double(transactions) }
}

/// Errors of the SQLite adapter, each with a sentence that says what happened.
public enum SQLiteStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case cannotOpen(path: String, underlying: String)
    case migrationFailed(path: String, underlying: String)
    /// The database was closed.
    case closed
    /// A submission reused the id of an existing request.
    case requestAlreadyExists(requestId: String)
    /// `changeVisibility` with a receipt that is no longer current: the message was deleted or
    /// received again since (SQS: `ReceiptHandleIsInvalid` / `MessageNotInflight`).
    case receiptNotCurrent(messageId: String)
    /// A stored record could not be decoded.
    case corruptRecord(requestId: String, underlying: String)
    /// SQLite rolled back the whole transaction (disk full, I/O error); nothing in it was kept.
    case transactionAborted

    public var description: String {
        switch self {
        case .cannotOpen(let path, let underlying):
            "cannot open the SQLite database at \(path): \(underlying)"
        case .migrationFailed(let path, let underlying):
            "cannot bring the schema of \(path) up to date: \(underlying)"
        case .closed:
            "the SQLite database is closed"
        case .requestAlreadyExists(let requestId):
            "a request with id \(requestId) already exists"
        case .receiptNotCurrent(let messageId):
            "message \(messageId) is not in flight under this receipt (deleted, or received again since)"
        case .corruptRecord(let requestId, let underlying):
            "the stored record of request \(requestId) cannot be decoded: \(underlying)"
        case .transactionAborted:
            "SQLite aborted the transaction (disk full or I/O error); nothing in it was stored"
        }
    }
}

extension Date {
    /// Rounded to the nearest millisecond, so that `Date(millisecondsSince1970:)` round-trips.
    var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(millisecondsSince1970 ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a positive duration is never zero; 0 if negative.
    var milliseconds: Int64 {
        guard self > .zero else { return 0 }
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }

    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
