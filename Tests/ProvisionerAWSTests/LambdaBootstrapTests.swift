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

/// The `bootstrap` binary under a Runtime API emulator, with DynamoDB and Secrets Manager on
/// moto and GitHub on tools/fake-github.
@Suite(.serialized)
struct LambdaBootstrapTests {
    static let token = "ghp_LAMBDAtokenSECRET0123456789"
    static var bootstrap: URL { TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/bootstrap") }

    static func sqsEvent(_ records: [(id: String, body: String, receiveCount: Int)]) throws -> String {
        let list: [[String: Any]] = records.map {
            ["messageId": $0.id, "receiptHandle": "rh-\($0.id)", "body": $0.body,
             "attributes": ["ApproximateReceiveCount": "\($0.receiveCount)"], "eventSource": "aws:sqs",
             "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:requests"]
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: ["Records": list]), as: UTF8.self)
    }

    @Test func bootstrapOpensPullRequestsAndAnswersPartialBatchResponses() async throws {
        let moto = try await MotoFixture.make()
        let name = "lambda-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try await moto.createStatusTable(name)
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

            // One batch: a valid request as SNS delivers it, and a poison message.
            let requestId = UUID().uuidString.lowercased()
            let envelope = SNSEnvelope(
                messageId: requestId, topicArn: "arn:aws:sns:us-east-1:123456789012:requests",
                message: MotoFixture.seedBody, timestamp: Date()).encoded()
            await emulator.invoke("inv-1", try Self.sqsEvent([("m-1", envelope, 1), ("m-poison", "not json", 1)]))
            let first = await emulator.answer(for: "inv-1")
            #expect(first == #"{"batchItemFailures":[]}"#, "\(first)\n\(function.output.joined(separator: "\n"))")
            #expect(try await store.get(requestId)?.status == .prOpened)
            #expect(try await store.get("m-poison")?.reason?.code == "invalid_json")

            // The same message delivered again: nothing new is opened, the batch succeeds.
            await emulator.invoke("inv-2", try Self.sqsEvent([("m-1", envelope, 2)]))
            #expect(await emulator.answer(for: "inv-2") == #"{"batchItemFailures":[]}"#)
            let record = try #require(try await store.get(requestId))
            #expect(record.history.map(\.status) == [.processing, .prOpened])
            #expect(record.pullRequest?.branch == "rds/dev/orders")

            // Logs are JSON lines carrying the Lambda request id; the token never appears.
            let output = function.output
            #expect(output.contains { $0.hasPrefix("{") && $0.contains(#""awsRequestId":"inv-1""#) })
            #expect(!output.joined().contains(Self.token))
            await emulator.finish()
        }
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
}
