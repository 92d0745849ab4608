import Foundation
import GRDB
import Synchronization

/// The single writer of a database: gathers the write operations that arrive while the previous
/// transaction commits and commits them together (one transaction, one fsync), then answers each
/// caller. No caller is answered before the transaction holding its operation is durable.
///
/// Leader/follower batching: an idle writer commits the first operation at once (no added
/// latency); under load, batches grow by themselves to what arrives during one commit.
///
/// The writer runs on a thread of its own, not on Swift's cooperative pool: under load the pool
/// is busy with the callers (HTTP, JSON), and the writer must not wait for a turn there between
/// two commits. The thread starts with the first write and ends after a short idle spell.
final class GroupCommitter: @unchecked Sendable {
    // Everything below `condition` is guarded by it.
    private let condition = NSCondition()
    private var pending: [any PendingWrite] = []
    /// A writer thread exists (running a batch, or lingering for more work).
    private var running = false
    /// The writer thread waits on `condition` for work.
    private var lingering = false
    private var paused = false
    private var closed = false
    private var stats = WriteStatistics()
    /// Woken when `pending.count` reaches the number (tests).
    private var pendingWatchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    /// Woken when the writer thread ends (close).
    private var idleWatchers: [CheckedContinuation<Void, Never>] = []

    private let pool: DatabasePool
    private let maxBatchSize: Int
    /// How long an idle writer thread waits for more work before it ends.
    private static let linger: TimeInterval = 0.5

    init(pool: DatabasePool, maxBatchSize: Int) {
        self.pool = pool
        self.maxBatchSize = max(1, maxBatchSize)
    }

    var statistics: WriteStatistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    func perform<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let write = Write(operation: operation, continuation: continuation)
            condition.lock()
            if closed {
                condition.unlock()
                continuation.resume(throwing: SQLiteStoreError.closed)
                return
            }
            pending.append(write)
            wakePendingWatchers()
            let start = startWriterIfNeeded()
            condition.unlock()
            if start { startWriterThread() }
        }
    }

    /// With the lock held: wakes the lingering writer, or says a writer thread must start.
    private func startWriterIfNeeded() -> Bool {
        if paused || pending.isEmpty { return false }
        if running {
            if lingering { condition.signal() }
            return false
        }
        running = true
        return true
    }

    private func startWriterThread() {
        let thread = Thread { [self] in
            while let batch = nextBatch() { commit(batch) }
        }
        thread.name = "provisioner.sqlite writer"
        thread.start()
    }

    /// Takes the next batch, waiting a little for one; nil when the thread should end.
    private func nextBatch() -> [any PendingWrite]? {
        condition.lock()
        let deadline = Date(timeIntervalSinceNow: Self.linger)
        while pending.isEmpty || paused {
            if closed && (pending.isEmpty || paused) { break }
            lingering = true
            let woken = condition.wait(until: deadline)
            lingering = false
            if !woken && (pending.isEmpty || paused) { break }
        }
        guard !pending.isEmpty, !paused else {
            running = false
            let watchers = idleWatchers
            idleWatchers = []
            condition.unlock()
            for watcher in watchers { watcher.resume() }
            return nil
        }
        let count = min(pending.count, maxBatchSize)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        condition.unlock()
        return batch
    }

    private func commit(_ batch: [any PendingWrite]) {
        do {
            let clock = ContinuousClock()
            let start = clock.now
            var operationsDone = start
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for write in batch {
                        write.run(db)
                        // An error such as SQLITE_FULL rolls back the whole transaction.
                        guard db.isInsideTransaction else { throw SQLiteStoreError.transactionAborted }
                    }
                    operationsDone = clock.now
                    return .commit
                }
            }
            let committed = clock.now
            condition.lock()
            stats.transactions += 1
            stats.operations += batch.count
            stats.largestBatch = max(stats.largestBatch, batch.count)
            stats.operationTime += operationsDone - start
            stats.commitTime += committed - operationsDone
            condition.unlock()
            for write in batch { write.finish(committed: nil) }
        } catch {
            condition.lock()
            stats.failedTransactions += 1
            condition.unlock()
            for write in batch { write.finish(committed: error) }
        }
    }

    /// Refuses new writes and waits until the pending ones are committed.
    func close() async {
        await withCheckedContinuation { continuation in
            condition.lock()
            closed = true
            paused = false
            let start = startWriterIfNeeded()
            if running {
                idleWatchers.append(continuation)
                if lingering { condition.signal() }
                condition.unlock()
                if start { startWriterThread() }
            } else {
                condition.unlock()
                continuation.resume()
            }
        }
    }

    // MARK: Test hooks

    /// Holds writes in the queue instead of committing them (tests prove batching with it).
    func pause() {
        condition.lock()
        paused = true
        condition.unlock()
    }

    /// Commits what was held by `pause()` and continues normally.
    func resume() {
        condition.lock()
        paused = false
        let start = startWriterIfNeeded()
        condition.unlock()
        if start { startWriterThread() }
    }

    /// Returns once at least `count` writes wait for the writer.
    func waitUntilPending(_ count: Int) async {
        await withCheckedContinuation { continuation in
            condition.lock()
            if pending.count >= count {
                condition.unlock()
                continuation.resume()
            } else {
                pendingWatchers.append((count, continuation))
                condition.unlock()
            }
        }
    }

    /// With the lock held.
    private func wakePendingWatchers() {
        let count = pending.count
        pendingWatchers.removeAll { watcher in
            guard count >= watcher.count else { return false }
            watcher.continuation.resume()
            return true
        }
    }
}

/// One write waiting for the writer.
private protocol PendingWrite: Sendable {
    /// Runs the operation in its own savepoint inside the batch transaction; keeps its outcome.
    func run(_ db: Database)
    /// Answers the caller: with the operation's outcome if the batch committed (`committed` is
    /// nil), with the batch's error otherwise.
    func finish(committed error: (any Error)?)
}

private final class Write<T: Sendable>: PendingWrite {
    private let operation: @Sendable (Database) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private let outcome = Mutex<Result<T, any Error>?>(nil)

    init(operation: @escaping @Sendable (Database) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.operation = operation
        self.continuation = continuation
    }

    func run(_ db: Database) {
        let result: Result<T, any Error>
        do {
            var value: T?
            try db.inSavepoint {
                value = try operation(db)
                return .commit
            }
            result = .success(value!)
        } catch {
            result = .failure(error)
        }
        outcome.withLock { $0 = result }
    }

    func finish(committed error: (any Error)?) {
        if let error {
            continuation.resume(throwing: error)
            return
        }
        let result = outcome.withLock { $0 } ?? .failure(SQLiteStoreError.transactionAborted)
        continuation.resume(with: result)
    }
}
