import Foundation
import ProvisionerCore
import ProvisionerHTTP
import ProvisionerService
import Testing

@Suite("POST /provision")
struct ProvisionTests {
    static let orders = #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}"#

    @Test("202: stores exactly one submission whose message unwraps to the normalised request")
    func accepted() async throws {
        try await LiveAPI.run { api in
            let reply = try await api.provision(
                #"{"databaseName": "orders", "databaseEngine": "postgres", "environment": "dev", "owner": "team-payments"}"#)
            #expect(reply.status == 202, "\(reply.text)")
            let body = try reply.json()
            let requestId = try #require(body["requestId"] as? String)
            #expect(requestId == requestId.lowercased())
            #expect(UUID(uuidString: requestId) != nil)
            #expect(body["status"] as? String == "queued")
            #expect(body["statusUrl"] as? String == "/requests/\(requestId)")
            #expect(reply.headers["Location"] == ["/requests/\(requestId)"])
            #expect(reply.headers["Content-Type"].first?.hasPrefix("application/json") == true)

            let submissions = await api.intake.submissions
            try #require(submissions.count == 1)
            let submission = submissions[0]
            #expect(submission.requestId == requestId)
            #expect(submission.validated.stackPath == "stacks/dev/orders")

            // The message is the SNS envelope the worker will receive from the queue.
            let unwrapped = SNSEnvelope.unwrap(
                QueueMessage(messageId: "queue-id", receipt: "r", body: submission.message, receiveCount: 1))
            #expect(unwrapped.requestId == requestId)
            let sent = try PublicJSON.decoder().decode(ProvisionRequest.self, from: Data(unwrapped.body.utf8))
            #expect(sent == submission.validated.request)
            #expect(sent == ProvisionRequest(databaseName: "orders", databaseEngine: .postgresql, environment: "Dev", owner: "team-payments"))
            let envelope = try SNSEnvelope(jsonBytes: Array(submission.message.utf8))
            #expect(envelope.topicArn == SNSEnvelope.localTopicArn)
            #expect(envelope.type == "Notification")
            let sentAt = try #require(PublicJSON.parseTimestamp(envelope.timestamp))
            #expect(abs(sentAt.timeIntervalSince(submission.receivedAt)) < 0.001)
        }
    }

    @Test("202 for a JSON content type with parameters")
    func contentTypeWithCharset() async throws {
        try await LiveAPI.run { api in
            let reply = try await api.provision(Self.orders, contentType: "Application/JSON; charset=UTF-8")
            #expect(reply.status == 202, "\(reply.text)")
            #expect(await api.intake.submissions.count == 1)
        }
    }

    @Test(
        "400 with the validator's code, nothing stored",
        arguments: [
            ("", "empty_body", nil),
            ("{", "invalid_json", nil),
            ("[1, 2]", "body_not_object", nil),
            (#"{"databaseName": "orders", "environment": "Dev"}"#, "missing_field", "databaseEngine"),
            (#"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev", "size": "xl"}"#, "unknown_field", "size"),
            (#"{"databaseName": 42, "databaseEngine": "PostgreSQL", "environment": "Dev"}"#, "invalid_field_type", "databaseName"),
            (#"{"databaseName": "orders", "databaseEngine": "Oracle", "environment": "Dev"}"#, "unsupported_engine", "databaseEngine"),
            (#"{"databaseName": "orders", "databaseEngine": "MySQL", "environment": "Moon"}"#, "unknown_environment", "environment"),
            (#"{"databaseName": "9lives", "databaseEngine": "MySQL", "environment": "Dev"}"#, "invalid_database_name", "databaseName"),
        ] as [(String, String, String?)])
    func invalid(body: String, code: String, field: String?) async throws {
        try await LiveAPI.run { api in
            let reply = try await api.provision(body)
            #expect(reply.status == 400, "\(reply.text)")
            let error = try reply.error()
            #expect(error.error.code == code, "\(reply.text)")
            #expect(error.error.field == field)
            #expect(!error.error.message.isEmpty)
            #expect(error.errors.first == error.error)
            #expect(await api.intake.submissions.isEmpty)
        }
    }

    @Test("400 lists every problem of the body")
    func everyProblem() async throws {
        try await LiveAPI.run { api in
            let reply = try await api.provision(#"{"databaseName": "9lives", "databaseEngine": "Oracle", "environment": "Moon"}"#)
            #expect(reply.status == 400)
            let fields = try reply.error().errors.map(\.field)
            #expect(fields == ["databaseName", "databaseEngine", "environment"], "\(reply.text)")
        }
    }

    @Test("409 duplicate_request names the active request and where to follow it")
    func duplicate() async throws {
        try await LiveAPI.run { api in
            let first = try await api.provision(Self.orders)
            #expect(first.status == 202)
            let firstId = try #require(try first.json()["requestId"] as? String)
            let second = try await api.provision(#"{"databaseName": "orders", "databaseEngine": "MySQL", "environment": "DEV"}"#)
            #expect(second.status == 409, "\(second.text)")
            let error = try second.error()
            #expect(error.error.code == "duplicate_request")
            #expect(error.error.message.contains(firstId))
            #expect(error.error.message.contains("/requests/\(firstId)"))
            #expect(await api.intake.submissions.count == 1)
        }
    }

    @Test("413 body_too_large for a declared length over the limit, nothing stored")
    func tooLargeDeclared() async throws {
        try await LiveAPI.run { api in
            let padding = String(repeating: " ", count: RequestValidator.maxBodyBytes)
            let reply = try await api.provision(Self.orders + padding)
            #expect(reply.status == 413)
            #expect(try reply.error().error.code == "body_too_large")
            #expect(await api.intake.submissions.isEmpty)
        }
    }

    @Test("413 body_too_large while reading a streamed body without a length")
    func tooLargeStreamed() async throws {
        try await LiveAPI.run { api in
            let body = Array((Self.orders + String(repeating: " ", count: RequestValidator.maxBodyBytes)).utf8)
            let reply = try await api.send(
                .POST, "/provision", headers: [("Content-Type", "application/json")], body: body, chunked: true)
            #expect(reply.status == 413)
            #expect(try reply.error().error.code == "body_too_large")
            #expect(await api.intake.submissions.isEmpty)
        }
    }

    @Test("A body of exactly the limit is read and validated")
    func bodyAtLimit() async throws {
        try await LiveAPI.run { api in
            let padding = String(repeating: " ", count: RequestValidator.maxBodyBytes - Self.orders.utf8.count)
            let reply = try await api.provision(Self.orders + padding)
            #expect(reply.status == 202, "\(reply.text)")
        }
    }

    @Test(
        "415 unsupported_media_type for anything but JSON, nothing stored",
        arguments: [nil, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "json"])
    func unsupportedMediaType(contentType: String?) async throws {
        try await LiveAPI.run { api in
            let reply = try await api.provision(Self.orders, contentType: contentType)
            #expect(reply.status == 415)
            let error = try reply.error()
            #expect(error.error.code == "unsupported_media_type")
            #expect(error.error.message.contains("application/json"))
            #expect(await api.intake.submissions.isEmpty)
        }
    }

    @Test("503 intake_unavailable when the intake cannot store the request; its error stays in the log")
    func intakeFailure() async throws {
        let store = PagingStatusStore()
        let intake = RecordingIntake(store: store, failure: DiskFullError())
        try await LiveAPI.run(store: store, intake: intake) { api in
            let reply = try await api.provision(Self.orders)
            #expect(reply.status == 503)
            #expect(try reply.error().error.code == "intake_unavailable")
            #expect(!reply.text.contains("secret"))
            #expect(!reply.text.contains("disk"))
            #expect(await api.store.records.isEmpty)
        }
    }
}
