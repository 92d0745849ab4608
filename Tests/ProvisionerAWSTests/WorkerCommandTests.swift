import Foundation
import ProvisionerAWS
import ProvisionerCore
import ProvisionerService
import Testing
import TestSupport

/// `rds-provisioner worker --queue-url … --status-table …`, the real binary, against moto:
/// SQS in, DynamoDB status out, pull requests in the local git repository.
struct WorkerCommandTests {
    @Test func workerPollsSQSAndRecordsStatusInDynamoDB() async throws {
        let moto = try await MotoFixture.make()
        let name = "cli-\(UUID().uuidString.prefix(8).lowercased())"
        let (queue, _) = try await moto.createQueueWithDeadLetterQueue(name, maxReceiveCount: 3)
        let store = try await moto.createStatusTable(name)

        // What SNS delivers with raw delivery off, and a poison message.
        let requestId = UUID().uuidString.lowercased()
        let envelope = SNSEnvelope(
            messageId: requestId, topicArn: "arn:aws:sns:us-east-1:123456789012:requests", message: MotoFixture.seedBody,
            timestamp: Date())
        _ = try await moto.sqs.sendMessage(queueURL: queue.url, body: envelope.encoded())
        let poisonId = try await moto.sqs.sendMessage(queueURL: queue.url, body: "not json")

        let data = try TestEnvironment.makeTemporaryDirectory("worker-sqs")
        let endpoint = try await MotoServer.shared().endpoint
        let worker = try ServerProcess(
            ServerProcess.provisionerExecutable,
            ["worker", "--queue-url", queue.url, "--status-table", name, "--data-dir", data.path, "--workers", "2",
             "--visibility-timeout", "5"],
            environment: [
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ENDPOINT_URL": endpoint,
            ])
        defer { _ = worker.stop(signal: SIGKILL) }
        let started = await worker.waitForLine(containing: "worker polling")
        #expect(started != nil, "\(worker.output.joined(separator: "\n"))")

        let opened = try await waitUntilFinal(store, requestId)
        #expect(opened.status == .prOpened, "\(String(describing: opened.reason))")
        #expect(opened.pullRequest?.branch == "rds/dev/orders")
        #expect(opened.history.map(\.status) == [.processing, .prOpened])
        let rejected = try await waitUntilFinal(store, poisonId)
        #expect(rejected.status == .rejected)
        #expect(rejected.reason?.code == "invalid_json")

        let branches = try ProcessRunner.run("git", ["-C", data.appendingPathComponent("infra").path, "for-each-ref", "--format=%(refname:short)", "refs/heads/rds"])
        #expect(branches.stdout.split(separator: "\n") == ["rds/dev/orders"])
        #expect(worker.stop(signal: SIGTERM) == 0, "the worker should stop gracefully on SIGTERM")
    }

    /// Polls DynamoDB (a remote condition, bounded) until the request is final.
    func waitUntilFinal(_ store: DynamoDBStatusStore, _ id: String) async throws -> RequestRecord {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let record = try await store.get(id), record.status.isFinal { return record }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError("request \(id) did not reach a final status in 60 s")
    }
}
