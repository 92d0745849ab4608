import Synchronization

/// In-process wake-ups for long-polling receivers, one channel per queue name.
///
/// A receiver reads `generation(of:)` *before* looking for messages; if it finds none it calls
/// `wait(for:since:timeout:)`, which returns at once if a signal came in between (no lost
/// wake-ups), else on the next signal, the timeout or cancellation.
final class QueueSignals: Sendable {
    private struct Waiter {
        var queue: String
        var continuation: CheckedContinuation<Void, Never>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var generations: [String: UInt64] = [:]
        var waiters: [UInt64: Waiter] = [:]
        var nextId: UInt64 = 0
        /// Woken when `count` receivers wait on `queue` (tests).
        var waiterWatchers: [(queue: String, count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        func waiterCount(_ queue: String) -> Int { waiters.values.count { $0.queue == queue } }
    }

    private let state = Mutex(State())

    func generation(of queue: String) -> UInt64 {
        state.withLock { $0.generations[queue, default: 0] }
    }

    /// Wakes every receiver waiting on `queue`.
    func signal(_ queue: String) {
        let woken: [Waiter] = state.withLock { state in
            state.generations[queue, default: 0] &+= 1
            let ids = state.waiters.filter { $0.value.queue == queue }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0) }
        }
        for waiter in woken {
            waiter.timer?.cancel()
            waiter.continuation.resume()
        }
    }

    /// Returns when `queue` is signalled after `generation` was read, after `timeout`, or when
    /// the task is cancelled.
    func wait(for queue: String, since generation: UInt64, timeout: Duration) async {
        let id = state.withLock { state -> UInt64 in
            state.nextId &+= 1
            return state.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let registered = state.withLock { state -> Bool in
                    if state.generations[queue, default: 0] != generation || Task.isCancelled { return false }
                    state.waiters[id] = Waiter(queue: queue, continuation: continuation, timer: nil)
                    let count = state.waiterCount(queue)
                    state.waiterWatchers.removeAll { watcher in
                        guard watcher.queue == queue, count >= watcher.count else { return false }
                        watcher.continuation.resume()
                        return true
                    }
                    return true
                }
                guard registered else {
                    continuation.resume()
                    return
                }
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.wake(id)
                }
                let stillWaiting = state.withLock { state -> Bool in
                    guard state.waiters[id] != nil else { return false }
                    state.waiters[id]?.timer = timer
                    return true
                }
                if !stillWaiting { timer.cancel() }
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume()
    }

    /// Returns once at least `count` receivers wait on `queue` (tests).
    func waitUntilWaiting(_ queue: String, count: Int) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.waiterCount(queue) >= count { return true }
                state.waiterWatchers.append((queue, count, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}
