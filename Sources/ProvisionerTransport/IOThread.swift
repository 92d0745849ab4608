import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One thread that runs whatever is handed to it, in order: the `SocketHTTPTransport`'s
/// exchanges (NIO's `EmbeddedChannel` must stay on the thread that made it), and, as a
/// `TaskExecutor`, the tasks that prefer it. A task running here that calls the transport
/// sends and waits on this very thread: no hop at all. The thread starts on first use and ends
/// with `stop()`.
final class IOThread: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case block(() -> Void)
        case stop
    }

    // Allocated, not stored properties: a pthread mutex must not move, and `&property` on a
    // class property does not promise a stable address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var queue: [Work] = []
    private var started = false
    private let threadId = Atomic<UInt>(0)

    init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Whether the caller is running on this thread.
    var isCurrent: Bool {
        let id = threadId.load(ordering: .acquiring)
        return id != 0 && pthread_equal(pthread_t(id), pthread_self()) != 0
    }

    func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Runs `block` on the thread, after what is queued already.
    func execute(_ block: @escaping () -> Void) {
        submit(.block(block))
    }

    /// Ends the thread once the queue before it has run.
    func stop() {
        submit(.stop)
    }

    private func submit(_ work: Work) {
        pthread_mutex_lock(mutex)
        queue.append(work)
        let start = !started
        started = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        if start { startThread() }
    }

    private func startThread() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            let io = Unmanaged<IOThread>.fromOpaque(context!).takeRetainedValue()
            io.threadId.store(UInt(pthread_self()), ordering: .releasing)
            io.loop()
            return nil
        }, context)
        precondition(created == 0, "cannot start the HTTP transport's thread: \(created)")
        pthread_detach(thread)
    }

    private func loop() {
        var batch: [Work] = []
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty { pthread_cond_wait(condition, mutex) }
            swap(&batch, &queue)
            pthread_mutex_unlock(mutex)
            for work in batch {
                switch work {
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                case .block(let block): block()
                case .stop: return
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
