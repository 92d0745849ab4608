#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProvisionerCore

// The small protocols the service layer works through. Adapters implement them:
// SQLite (local queue + status), local git and GitHub (publisher), AWS (SNS/SQS/DynamoDB).

// MARK: - Change requests (pull requests)

/// A change to propose to the infrastructure repository: one branch, one commit, one PR.
public struct ChangeRequest: Sendable, Hashable {
    public var requestId: String
    /// `rds/<environment>/<name>`
    public var branch: String
    /// `stacks/<environment>/<name>`: if this directory already exists on the base branch the
    /// database is already provisioned and the publisher refuses.
    public var stackPath: String
    /// Files to commit, paths relative to the repository root (all under `stackPath`).
    public var files: [StackFile]
    public var title: String
    public var body: String
    public var labels: [String]
    /// The commit message of the single commit.
    public var commitMessage: String

    public init(
        requestId: String, branch: String, stackPath: String, files: [StackFile], title: String, body: String,
        labels: [String], commitMessage: String
    ) {
        self.requestId = requestId
        self.branch = branch
        self.stackPath = stackPath
        self.files = files
        self.title = title
        self.body = body
        self.labels = labels
        self.commitMessage = commitMessage
    }
}

/// Why a publisher could not open the pull request.
public enum PublishError: Error, Sendable, Hashable {
    /// `stackPath` already exists on the base branch: the database was provisioned before.
    case alreadyProvisioned(stackPath: String)
    /// Worth trying again later (network, 5xx, rate limit). `retryAfter` when the server said.
    case transient(String, retryAfter: Duration?)
    /// Will not succeed by retrying (bad credentials, missing repository, rejected input).
    case permanent(String)
}

/// Opens change requests. Must be idempotent: publishing the same branch twice returns the
/// pull request that is already open for it (whatever request opened it; the caller compares
/// `PullRequestRef.requestId`), and never creates a second branch or pull request.
public protocol ChangeRequestPublisher: Sendable {
    func publish(_ change: ChangeRequest) async throws(PublishError) -> PullRequestRef
}

// MARK: - Request status

/// Result of claiming a stack for a request: one active request per stack at a time.
public enum StackClaim: Sendable, Hashable {
    /// This request holds the stack (newly, or it already did).
    case claimed
    /// Another request holds it; its id.
    case heldBy(requestId: String)
}

/// A change of status to record. The store creates the record if it does not exist yet
/// (on AWS the API does not write status; the worker's first write creates it).
public struct StatusUpdate: Sendable, Hashable {
    public var requestId: String
    public var status: RequestStatus
    public var at: Date
    public var reason: StatusReason?
    /// Set when known (the worker learns it on first decode).
    public var request: ProvisionRequest?
    public var validated: ValidatedRequest?
    public var pullRequest: PullRequestRef?

    public init(
        requestId: String, status: RequestStatus, at: Date, reason: StatusReason? = nil,
        request: ProvisionRequest? = nil, validated: ValidatedRequest? = nil, pullRequest: PullRequestRef? = nil
    ) {
        self.requestId = requestId
        self.status = status
        self.at = at
        self.reason = reason
        self.request = request
        self.validated = validated
        self.pullRequest = pullRequest
    }
}

public struct RequestFilter: Sendable, Hashable {
    public var status: RequestStatus?
    public var environment: String?
    public init(status: RequestStatus? = nil, environment: String? = nil) {
        self.status = status
        self.environment = environment
    }
}

public struct RequestPage: Sendable, Hashable {
    public var records: [RequestRecord]
    /// Opaque cursor for the next page; nil on the last page.
    public var nextCursor: String?
    public init(records: [RequestRecord], nextCursor: String?) {
        self.records = records
        self.nextCursor = nextCursor
    }
}

/// Thrown by `StatusStore.list` for a cursor it did not hand out (the API answers 400
/// `invalid_cursor` rather than 503).
public struct InvalidCursorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The cursor that was refused.
    public var cursor: String

    public init(cursor: String) {
        self.cursor = cursor
    }

    public var description: String {
        "the paging cursor is not one this service returned; start again without a cursor"
    }
}

/// Keeps request status. Statuses never go backwards (`RequestStatus.canMove(to:)`); an update
/// that would move backwards is ignored and the current record returned.
public protocol StatusStore: Sendable {
    func get(_ requestId: String) async throws -> RequestRecord?
    @discardableResult
    func apply(_ update: StatusUpdate) async throws -> RequestRecord
    /// One page of records. Throws `InvalidCursorError` for a cursor that is not one
    /// it returned as `nextCursor`.
    func list(_ filter: RequestFilter, limit: Int, cursor: String?) async throws -> RequestPage
    /// Claims `stackKey` for `requestId` unless another request holds it.
    func claim(stackKey: String, for requestId: String) async throws -> StackClaim
    /// Releases the claim if `requestId` holds it (after `rejected` or `failed`).
    func release(stackKey: String, for requestId: String) async throws
}

// MARK: - Queue

/// One received message, as SQS delivers it.
public struct QueueMessage: Sendable, Hashable {
    /// The queue's id for the message.
    public var messageId: String
    /// What to pass back to delete it or change its visibility (SQS receipt handle).
    public var receipt: String
    /// The body: an SNS notification envelope, or the raw request with raw delivery.
    public var body: String
    /// How many times it has been received, this time included (SQS ApproximateReceiveCount).
    public var receiveCount: Int

    public init(messageId: String, receipt: String, body: String, receiveCount: Int) {
        self.messageId = messageId
        self.receipt = receipt
        self.body = body
        self.receiveCount = receiveCount
    }
}

/// The consuming side of a queue with SQS semantics: a received message is hidden for the
/// visibility timeout, comes back if not deleted, and goes to the dead-letter queue after a
/// maximum number of receives.
public protocol MessageQueue: Sendable {
    /// Waits up to `wait` for at least one message; returns at most `maxMessages`.
    func receive(maxMessages: Int, visibilityTimeout: Duration, wait: Duration) async throws -> [QueueMessage]
    func delete(_ message: QueueMessage) async throws
    func changeVisibility(_ message: QueueMessage, timeout: Duration) async throws
}

/// Where the HTTP API hands an accepted request (the SQLite queue locally, SNS on AWS).
public protocol RequestIntake: Sendable {
    /// Stores the request durably, returning only once it is safe (on disk, or acknowledged by
    /// SNS). Throws `IntakeError.duplicate` when another active request holds the same stack.
    func submit(_ submission: Submission) async throws -> RequestRecord
}

public struct Submission: Sendable, Hashable {
    public var requestId: String
    public var validated: ValidatedRequest
    /// The message to enqueue: the SNS notification envelope the worker will receive.
    public var message: String
    public var receivedAt: Date

    public init(requestId: String, validated: ValidatedRequest, message: String, receivedAt: Date) {
        self.requestId = requestId
        self.validated = validated
        self.message = message
        self.receivedAt = receivedAt
    }
}

public enum IntakeError: Error, Sendable, Hashable {
    /// Another request for the same stack is queued, in progress, open or merged.
    case duplicate(existingRequestId: String, stackPath: String)
}
