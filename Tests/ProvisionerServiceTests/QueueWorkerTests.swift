import Foundation
import Logging
import ProvisionerCore
import ProvisionerService
import ServiceLifecycle
import Testing
import TestSupport

struct QueueWorkerTests {
    @Test func workerDrainsTheQueueAndStopsGracefully() async throws {
        let queue = InMemoryQueue()
        let store = InMemoryStatusStore()
        let publisher = RecordingPublisher()
        let names = (1...12).map { "db\($0)" }
        for name in names {
            let body = #"{"databaseName": "\#(name)", "databaseEngine": "MySQL", "environment": "Dev"}"#
            await queue.send(body: SNSEnvelope(messageId: name, topicArn: SNSEnvelope.localTopicArn, message: body, timestamp: Date()).encoded())
        }
        let processor = RequestProcessor(
            validator: RequestValidator(profiles: .builtIn), renderer: StubRenderer(), publisher: publisher, statusStore: store)
        let worker = QueueWorker(
            queue: queue, processor: processor,
            configuration: .init(concurrency: 3, visibilityTimeout: .seconds(30), receiveWait: .milliseconds(10)),
            logger: Logger(label: "test"))
        let group = ServiceGroup(services: [worker], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await queue.waitForDeletions(names.count)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(await queue.count == 0)
        #expect(await publisher.published.count == names.count)
        for name in names {
            #expect(try await store.get(name)?.status == .prOpened)
        }
    }
}
