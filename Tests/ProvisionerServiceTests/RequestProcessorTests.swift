import Foundation
import Logging
import ProvisionerCore
import ProvisionerService
import Testing
import TestSupport

/// The service layer end to end through in-memory adapters.
struct RequestProcessorTests {
    let store = InMemoryStatusStore()

    func processor(_ publisher: RecordingPublisher, maxReceives: Int = 3) -> RequestProcessor {
        RequestProcessor(
            validator: RequestValidator(profiles: .builtIn), renderer: StubRenderer(), publisher: publisher,
            statusStore: store, maxReceives: maxReceives, backoff: Backoff(base: .seconds(2), cap: .seconds(60), jitter: 0))
    }

    func message(
        _ body: String = #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}"#,
        requestId: String = "req-1", receiveCount: Int = 1
    ) -> QueueMessage {
        let envelope = SNSEnvelope(messageId: requestId, topicArn: SNSEnvelope.localTopicArn, message: body, timestamp: Date())
        return QueueMessage(messageId: "sqs-\(requestId)", receipt: "r", body: envelope.encoded(), receiveCount: receiveCount)
    }

    @Test func validRequestOpensOnePullRequest() async throws {
        let publisher = RecordingPublisher()
        let disposition = await processor(publisher).process(message())
        #expect(disposition == .delete)
        let record = try #require(try await store.get("req-1"))
        #expect(record.status == .prOpened)
        #expect(await store.statuses(of: "req-1") == [.processing, .prOpened])
        #expect(record.pullRequest?.number == 1)
        #expect(record.clusterIdentifier == "orders-dev")
        #expect(record.branch == "rds/dev/orders")
        let published = await publisher.published
        #expect(published.count == 1)
        #expect(published.first?.stackPath == "stacks/dev/orders")
    }

    @Test func redeliveryAfterTheOutcomeIsRecordedDoesNothing() async throws {
        let publisher = RecordingPublisher()
        let processor = processor(publisher)
        _ = await processor.process(message())
        #expect(await processor.process(message(receiveCount: 2)) == .delete)
        #expect(await publisher.attempts == 1)
        #expect(await store.statuses(of: "req-1") == [.processing, .prOpened])
    }

    @Test func redeliveryAfterACrashBeforeRecordingFindsTheOpenPullRequest() async throws {
        let publisher = RecordingPublisher()
        // First delivery published, then the worker died before recording pr_opened.
        _ = try await publisher.publish(StubRenderer().changeRequest(
            for: RequestValidator(profiles: .builtIn).validate(
                ProvisionRequest(databaseName: "orders", databaseEngine: .postgresql, environment: "Dev")),
            requestId: "req-1"))
        #expect(await processor(publisher).process(message(receiveCount: 2)) == .delete)
        #expect(try await store.get("req-1")?.status == .prOpened)
        #expect(await publisher.published.count == 1)
    }

    @Test func invalidRequestIsRejectedWithTheCoreErrorCode() async throws {
        let publisher = RecordingPublisher()
        let body = #"{"databaseName": "Orders!", "databaseEngine": "PostgreSQL", "environment": "Dev"}"#
        #expect(await processor(publisher).process(message(body)) == .delete)
        let record = try #require(try await store.get("req-1"))
        #expect(record.status == .rejected)
        #expect(record.reason?.code == "invalid_database_name")
        #expect(await publisher.attempts == 0)
    }

    @Test func undecodableMessageIsRejectedNotLost() async throws {
        let publisher = RecordingPublisher()
        let raw = QueueMessage(messageId: "sqs-9", receipt: "r", body: "not json at all", receiveCount: 1)
        #expect(await processor(publisher).process(raw) == .delete)
        let record = try #require(try await store.get("sqs-9"))
        #expect(record.status == .rejected)
        #expect(record.reason?.code == "invalid_json")
    }

    @Test func rawDeliveryUsesTheQueueMessageId() async throws {
        let publisher = RecordingPublisher()
        let raw = QueueMessage(
            messageId: "sqs-7", receipt: "r",
            body: #"{"databaseName": "billing", "databaseEngine": "mysql", "environment": "prod"}"#, receiveCount: 1)
        #expect(await processor(publisher).process(raw) == .delete)
        let record = try #require(try await store.get("sqs-7"))
        #expect(record.status == .prOpened)
        #expect(record.request?.databaseEngine == .mysql)
        #expect(record.request?.environment == "Prod")
    }

    @Test func secondRequestForTheSameStackIsRejectedAsDuplicate() async throws {
        let publisher = RecordingPublisher()
        let processor = processor(publisher)
        _ = await processor.process(message(requestId: "first"))
        #expect(await processor.process(message(requestId: "second")) == .delete)
        let record = try #require(try await store.get("second"))
        #expect(record.status == .rejected)
        #expect(record.reason?.code == "duplicate_request")
        #expect(record.reason?.message.contains("first") == true)
        #expect(await publisher.published.count == 1)
    }

    @Test func alreadyProvisionedStackIsRejectedAndReleased() async throws {
        let publisher = RecordingPublisher(provisionedStacks: ["stacks/dev/orders"])
        #expect(await processor(publisher).process(message()) == .delete)
        let record = try #require(try await store.get("req-1"))
        #expect(record.status == .rejected)
        #expect(record.reason?.code == "already_provisioned")
        #expect(await store.claims["stacks/dev/orders"] == nil)
    }

    @Test func transientFailureIsRetriedWithBackoffThenSucceeds() async throws {
        let publisher = RecordingPublisher(failures: [.transient("502 Bad Gateway", retryAfter: nil)])
        let processor = processor(publisher)
        #expect(await processor.process(message(receiveCount: 1)) == .retry(after: .seconds(2)))
        #expect(try await store.get("req-1")?.status == .processing)
        #expect(await processor.process(message(receiveCount: 2)) == .delete)
        #expect(await store.statuses(of: "req-1") == [.processing, .processing, .prOpened])
    }

    @Test func serverRetryAfterWinsOverAShorterBackoff() async throws {
        let publisher = RecordingPublisher(failures: [.transient("secondary rate limit", retryAfter: .seconds(45))])
        #expect(await processor(publisher).process(message()) == .retry(after: .seconds(45)))
    }

    @Test func transientFailureOnTheLastReceiveIsRecordedAsFailed() async throws {
        let publisher = RecordingPublisher(failures: [.transient("502 Bad Gateway", retryAfter: nil)])
        #expect(await processor(publisher, maxReceives: 3).process(message(receiveCount: 3)) == .delete)
        let record = try #require(try await store.get("req-1"))
        #expect(record.status == .failed)
        #expect(record.reason?.message.contains("502 Bad Gateway") == true)
        #expect(await store.claims["stacks/dev/orders"] == nil)
    }

    @Test func permanentFailureIsRecordedAsFailedAtOnce() async throws {
        let publisher = RecordingPublisher(failures: [.permanent("401 Bad credentials")])
        #expect(await processor(publisher).process(message()) == .delete)
        let record = try #require(try await store.get("req-1"))
        #expect(record.status == .failed)
        #expect(record.reason?.code == "publish_failed")
    }

    @Test func backoffGrowsExponentiallyAndIsCapped() {
        let backoff = Backoff(base: .seconds(2), cap: .seconds(60), jitter: 0)
        #expect((1...7).map { backoff.delay(afterAttempt: $0) } == [2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
        let jittered = Backoff(base: .seconds(2), cap: .seconds(60), jitter: 1)
        for attempt in 1...7 {
            let delay = jittered.delay(afterAttempt: attempt)
            #expect(delay > .zero && delay <= backoff.delay(afterAttempt: attempt))
        }
    }
}

struct TerraformChangeRequestsTests {
    @Test func rendersTheStackAndThePullRequestText() throws {
        let validated = try RequestValidator(profiles: .builtIn).validate(
            ProvisionRequest(databaseName: "orders", databaseEngine: .postgresql, environment: "prod", owner: "team-payments"))
        let change = try TerraformChangeRequests(profiles: .builtIn).changeRequest(for: validated, requestId: "req-42")
        #expect(change.branch == "rds/prod/orders")
        #expect(change.stackPath == "stacks/prod/orders")
        #expect(!change.files.isEmpty)
        #expect(change.files.allSatisfy { $0.path.hasPrefix("stacks/prod/orders/") })
        #expect(change.files.contains { $0.path == "stacks/prod/orders/main.tf" && $0.contents.contains("orders-prod") })
        #expect(change.body.contains("req-42"))
        #expect(change.labels.contains("rds-provisioner"))
    }

    @Test func aRequestWhoseProfileDisappearedFailsWithoutRetrying() async throws {
        let store = InMemoryStatusStore()
        // Accepted under profiles that had Staging; processed under the built-in ones.
        var staging = EnvironmentProfile(name: "Staging")
        staging.allowedEngines = [.postgresql]
        let accepting = RequestValidator(profiles: ProfileSet(profiles: ProfileSet.builtIn.profiles + [staging]))
        let processor = RequestProcessor(
            validator: accepting, renderer: TerraformChangeRequests(profiles: .builtIn), publisher: RecordingPublisher(),
            statusStore: store)
        let body = #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Staging"}"#
        let message = QueueMessage(messageId: "m1", receipt: "r", body: body, receiveCount: 1)
        #expect(await processor.process(message) == .delete)
        let record = try #require(try await store.get("m1"))
        #expect(record.status == .failed)
        #expect(record.reason?.code == "render_failed")
        #expect(await store.claims.isEmpty)
    }

    @Test func anEngineTheEnvironmentDoesNotOfferIsRejected() throws {
        var prod = try #require(ProfileSet.builtIn.profile(named: "Prod"))
        prod.allowedEngines = [.postgresql]
        let validator = RequestValidator(profiles: ProfileSet(profiles: [prod]))
        #expect(throws: RequestErrors.self) {
            try validator.validate(ProvisionRequest(databaseName: "orders", databaseEngine: .mysql, environment: "Prod"))
        }
        do {
            _ = try validator.validate(body: Array(#"{"databaseName": "orders", "databaseEngine": "mysql", "environment": "Prod"}"#.utf8))
            Issue.record("mysql was accepted in an environment that offers only PostgreSQL")
        } catch {
            #expect(error.first.code == .engineNotAllowed)
            #expect(error.first.field == "databaseEngine")
        }
    }
}
