import Foundation
import Logging
import ProvisionerAWS
import ProvisionerCore
import ProvisionerService
import Testing
import TestSupport

/// A `MessageQueue` that lets the test wait for a number of deletions (the worker's outcome
/// is recorded before it deletes).
actor DeletionWatch {
    private(set) var deleted = 0
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

    func record() {
        deleted += 1
        let ready = waiters.filter { $0.0 <= deleted }
        waiters.removeAll { $0.0 <= deleted }
        for (_, continuation) in ready { continuation.resume() }
    }

    func wait(for count: Int) async {
        if deleted >= count { return }
        await withCheckedContinuation { waiters.append((count, $0)) }
    }
}

struct WatchedQueue: MessageQueue {
    let base: SQSQueue
    let watch: DeletionWatch

    func receive(maxMessages: Int, visibilityTimeout: Duration, wait: Duration) async throws -> [QueueMessage] {
        try await base.receive(maxMessages: maxMessages, visibilityTimeout: visibilityTimeout, wait: wait)
    }
    func delete(_ message: QueueMessage) async throws {
        try await base.delete(message)
        await watch.record()
    }
    func changeVisibility(_ message: QueueMessage, timeout: Duration) async throws {
        try await base.changeVisibility(message, timeout: timeout)
    }
}

/// The service's worker end to end on SQS and DynamoDB (moto), with a recording publisher.
struct MotoWorkerTests {
    @Test func theWorkerHandlesRequestsDuplicatesAndPoisonOnSQSAndDynamoDB() async throws {
        let moto = try await MotoFixture.make()
        let name = uniqueName("worker")
        let (queue, deadLetter) = try await moto.createQueueWithDeadLetterQueue(name)
        let topic = try await moto.createTopic(name)
        try await moto.subscribe(topicARN: topic, queueARN: queue.arn, rawDelivery: false)
        let store = try await moto.createStatusTable(name)
        let intake = SNSIntake(client: moto.sns, topicARN: topic)

        // Two requests through SNS, one duplicate delivery of the first, one poison message.
        let orders = try await intake.submit(MotoFixture.submission())
        let billingBody = #"{"databaseName": "billing", "databaseEngine": "MySQL", "environment": "Prod"}"#
        let billing = try await intake.submit(MotoFixture.submission(body: billingBody))
        let duplicate = SNSEnvelope(messageId: orders.requestId, topicArn: topic, message: MotoFixture.seedBody, timestamp: Date())
        try await moto.sqs.sendMessage(queueURL: queue.url, body: duplicate.encoded())
        let poisonId = try await moto.sqs.sendMessage(queueURL: queue.url, body: "not json")

        let publisher = RecordingPublisher()
        let processor = RequestProcessor(
            validator: RequestValidator(profiles: .builtIn), renderer: StubRenderer(), publisher: publisher,
            statusStore: store, maxReceives: 3, backoff: Backoff(base: .seconds(1), cap: .seconds(2), jitter: 0))
        let watch = DeletionWatch()
        var logger = Logger(label: "worker-test")
        logger.logLevel = .warning
        let worker = QueueWorker(
            queue: WatchedQueue(base: SQSQueue(client: moto.sqs, queueURL: queue.url), watch: watch), processor: processor,
            configuration: .init(concurrency: 2, visibilityTimeout: .seconds(30), receiveWait: .seconds(1)), logger: logger)
        let running = Task { try await worker.run() }
        let allSettled = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await watch.wait(for: 4); return true }
            group.addTask { try await Task.sleep(for: .seconds(60)); return false }  // a bound, not synchronisation
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        running.cancel()
        _ = await running.result
        let settled = await watch.deleted
        try #require(allSettled, "the worker settled \(settled) of 4 messages within 60 s")

        let ordersRecord = try #require(try await store.get(orders.requestId))
        #expect(ordersRecord.status == .prOpened, "\(ordersRecord)")
        #expect(ordersRecord.history.filter { $0.status == .prOpened }.count == 1)
        let billingRecord = try #require(try await store.get(billing.requestId))
        #expect(billingRecord.status == .prOpened, "\(billingRecord)")
        #expect(billingRecord.stackPath == "stacks/prod/billing")
        // The duplicate delivery opened nothing new.
        let published = await publisher.published
        #expect(published.map(\.branch).sorted() == ["rds/dev/orders", "rds/prod/billing"])

        let poison = try #require(try await store.get(poisonId))
        #expect(poison.status == .rejected)
        #expect(poison.reason?.code == "invalid_json")

        // Everything settled: nothing left on the queue or dead-lettered.
        #expect(try await moto.sqs.receiveMessage(queueURL: queue.url, maxNumberOfMessages: 10, waitTimeSeconds: 0, visibilityTimeout: 0).isEmpty)
        #expect(try await moto.sqs.receiveMessage(queueURL: deadLetter.url, maxNumberOfMessages: 10, waitTimeSeconds: 0).isEmpty)
    }
}
