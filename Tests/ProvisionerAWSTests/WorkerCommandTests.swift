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

    /// `serve --sns-topic-arn … --status-table … --queue-url …`: the API publishes to SNS, SNS
    /// delivers to SQS, the worker opens the pull request, the API answers status from DynamoDB.
    @Test func serveInFrontOfAWSPublishesToSNSAndAnswersFromDynamoDB() async throws {
        let moto = try await MotoFixture.make()
        let name = "edge-\(UUID().uuidString.prefix(8).lowercased())"
        let (queue, _) = try await moto.createQueueWithDeadLetterQueue(name, maxReceiveCount: 3)
        let topic = try await moto.createTopic(name)
        try await moto.subscribe(topicARN: topic, queueARN: queue.arn, rawDelivery: false)
        let store = try await moto.createStatusTable(name)

        let data = try TestEnvironment.makeTemporaryDirectory("serve-sns")
        let endpoint = try await MotoServer.shared().endpoint
        let server = try ServerProcess(
            ServerProcess.provisionerExecutable,
            ["serve", "--port", "0", "--sns-topic-arn", topic, "--status-table", name, "--queue-url", queue.url,
             "--data-dir", data.path, "--workers", "2"],
            environment: [
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ENDPOINT_URL": endpoint,
            ])
        defer { _ = server.stop(signal: SIGKILL) }
        let line = try #require(await server.waitForLine(containing: "listening on http://"), "\(server.output)")
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))

        // The CLI against the API: 202, then progress until the pull request is open.
        let request = try ProcessRunner.run(
            ServerProcess.provisionerExecutable.path,
            ["request", "--server", url, "--database-name", "ledger", "--engine", "mysql", "--environment", "prod", "--wait", "--timeout", "60"])
        #expect(request.status == 0, "\(request.stdout)\(request.stderr)")
        #expect(request.stdout.contains("pr_opened"))
        let accepted = try #require(request.stdout.split(separator: "\n").first { $0.hasPrefix("Accepted: request ") })
        let id = String(accepted.dropFirst("Accepted: request ".count).prefix { $0 != " " })

        // The id the API answered is SNS's MessageId, the one the worker saw and DynamoDB holds.
        let record = try #require(try await store.get(id))
        #expect(record.status == .prOpened)
        #expect(record.history.first?.status == .queued || record.history.first?.status == .processing)
        #expect(record.branch == "rds/prod/ledger")
        #expect(server.stop(signal: SIGTERM) == 0)
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
