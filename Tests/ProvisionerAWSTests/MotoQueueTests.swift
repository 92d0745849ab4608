import Foundation
import ProvisionerAWS
import ProvisionerCore
import ProvisionerService
import Testing
import TestSupport

/// SNS → SQS (with a dead-letter queue) through SNSIntake and SQSQueue, against moto_server.
struct MotoQueueTests {
    @Test func snsDeliveryWithRawDeliveryOffReachesTheWorkerAsAnEnvelope() async throws {
        let moto = try await MotoFixture.make()
        let name = uniqueName("requests")
        let (queue, _) = try await moto.createQueueWithDeadLetterQueue(name)
        let topic = try await moto.createTopic(name)
        try await moto.subscribe(topicARN: topic, queueARN: queue.arn, rawDelivery: false)

        let submission = MotoFixture.submission()
        let record = try await SNSIntake(client: moto.sns, topicARN: topic).submit(submission)
        #expect(record.status == .queued)
        #expect(record.requestId != submission.requestId)  // SNS's MessageId, the id the worker sees
        #expect(record.stackPath == "stacks/dev/orders")
        #expect(record.history.map(\.status) == [.queued])

        let sqsQueue = SQSQueue(client: moto.sqs, queueURL: queue.url)
        let received = try await sqsQueue.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .seconds(5))
        let message = try #require(received.first)
        #expect(received.count == 1)
        #expect(message.receiveCount == 1)
        #expect(!message.receipt.isEmpty)
        let unwrapped = SNSEnvelope.unwrap(message)
        #expect(unwrapped.requestId == record.requestId)
        #expect(unwrapped.body == MotoFixture.seedBody)

        // Hidden for its visibility timeout…
        #expect(try await sqsQueue.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .zero).isEmpty)
        // …back at once when the visibility is set to zero.
        try await sqsQueue.changeVisibility(message, timeout: .zero)
        let again = try await sqsQueue.receive(maxMessages: 10, visibilityTimeout: .zero, wait: .seconds(5))
        #expect(again.map(\.messageId) == [message.messageId])
        #expect(again.first?.receiveCount == 2)

        // Received with visibility zero, it would be visible again at once unless deleted.
        try await sqsQueue.delete(try #require(again.first))
        #expect(try await sqsQueue.receive(maxMessages: 10, visibilityTimeout: .zero, wait: .zero).isEmpty)
    }

    @Test func snsDeliveryWithRawDeliveryOnCarriesTheRequestItself() async throws {
        let moto = try await MotoFixture.make()
        let name = uniqueName("raw")
        let (queue, _) = try await moto.createQueueWithDeadLetterQueue(name)
        let topic = try await moto.createTopic(name)
        try await moto.subscribe(topicARN: topic, queueARN: queue.arn, rawDelivery: true)

        let record = try await SNSIntake(client: moto.sns, topicARN: topic).submit(MotoFixture.submission())
        let sqsQueue = SQSQueue(client: moto.sqs, queueURL: queue.url)
        let message = try #require(
            try await sqsQueue.receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .seconds(5)).first)
        #expect(message.body == MotoFixture.seedBody)
        let unwrapped = SNSEnvelope.unwrap(message)
        #expect(unwrapped.body == MotoFixture.seedBody)
        // With raw delivery the worker only has the SQS message id: not the id the API answered.
        #expect(unwrapped.requestId == message.messageId)
        #expect(unwrapped.requestId != record.requestId)
        try await sqsQueue.delete(message)
    }

    @Test func afterThreeReceivesTheMessageGoesToTheDeadLetterQueue() async throws {
        let moto = try await MotoFixture.make()
        let (queue, deadLetter) = try await moto.createQueueWithDeadLetterQueue(uniqueName("poison"), maxReceiveCount: 3)
        let sqsQueue = SQSQueue(client: moto.sqs, queueURL: queue.url)
        try await moto.sqs.sendMessage(queueURL: queue.url, body: "not json")

        var counts: [Int] = []
        for _ in 1...3 {
            let received = try await sqsQueue.receive(maxMessages: 1, visibilityTimeout: .zero, wait: .seconds(5))
            counts += received.map(\.receiveCount)
        }
        #expect(counts == [1, 2, 3])
        #expect(try await sqsQueue.receive(maxMessages: 10, visibilityTimeout: .zero, wait: .zero).isEmpty)

        let dead = try await SQSQueue(client: moto.sqs, queueURL: deadLetter.url)
            .receive(maxMessages: 10, visibilityTimeout: .seconds(30), wait: .seconds(5))
        #expect(dead.map(\.body) == ["not json"])
    }

    @Test func batchDeleteReportsWhatItDeleted() async throws {
        let moto = try await MotoFixture.make()
        let queue = try await moto.createQueue(uniqueName("batch"))
        for index in 1...3 { try await moto.sqs.sendMessage(queueURL: queue.url, body: "message \(index)") }
        var received: [SQSClient.Message] = []
        while received.count < 3 {
            let batch = try await moto.sqs.receiveMessage(queueURL: queue.url, maxNumberOfMessages: 10, waitTimeSeconds: 5, visibilityTimeout: 0)
            try #require(!batch.isEmpty, "the queue ran dry before three messages arrived")
            received += batch.filter { message in !received.contains { $0.messageId == message.messageId } }
        }
        #expect(Set(received.map(\.body)) == ["message 1", "message 2", "message 3"])
        let (deleted, failed) = try await moto.sqs.deleteMessageBatch(
            queueURL: queue.url,
            entries: received.enumerated().map { SQSClient.BatchEntry(id: "e\($0.offset)", receiptHandle: $0.element.receiptHandle) })
        #expect(Set(deleted) == ["e0", "e1", "e2"])
        #expect(failed.isEmpty)
        #expect(try await moto.sqs.receiveMessage(queueURL: queue.url, maxNumberOfMessages: 10, waitTimeSeconds: 0).isEmpty)
    }

    @Test func aMissingQueueIsANotFoundError() async throws {
        let moto = try await MotoFixture.make()
        let missing = MotoServer.configurationEndpoint(moto) + "/123456789012/" + uniqueName("missing")
        do {
            _ = try await moto.sqs.receiveMessage(queueURL: missing, waitTimeSeconds: 0)
            Issue.record("expected an error")
        } catch let error as AWSError {
            #expect(error.kind == .notFound, "\(error)")
            #expect(error.statusCode == 400)
        }
    }
}

extension MotoServer {
    static func configurationEndpoint(_ fixture: MotoFixture) -> String { fixture.configuration.endpoint(for: .sqs) }
}
