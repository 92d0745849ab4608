import AsyncHTTPClient
import Foundation
import ProvisionerAWS
import ProvisionerCore
import ProvisionerLambda
import ProvisionerService
import Testing
import TestSupport

/// A Lambda Runtime API emulator: hands out queued events on `next` and collects responses.
actor RuntimeAPIEmulator {
    private var events: [(id: String, body: String)] = []
    private var nextWaiters: [CheckedContinuation<(id: String, body: String)?, Never>] = []
    private var answers: [String: String] = [:]
    private var answerWaiters: [String: CheckedContinuation<String, Never>] = [:]
    private var finished = false

    func invoke(_ id: String, _ body: String) -> Void {
        if !nextWaiters.isEmpty { nextWaiters.removeFirst().resume(returning: (id, body)) } else { events.append((id, body)) }
    }

    func next() async -> (id: String, body: String)? {
        if finished { return nil }
        if !events.isEmpty { return events.removeFirst() }
        return await withCheckedContinuation { nextWaiters.append($0) }
    }

    func answer(_ id: String, _ body: String) {
        if let waiter = answerWaiters.removeValue(forKey: id) { waiter.resume(returning: body) } else { answers[id] = body }
    }

    /// The response (or `ERROR: …`) the function sent for invocation `id`.
    func answer(for id: String) async -> String {
        if let answer = answers.removeValue(forKey: id) { return answer }
        return await withCheckedContinuation { answerWaiters[id] = $0 }
    }

    /// Releases long-polling `next` calls so the server can stop.
    func finish() {
        finished = true
        for waiter in nextWaiters { waiter.resume(returning: nil) }
        nextWaiters.removeAll()
    }

    func handle(_ request: StubRequest) async -> StubResponse {
        let prefix = "/2018-06-01/runtime/invocation/"
        if request.method == "GET", request.path == prefix + "next" {
            guard let event = await next() else { return StubResponse(status: 503) }
            let deadline = Int((Date().timeIntervalSince1970 + 60) * 1000)
            return StubResponse(
                status: 200,
                headers: ["Lambda-Runtime-Aws-Request-Id": event.id, "Lambda-Runtime-Deadline-Ms": "\(deadline)",
                          "Content-Type": "application/json"],
                body: event.body)
        }
        if request.method == "POST", request.path.hasPrefix(prefix) {
            let rest = request.path.dropFirst(prefix.count).split(separator: "/")
            if rest.count == 2 {
                answer(String(rest[0]), rest[1] == "response" ? request.body : "ERROR: " + request.body)
                return StubResponse(status: 202)
            }
        }
        if request.method == "POST", request.path == "/2018-06-01/runtime/init/error" {
            answer("init", "ERROR: " + request.body)
            return StubResponse(status: 202)
        }
        return StubResponse(status: 404)
    }
}

/// Lambda's SQS event source mapping, reduced to what the function sees: it receives up to ten
/// messages, invokes the function with them as an SQS event, and deletes every record the
/// function did not report in `batchItemFailures`.
struct EventSourceMappingEmulator {
    let sqs: SQSClient
    let queue: (url: String, arn: String)
    let emulator: RuntimeAPIEmulator
    private let invocations = Counter()

    init(sqs: SQSClient, queue: (url: String, arn: String), emulator: RuntimeAPIEmulator) {
        self.sqs = sqs
        self.queue = queue
        self.emulator = emulator
    }

    /// Receives `count` messages (long polling; SNS delivery is asynchronous), invokes the
    /// function once with all of them, deletes the successes; returns the function's answer.
    func deliver(expecting count: Int) async throws -> (answer: String, deleted: Int) {
        var messages: [SQSClient.Message] = []
        while messages.count < count {
            let received = try await sqs.receiveMessage(queueURL: queue.url, maxNumberOfMessages: 10, waitTimeSeconds: 5)
            if received.isEmpty { throw TestSupportError("SQS delivered \(messages.count) of \(count) messages") }
            messages += received
        }
        let id = "inv-\(invocations.next())"
        let records = messages.map {
            (id: $0.messageId, body: $0.body, receiveCount: Int($0.attributes["ApproximateReceiveCount"] ?? "") ?? 0)
        }
        await emulator.invoke(id, try LambdaBootstrapTests.sqsEvent(records, sourceARN: queue.arn))
        let answer = await emulator.answer(for: id)
        let failures = Set(
            ((try? JSONSerialization.jsonObject(with: Data(answer.utf8))) as? [String: [[String: String]]])?["batchItemFailures"]?
                .compactMap { $0["itemIdentifier"] } ?? [])
        var deleted = 0
        for message in messages where !failures.contains(message.messageId) {
            try await sqs.deleteMessage(queueURL: queue.url, receiptHandle: message.receiptHandle)
            deleted += 1
        }
        return (answer, deleted)
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}

/// The pull requests the fake GitHub holds.
func fakeGitHubPulls(_ githubURL: String) async throws -> Int {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: githubURL + "/_admin/pulls"), timeout: .seconds(10))
    let data = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
    guard let list = try JSONSerialization.jsonObject(with: data) as? [Any] else {
        throw TestSupportError("unexpected /_admin/pulls answer: \(String(decoding: data, as: UTF8.self))")
    }
    return list.count
}

/// The `bootstrap` binary under a Runtime API emulator, with DynamoDB and Secrets Manager on
/// moto and GitHub on tools/fake-github.
@Suite(.serialized)
struct LambdaBootstrapTests {
    static let token = "ghp_LAMBDAtokenSECRET0123456789"
    static var bootstrap: URL { TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/bootstrap") }

    static func sqsEvent(
        _ records: [(id: String, body: String, receiveCount: Int)], sourceARN: String = "arn:aws:sqs:us-east-1:123456789012:requests"
    ) throws -> String {
        let list: [[String: Any]] = records.map {
            ["messageId": $0.id, "receiptHandle": "rh-\($0.id)", "body": $0.body,
             "attributes": ["ApproximateReceiveCount": "\($0.receiveCount)"], "eventSource": "aws:sqs",
             "eventSourceARN": sourceARN]
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: ["Records": list]), as: UTF8.self)
    }

    @Test func bootstrapHandlesWhatSNSDeliversThroughSQSOnceEach() async throws {
        let moto = try await MotoFixture.make()
        let name = "lambda-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try await moto.createStatusTable(name)
        let (queue, deadLetter) = try await moto.createQueueWithDeadLetterQueue(name)
        let topic = try await moto.createTopic(name)
        try await moto.subscribe(topicARN: topic, queueARN: queue.arn, rawDelivery: false)
        let secretName = "github-secret-\(name)"
        try await moto.createSecret(secretName, #"{"github-token": "\#(Self.token)"}"#)

        let fake = try ServerProcess(
            try TestEnvironment.pythonTool("python3"),
            [TestEnvironment.repositoryRoot.appendingPathComponent("tools/fake-github/fake_github.py").path,
             "--repository", "acme/infra", "--token", Self.token])
        defer { _ = fake.stop() }
        let fakeLine = try #require(await fake.waitForLine(containing: "fake-github listening on "), "\(fake.output)")
        let githubURL = try #require(fakeLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        let endpoint = try await MotoServer.shared().endpoint

        let emulator = RuntimeAPIEmulator()
        let server = StubServer { request, _ in await emulator.handle(request) }
        try await server.run { runtimeURL in
            let function = try ServerProcess(
                Self.bootstrap, [],
                environment: [
                    "AWS_LAMBDA_RUNTIME_API": String(runtimeURL.dropFirst("http://".count)),
                    "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_ENDPOINT_URL": endpoint, "RDS_PROVISIONER_STATUS_TABLE": name,
                    "RDS_PROVISIONER_GITHUB_SECRET": secretName, "GITHUB_TOKEN": "",
                    "GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": githubURL,
                ])
            defer { _ = function.stop(signal: SIGKILL) }

            // What Lambda's SQS event source mapping does: receive a batch, invoke the function
            // with it, delete the records it did not list in `batchItemFailures`.
            let mapping = EventSourceMappingEmulator(sqs: moto.sqs, queue: queue, emulator: emulator)

            // A valid request and a poison message, both published to the topic as API Gateway
            // does, so the function reads what SNS really delivers to SQS.
            let requestId = try await moto.sns.publish(topicARN: topic, message: MotoFixture.seedBody)
            let poisonId = try await moto.sns.publish(topicARN: topic, message: "not json")
            let first = try await mapping.deliver(expecting: 2)
            #expect(first.answer == #"{"batchItemFailures":[]}"#, "\(first.answer)\n\(function.output.joined(separator: "\n"))")
            #expect(first.deleted == 2)
            #expect(try await store.get(requestId)?.status == .prOpened)
            let poison = try #require(try await store.get(poisonId))
            #expect(poison.status == .rejected && poison.reason?.code == "invalid_json", "\(poison)")

            // SQS delivers the request again (at-least-once): nothing new is opened.
            let redelivered = SNSEnvelope(messageId: requestId, topicArn: topic, message: MotoFixture.seedBody, timestamp: Date())
            _ = try await moto.sqs.sendMessage(queueURL: queue.url, body: redelivered.encoded())
            let second = try await mapping.deliver(expecting: 1)
            #expect(second.answer == #"{"batchItemFailures":[]}"#)
            let record = try #require(try await store.get(requestId))
            #expect(record.history.map(\.status) == [.processing, .prOpened])
            #expect(record.pullRequest?.branch == "rds/dev/orders")
            let pulls = try await fakeGitHubPulls(githubURL)
            #expect(pulls == 1, "the fake GitHub holds \(pulls) pull requests")

            // Everything settled: the queue and its dead-letter queue are empty.
            #expect(try await moto.sqs.receiveMessage(queueURL: queue.url, maxNumberOfMessages: 10, waitTimeSeconds: 0).isEmpty)
            #expect(try await moto.sqs.receiveMessage(queueURL: deadLetter.url, maxNumberOfMessages: 10, waitTimeSeconds: 0).isEmpty)

            // Logs are JSON lines carrying the Lambda request id; the token never appears.
            let output = function.output
            #expect(output.contains { $0.hasPrefix("{") && $0.contains(#""awsRequestId":"inv-1""#) })
            #expect(!output.joined().contains(Self.token))
            await emulator.finish()
        }
    }

    @Test func anInitErrorEndsTheProcessEvenWhenTheRuntimeAPIIsUnreachable() throws {
        // Nothing listens on the port: reporting the init error fails, and the process must
        // still exit (non-zero) within the report's 5 s bound rather than wait on the connection.
        let port = try MotoServer.freePort()
        let result = try ProcessRunner.run(
            "timeout", ["-s", "KILL", "20", Self.bootstrap.path],
            environment: ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(port)", "RDS_PROVISIONER_STATUS_TABLE": ""])
        #expect(result.status == 1, "exit \(result.status) (137: killed after 20 s; the report is bounded to 5 s)\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("RDS_PROVISIONER_STATUS_TABLE"))
    }

    @Test func aMissingSettingIsReportedAsAnInitError() async throws {
        let emulator = RuntimeAPIEmulator()
        let server = StubServer { request, _ in await emulator.handle(request) }
        try await server.run { runtimeURL in
            let function = try ServerProcess(
                Self.bootstrap, [],
                environment: ["AWS_LAMBDA_RUNTIME_API": String(runtimeURL.dropFirst("http://".count)), "RDS_PROVISIONER_STATUS_TABLE": ""])
            let answer = await emulator.answer(for: "init")
            #expect(answer.contains("RDS_PROVISIONER_STATUS_TABLE"), "\(answer)")
            #expect(function.stop(signal: 0) != 0)
            await emulator.finish()
        }
    }
}

struct SQSBatchHandlerTests {
    func handler(_ publisher: RecordingPublisher, _ store: InMemoryStatusStore) -> SQSBatchHandler {
        SQSBatchHandler(processor: RequestProcessor(
            validator: RequestValidator(profiles: .builtIn), renderer: StubRenderer(), publisher: publisher, statusStore: store))
    }

    @Test func recordsTooCloseToTheDeadlineGoBackToTheQueueUntouched() async throws {
        let publisher = RecordingPublisher()
        let store = InMemoryStatusStore()
        let event = try LambdaBootstrapTests.sqsEvent([("a", MotoFixture.seedBody, 1), ("b", MotoFixture.seedBody, 1)])
        let answer = try await handler(publisher, store).handle(
            Array(event.utf8), deadline: Date().addingTimeInterval(5), logger: .init(label: "test"))
        #expect(String(decoding: answer, as: UTF8.self) == #"{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"b"}]}"#)
        #expect(await publisher.attempts == 0)
        #expect(try await store.get("a") == nil)
    }

    @Test func aTransientFailureIsReportedForThatRecordOnly() async throws {
        let publisher = RecordingPublisher(failures: [.transient("502", retryAfter: nil)])
        let store = InMemoryStatusStore()
        let other = #"{"databaseName": "billing", "databaseEngine": "MySQL", "environment": "Prod"}"#
        let event = try LambdaBootstrapTests.sqsEvent([("a", MotoFixture.seedBody, 1), ("b", other, 1)])
        let answer = try await handler(publisher, store).handle(
            Array(event.utf8), deadline: Date().addingTimeInterval(300), logger: .init(label: "test"))
        #expect(String(decoding: answer, as: UTF8.self) == #"{"batchItemFailures":[{"itemIdentifier":"a"}]}"#)
        #expect(try await store.get("b")?.status == .prOpened)
    }

    /// The event as Lambda sends it (the example in the Lambda developer guide, "Using Lambda
    /// with Amazon SQS"), with the members the handler does not read.
    @Test func anEventAsLambdaSendsItIsRead() throws {
        let event = #"""
            {
                "Records": [
                    {
                        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
                        "body": "{\"databaseName\":\"orders\"}",
                        "attributes": {
                            "ApproximateReceiveCount": "3",
                            "SentTimestamp": "1545082649183",
                            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                            "ApproximateFirstReceiveTimestamp": "1545082649185"
                        },
                        "messageAttributes": {"myAttribute": {"stringValue": "myValue", "stringListValues": [], "binaryListValues": [], "dataType": "String"}},
                        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                        "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
                        "awsRegion": "us-east-2"
                    },
                    {"messageId": "2e1424d4", "receiptHandle": "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...", "body": "Test message."}
                ]
            }
            """#
        let decoded = try SQSEvent(jsonBytes: Array(event.utf8))
        #expect(decoded.records.map(\.messageId) == ["059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4"])
        #expect(decoded.records[0].body == #"{"databaseName":"orders"}"#)
        #expect(decoded.records[0].receiptHandle == "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...")
        #expect(decoded.records.map(\.receiveCount) == [3, nil])
        #expect(throws: JSONSyntaxError.self) { try SQSEvent(jsonBytes: Array(#"{"Records":[{"messageId":"a","body":"b"}]}"#.utf8)) }
        #expect(throws: JSONSyntaxError.self) { try SQSEvent(jsonBytes: Array(#"{"records":[]}"#.utf8)) }
    }

    @Test func theBatchResponseIsWhatTheEncoderWrites() throws {
        for identifiers in [[], ["a"], ["a\"b", "é\n", "c"]] {
            let response = SQSBatchResponse(batchItemFailures: identifiers.map { .init(itemIdentifier: $0) })
            #expect(String(decoding: response.jsonBytes, as: UTF8.self) == String(decoding: try JSONEncoder().encode(response), as: UTF8.self))
        }
    }
}
