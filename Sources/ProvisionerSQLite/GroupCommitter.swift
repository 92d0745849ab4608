import GRDB
import Synchronization

/// The single writer of a database: gathers the write operations that arrive while the previous
/// transaction commits and commits them together (one transaction, one fsync), then answers each
/// caller. No caller is answered before the transaction holding its operation is durable.
///
/// Leader/follower batching: an idle writer commits the first operation at once (no added
/// latency); under load, batches grow by themselves to what arrives during one commit.
final class GroupCommitter: Sendable {
    private struct State {
        var pending: [any PendingWrite] = []
        var draining = false
        var paused = false
        var closed = false
        var statistics = WriteStatistics()
        /// Woken when `pending.count` reaches the number (tests).
        var pendingWatchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        /// Woken when the writer goes idle (close).
        var idleWatchers: [CheckedContinuation<Void, Never>] = []
    }

    private let pool: DatabasePool
    private let maxBatchSize: Int
    private let state = Mutex(State())

    init(pool: DatabasePool, maxBatchSize: Int) {
        self.pool = pool
        self.maxBatchSize = max(1, maxBatchSize)
    }

    var statistics: WriteStatistics { state.withLock { $0.statistics } }

    func perform<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let write = Write(operation: operation, continuation: continuation)
            let outcome: (start: Bool, refused: Bool) = state.withLock { state in
                if state.closed { return (false, true) }
                state.pending.append(write)
                Self.wakePendingWatchers(&state)
                if state.draining || state.paused { return (false, false) }
                state.draining = true
                return (true, false)
            }
            if outcome.refused {
                continuation.resume(throwing: SQLiteStoreError.closed)
            } else if outcome.start {
                startDraining()
            }
        }
    }

    private func startDraining() {
        Task { await self.drain() }
    }

    private func drain() async {
        while let batch = nextBatch() {
            do {
                let (operationTime, commitTime) = try await pool.writeWithoutTransaction { db in
                    let clock = ContinuousClock()
                    let start = clock.now
                    var operationsDone = start
                    try db.inTransaction(.immediate) {
                        for write in batch {
                            write.run(db)
                            // An error such as SQLITE_FULL rolls back the whole transaction.
                            guard db.isInsideTransaction else { throw SQLiteStoreError.transactionAborted }
                        }
                        operationsDone = clock.now
                        return .commit
                    }
                    return (operationsDone - start, clock.now - operationsDone)
                }
                state.withLock {
                    $0.statistics.transactions += 1
                    $0.statistics.operations += batch.count
                    $0.statistics.largestBatch = max($0.statistics.largestBatch, batch.count)
                    $0.statistics.operationTime += operationTime
                    $0.statistics.commitTime += commitTime
                }
                for write in batch { write.finish(committed: nil) }
            } catch {
                state.withLock { $0.statistics.failedTransactions += 1 }
                for write in batch { write.finish(committed: error) }
            }
        }
    }

    /// Takes the next batch, or marks the writer idle and returns nil.
    private func nextBatch() -> [any PendingWrite]? {
        let (batch, idle): ([any PendingWrite]?, [CheckedContinuation<Void, Never>]) = state.withLock { state in
            if state.pending.isEmpty || state.paused {
                state.draining = false
                let idle = state.idleWatchers
                state.idleWatchers = []
                return (nil, idle)
            }
            let count = min(state.pending.count, maxBatchSize)
            let batch = Array(state.pending.prefix(count))
            state.pending.removeFirst(count)
            return (batch, [])
        }
        for watcher in idle { watcher.resume() }
        return batch
    }

    /// Refuses new writes and waits until the pending ones are committed.
    func close() async {
        enum Action { case done, wait, start }
        await withCheckedContinuation { continuation in
            let action = state.withLock { state -> Action in
                state.closed = true
                state.paused = false
                if state.draining {
                    state.idleWatchers.append(continuation)
                    return .wait
                }
                if state.pending.isEmpty { return .done }
                state.draining = true
                state.idleWatchers.append(continuation)
                return .start
            }
            switch action {
            case .done: continuation.resume()
            case .wait: break
            case .start: startDraining()
            }
        }
    }

    // MARK: Test hooks

    /// Holds writes in the queue instead of committing them (tests prove batching with it).
    func pause() {
        state.withLock { $0.paused = true }
    }

    /// Commits what was held by `pause()` and continues normally.
    func resume() {
        let start = state.withLock { state -> Bool in
            state.paused = false
            if state.draining || state.pending.isEmpty { return false }
            state.draining = true
            return true
        }
        if start { startDraining() }
    }

    /// Returns once at least `count` writes wait for the writer.
    func waitUntilPending(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.pending.count >= count { return true }
                state.pendingWatchers.append((count, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }

    private static func wakePendingWatchers(_ state: inout State) {
        let count = state.pending.count
        state.pendingWatchers.removeAll { watcher in
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
