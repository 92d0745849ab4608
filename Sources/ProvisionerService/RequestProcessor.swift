#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Metrics
import ProvisionerCore

/// Turns a validated request into the change to publish (files, title, body, labels).
/// The Terraform renderer implements it; tests may use a simpler one.
public protocol ChangeRequestRenderer: Sendable {
    func changeRequest(for request: ValidatedRequest, requestId: String) throws -> ChangeRequest
}

/// What to do with a message once it has been handled.
public enum MessageDisposition: Sendable, Hashable {
    /// The outcome is recorded: delete the message.
    case delete
    /// A transient failure: leave the message on the queue and let it come back after this delay.
    case retry(after: Duration)
}

/// Handles one queue message end to end, idempotently:
/// unwrap the SNS envelope → skip if the request already reached a final status → validate
/// again (the queue is a trust boundary) → claim the stack → `processing` → render → publish →
/// `pr_opened`; or `rejected` (invalid, duplicate, already provisioned) or `failed` (a permanent
/// publishing error, or transient ones until the last allowed receive). The message is deleted
/// only once its outcome is recorded, so a crash at any point means a redelivery, and a
/// redelivery never publishes twice (the publisher finds the open pull request by branch).
public struct RequestProcessor: Sendable {
    public var validator: RequestValidator
    public var renderer: any ChangeRequestRenderer
    public var publisher: any ChangeRequestPublisher
    public var statusStore: any StatusStore
    /// Receives after which a transient failure is recorded as `failed` (match the queue's
    /// dead-letter `maxReceives` so the outcome is recorded before the message is dead-lettered).
    public var maxReceives: Int
    public var backoff: Backoff
    public var logger: Logger
    public var now: @Sendable () -> Date

    public init(
        validator: RequestValidator, renderer: any ChangeRequestRenderer, publisher: any ChangeRequestPublisher,
        statusStore: any StatusStore, maxReceives: Int = 5, backoff: Backoff = Backoff(),
        logger: Logger = Logger(label: "rds-provisioner.worker"), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        precondition(maxReceives >= 1, "maxReceives must be at least 1")
        self.validator = validator
        self.renderer = renderer
        self.publisher = publisher
        self.statusStore = statusStore
        self.maxReceives = maxReceives
        self.backoff = backoff
        self.logger = logger
        self.now = now
    }

    public func process(_ message: QueueMessage) async -> MessageDisposition {
        let unwrapped = SNSEnvelope.unwrap(message)
        var logger = self.logger
        logger[metadataKey: "requestId"] = "\(unwrapped.requestId)"
        logger[metadataKey: "receiveCount"] = "\(message.receiveCount)"
        let started = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - started
            Timer(label: Self.processingMetric).recordNanoseconds(
                elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        do {
            return try await handle(unwrapped, receiveCount: message.receiveCount, logger: logger)
        } catch {
            // The status store (or the renderer) failed: nothing was recorded, so retry later.
            // After the queue's last receive the message goes to the dead-letter queue: not lost.
            let delay = backoff.delay(afterAttempt: message.receiveCount)
            logger.warning("could not handle message, will retry", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
            return .retry(after: delay)
        }
    }

    /// Metric names (documented in docs/http-api.md).
    public static let processingMetric = "rds_provisioner_processing_seconds"
    public static let outcomeMetric = "rds_provisioner_requests_total"

    private func handle(_ message: SNSEnvelope.Unwrapped, receiveCount: Int, logger: Logger) async throws -> MessageDisposition {
        let id = message.requestId
        if let existing = try await statusStore.get(id), existing.status.isFinal {
            logger.info("already \(existing.status.rawValue), nothing to do")
            return .delete
        }

        let validated: ValidatedRequest
        do {
            validated = try validator.validate(body: Array(message.body.utf8))
        } catch let errors {
            try await record(id, .rejected, reason: StatusReason(errors.first), logger: logger)
            return .delete
        }

        switch try await statusStore.claim(stackKey: validated.stackKey, for: id) {
        case .heldBy(let other):
            let reason = StatusReason(
                code: RequestErrorCode.duplicateRequest.rawValue, field: "databaseName",
                message: "Request \(other) already covers \(validated.stackPath); follow it at /requests/\(other).")
            try await record(id, .rejected, reason: reason, validated: validated, logger: logger)
            return .delete
        case .claimed:
            break
        }

        try await record(id, .processing, validated: validated, logger: logger)
        let change: ChangeRequest
        do {
            change = try renderer.changeRequest(for: validated, requestId: id)
        } catch {
            // Rendering is pure: the same request gives the same error on every retry.
            try await record(id, .failed, reason: StatusReason(code: "render_failed", message: "\(error)"), validated: validated, logger: logger)
            try await statusStore.release(stackKey: validated.stackKey, for: id)
            return .delete
        }

        let outcome: Result<PullRequestRef, PublishError>
        do {
            outcome = .success(try await publisher.publish(change))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let pull):
            if let opener = pull.requestId, opener != id {
                let reason = StatusReason(
                    code: RequestErrorCode.duplicateRequest.rawValue, field: "databaseName",
                    message: "Pull request #\(pull.number) for \(validated.stackPath) was opened by request \(opener).")
                try await record(id, .rejected, reason: reason, validated: validated, logger: logger)
                try await statusStore.release(stackKey: validated.stackKey, for: id)
                return .delete
            }
            try await record(id, .prOpened, validated: validated, pullRequest: pull, logger: logger)
            return .delete
        case .failure(.alreadyProvisioned(let stackPath)):
            let reason = StatusReason(
                code: RequestErrorCode.alreadyProvisioned.rawValue, field: "databaseName",
                message: "\(stackPath) already exists in the infrastructure repository: this database is already provisioned.")
            try await record(id, .rejected, reason: reason, validated: validated, logger: logger)
            try await statusStore.release(stackKey: validated.stackKey, for: id)
            return .delete
        case .failure(.permanent(let problem)):
            let reason = StatusReason(code: "publish_failed", message: problem)
            try await record(id, .failed, reason: reason, validated: validated, logger: logger)
            try await statusStore.release(stackKey: validated.stackKey, for: id)
            return .delete
        case .failure(.transient(let problem, let retryAfter)):
            if receiveCount >= maxReceives {
                let reason = StatusReason(
                    code: "publish_failed", message: "Gave up after \(receiveCount) attempts; last error: \(problem)")
                try await record(id, .failed, reason: reason, validated: validated, logger: logger)
                try await statusStore.release(stackKey: validated.stackKey, for: id)
                return .delete
            }
            let delay = max(retryAfter ?? .zero, backoff.delay(afterAttempt: receiveCount))
            logger.warning("publishing failed, will retry", metadata: ["error": "\(problem)", "retryIn": "\(delay)"])
            return .retry(after: delay)
        }
    }

    private func record(
        _ id: String, _ status: RequestStatus, reason: StatusReason? = nil, validated: ValidatedRequest? = nil,
        pullRequest: PullRequestRef? = nil, logger: Logger
    ) async throws {
        let update = StatusUpdate(
            requestId: id, status: status, at: now(), reason: reason, request: validated?.request,
            validated: validated, pullRequest: pullRequest)
        let record = try await statusStore.apply(update)
        var metadata: Logger.Metadata = ["status": "\(record.status.rawValue)"]
        if let reason { metadata["reason"] = "\(reason.code): \(reason.message)" }
        if let pullRequest { metadata["pullRequest"] = "\(pullRequest.number)"; metadata["branch"] = "\(pullRequest.branch)" }
        logger.info("status changed", metadata: metadata)
        if status.isFinal { Counter(label: Self.outcomeMetric, dimensions: [("status", status.rawValue)]).increment() }
    }
}

/// Exponential backoff with full jitter, capped.
public struct Backoff: Sendable, Hashable {
    public var base: Duration
    public var cap: Duration
    /// Jitter in [0, 1): 0 gives the deterministic upper bound (tests), 1 full jitter.
    public var jitter: Double

    public init(base: Duration = .seconds(2), cap: Duration = .seconds(300), jitter: Double = 0.5) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay before the attempt after `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let raw = base * (1 << exponent)
        let bounded = min(raw, cap)
        guard jitter > 0 else { return bounded }
        let factor = 1 - jitter * Double.random(in: 0..<1)
        return bounded * factor
    }
}
