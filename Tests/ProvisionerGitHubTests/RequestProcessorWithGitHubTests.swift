import Foundation
import ProvisionerCore
import ProvisionerGitHub
import ProvisionerService
import Testing
import TestSupport

/// The worker's whole path for one message, publishing to the fake GitHub.
struct RequestProcessorWithGitHubTests {
    @Test func oneRequestEndToEnd() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()
            let store = InMemoryStatusStore()
            let processor = RequestProcessor(
                validator: RequestValidator(profiles: .builtIn), renderer: StubRenderer(), publisher: publisher,
                statusStore: store, maxReceives: 3, logger: LogCapture().logger("worker"))
            let body = #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}"#
            let envelope = SNSEnvelope(messageId: "req-e2e", topicArn: SNSEnvelope.localTopicArn, message: body, timestamp: Date())
            let message = QueueMessage(messageId: "sqs-1", receipt: "r1", body: envelope.encoded(), receiveCount: 1)

            #expect(await processor.process(message) == .delete)
            let record = try #require(try await store.get("req-e2e"))
            #expect(record.status == .prOpened)
            #expect(record.pullRequest?.number == 1)
            #expect(record.pullRequest?.requestId == "req-e2e")
            #expect(record.pullRequest?.url == "\(fake.url)/acme/infra/pull/1")
            let pulls = try await fake.pulls()
            #expect(pulls.count == 1)
            #expect(pulls.first?.head == "rds/dev/orders")
            #expect(try fake.git("show", "rds/dev/orders:stacks/dev/orders/main.tf") == "# orders-dev")

            // A redelivery after a crash before the message was deleted changes nothing.
            var again = message
            again.receiveCount = 2
            again.receipt = "r2"
            #expect(await processor.process(again) == .delete)
            #expect(try await fake.pulls().count == 1)
            #expect(await store.statuses(of: "req-e2e") == [.processing, .prOpened])
        }
    }
}
