import Logging
import ServiceLifecycle
import Synchronization

/// Consumes a `MessageQueue` with bounded concurrency and hands each message to the
/// `RequestProcessor`. While a message is being handled its visibility is extended, so a slow
/// publisher does not cause a second delivery; a message is deleted only after its outcome is
/// recorded. On graceful shutdown (SIGTERM/SIGINT through swift-service-lifecycle) it stops
/// receiving and lets the messages in flight finish.
public struct QueueWorker: Service {
    public struct Configuration: Sendable {
        /// Messages handled at once.
        public var concurrency: Int
        /// How long a received message stays invisible; extended every half of it while in flight.
        public var visibilityTimeout: Duration
        /// Long-poll wait of one receive call.
        public var receiveWait: Duration

        public init(concurrency: Int = 4, visibilityTimeout: Duration = .seconds(60), receiveWait: Duration = .seconds(20)) {
            precondition(concurrency >= 1, "concurrency must be at least 1")
            self.concurrency = concurrency
            self.visibilityTimeout = visibilityTimeout
            self.receiveWait = receiveWait
        }
    }

    public var queue: any MessageQueue
    public var processor: RequestProcessor
    public var configuration: Configuration
    public var logger: Logger

    public init(queue: any MessageQueue, processor: RequestProcessor, configuration: Configuration = Configuration(), logger: Logger) {
        self.queue = queue
        self.processor = processor
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let inFlight = InFlightCounter()
        let (finished, finishedContinuation) = AsyncStream<Void>.makeStream()
        let (incoming, incomingContinuation) = AsyncStream<QueueMessage>.makeStream()
        logger.info("worker started", metadata: ["concurrency": "\(configuration.concurrency)"])
        await withDiscardingTaskGroup { processing in
            // The receiving loop is the only task cancelled on graceful shutdown: messages
            // already received finish, and are deleted or released as usual.
            processing.addTask {
                try? await cancelWhenGracefulShutdown {
                    try await receiveLoop(inFlight: inFlight, slotFreed: finished, into: incomingContinuation)
                }
                incomingContinuation.finish()
            }
            for await message in incoming {
                processing.addTask {
                    await handle(message)
                    inFlight.decrement()
                    finishedContinuation.yield()
                }
            }
            logger.info("worker stopping: finishing messages in flight", metadata: ["inFlight": "\(inFlight.value)"])
        }
        finishedContinuation.finish()
        logger.info("worker stopped")
    }

    private func receiveLoop(
        inFlight: InFlightCounter, slotFreed: AsyncStream<Void>, into incoming: AsyncStream<QueueMessage>.Continuation
    ) async throws {
        var slotFreed = slotFreed.makeAsyncIterator()
        while !Task.isCancelled {
            while inFlight.value >= configuration.concurrency {
                guard await slotFreed.next() != nil else { return }
                try Task.checkCancellation()
            }
            let messages: [QueueMessage]
            do {
                messages = try await queue.receive(
                    maxMessages: configuration.concurrency - inFlight.value,
                    visibilityTimeout: configuration.visibilityTimeout, wait: configuration.receiveWait)
            } catch {
                try Task.checkCancellation()
                logger.error("receive failed", metadata: ["error": "\(error)"])
                try await Task.sleep(for: processor.backoff.delay(afterAttempt: 1))
                continue
            }
            for message in messages {
                inFlight.increment()
                incoming.yield(message)
            }
        }
    }

    /// Handles one message: processes it while keeping it invisible, then deletes it or lets it
    /// come back after the processor's delay.
    func handle(_ message: QueueMessage) async {
        let disposition = await withTaskGroup(of: MessageDisposition?.self) { group in
            group.addTask { await processor.process(message) }
            group.addTask { await keepInvisible(message); return nil }
            let result = await group.next()!!
            group.cancelAll()
            return result
        }
        do {
            switch disposition {
            case .delete:
                try await queue.delete(message)
            case .retry(let delay):
                try await queue.changeVisibility(message, timeout: delay)
            }
        } catch {
            // The message comes back after its visibility timeout; handling it again is safe.
            logger.warning("could not settle message", metadata: ["messageId": "\(message.messageId)", "error": "\(error)"])
        }
    }

    /// Extends the message's visibility every half timeout until cancelled.
    private func keepInvisible(_ message: QueueMessage) async {
        let interval = configuration.visibilityTimeout / 2
        while true {
            do {
                try await Task.sleep(for: interval)
                try await queue.changeVisibility(message, timeout: configuration.visibilityTimeout)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not extend visibility", metadata: ["messageId": "\(message.messageId)", "error": "\(error)"])
            }
        }
    }
}

/// Messages received and not yet settled.
final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    func increment() { count.add(1, ordering: .acquiringAndReleasing) }
    func decrement() { count.subtract(1, ordering: .acquiringAndReleasing) }
}
