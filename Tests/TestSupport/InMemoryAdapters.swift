import Foundation
import ProvisionerCore
import ProvisionerService

/// In-memory stand-ins for the service protocols, for tests of the service layer only
/// (adapters are tested against real SQLite files, git repositories and HTTP servers).

public actor InMemoryStatusStore: StatusStore {
    public private(set) var records: [String: RequestRecord] = [:]
    public private(set) var claims: [String: String] = [:]
    public private(set) var applied: [StatusUpdate] = []

    public init() {}

    public func get(_ requestId: String) async throws -> RequestRecord? { records[requestId] }

    public func apply(_ update: StatusUpdate) async throws -> RequestRecord {
        applied.append(update)
        let change = StatusChange(status: update.status, at: update.at, reason: update.reason)
        guard var record = records[update.requestId] else {
            let record = RequestRecord(
                requestId: update.requestId, status: update.status, request: update.request ?? update.validated?.request,
                clusterIdentifier: update.validated?.clusterIdentifier, stackPath: update.validated?.stackPath,
                branch: update.validated?.branch, pullRequest: update.pullRequest, reason: update.reason,
                history: [change], createdAt: update.at, updatedAt: update.at)
            records[update.requestId] = record
            return record
        }
        guard record.status.canMove(to: update.status) else { return record }
        record.status = update.status
        record.history.append(change)
        record.updatedAt = update.at
        if let reason = update.reason { record.reason = reason }
        if let pull = update.pullRequest { record.pullRequest = pull }
        if let validated = update.validated {
            record.request = validated.request
            record.clusterIdentifier = validated.clusterIdentifier
            record.stackPath = validated.stackPath
            record.branch = validated.branch
        }
        records[update.requestId] = record
        return record
    }

    public func list(_ filter: RequestFilter, limit: Int, cursor: String?) async throws -> RequestPage {
        let matching = records.values
            .filter { filter.status == nil || $0.status == filter.status }
            .filter { filter.environment == nil || $0.request?.environment == filter.environment }
            .sorted { $0.createdAt > $1.createdAt }
        return RequestPage(records: Array(matching.prefix(limit)), nextCursor: nil)
    }

    public func claim(stackKey: String, for requestId: String) async throws -> StackClaim {
        if let holder = claims[stackKey], holder != requestId { return .heldBy(requestId: holder) }
        claims[stackKey] = requestId
        return .claimed
    }

    public func release(stackKey: String, for requestId: String) async throws {
        if claims[stackKey] == requestId { claims[stackKey] = nil }
    }

    public func statuses(of requestId: String) -> [RequestStatus] {
        records[requestId]?.history.map(\.status) ?? []
    }
}

/// Records every change it is asked to publish; behaves like an idempotent publisher (one pull
/// request per branch) and can be told to fail.
public actor RecordingPublisher: ChangeRequestPublisher {
    public private(set) var published: [ChangeRequest] = []
    public private(set) var pulls: [String: PullRequestRef] = [:]
    public private(set) var attempts = 0
    /// Failures to throw, in order, before succeeding.
    public var failures: [PublishError] = []
    public var provisionedStacks: Set<String> = []

    public init(failures: [PublishError] = [], provisionedStacks: Set<String> = []) {
        self.failures = failures
        self.provisionedStacks = provisionedStacks
    }

    public func publish(_ change: ChangeRequest) async throws(PublishError) -> PullRequestRef {
        attempts += 1
        if !failures.isEmpty { throw failures.removeFirst() }
        if provisionedStacks.contains(change.stackPath) { throw .alreadyProvisioned(stackPath: change.stackPath) }
        if let existing = pulls[change.branch] { return existing }
        published.append(change)
        let pull = PullRequestRef(
            number: pulls.count + 1, url: "local://pulls/\(pulls.count + 1)", branch: change.branch,
            requestId: change.requestId)
        pulls[change.branch] = pull
        return pull
    }
}

/// A renderer that writes one small file per stack: the service layer's tests do not need Terraform.
public struct StubRenderer: ChangeRequestRenderer {
    public init() {}
    public func changeRequest(for request: ValidatedRequest, requestId: String) throws -> ChangeRequest {
        ChangeRequest(
            requestId: requestId, branch: request.branch, stackPath: request.stackPath,
            files: [StackFile(path: "\(request.stackPath)/main.tf", contents: "# \(request.clusterIdentifier)\n")],
            title: "Provision \(request.clusterIdentifier)", body: "request \(requestId)", labels: ["rds-provisioner"],
            commitMessage: "Provision \(request.clusterIdentifier)")
    }
}

/// A queue with SQS semantics and a manual clock: messages become visible again only when the
/// test advances time past their visibility timeout.
public actor InMemoryQueue: MessageQueue {
    struct Entry {
        var message: QueueMessage
        var visibleAt: Duration
    }

    public private(set) var now: Duration = .zero
    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var receipts = 0
    public private(set) var deleted: [String] = []
    private var deletionWaiters: [(Int, CheckedContinuation<Void, Never>)] = []

    public init() {}

    /// Returns once `count` messages in all have been deleted.
    public func waitForDeletions(_ count: Int) async {
        if deleted.count >= count { return }
        await withCheckedContinuation { deletionWaiters.append((count, $0)) }
    }

    public func send(body: String, id: String = UUID().uuidString) {
        entries[id] = Entry(message: QueueMessage(messageId: id, receipt: "", body: body, receiveCount: 0), visibleAt: .zero)
        order.append(id)
    }

    public func advance(by duration: Duration) { now += duration }

    public var count: Int { entries.count }

    public func receive(maxMessages: Int, visibilityTimeout: Duration, wait: Duration) async throws -> [QueueMessage] {
        var out: [QueueMessage] = []
        for id in order where out.count < maxMessages {
            guard var entry = entries[id], entry.visibleAt <= now else { continue }
            receipts += 1
            entry.message.receipt = "\(id)#\(receipts)"
            entry.message.receiveCount += 1
            entry.visibleAt = now + visibilityTimeout
            entries[id] = entry
            out.append(entry.message)
        }
        if out.isEmpty { try await Task.sleep(for: wait) }  // long polling, roughly
        return out
    }

    public func delete(_ message: QueueMessage) async throws {
        guard let entry = entries[message.messageId], entry.message.receipt == message.receipt else { return }
        entries[message.messageId] = nil
        order.removeAll { $0 == message.messageId }
        deleted.append(message.messageId)
        let ready = deletionWaiters.filter { $0.0 <= deleted.count }
        deletionWaiters.removeAll { $0.0 <= deleted.count }
        for (_, continuation) in ready { continuation.resume() }
    }

    public func changeVisibility(_ message: QueueMessage, timeout: Duration) async throws {
        guard var entry = entries[message.messageId], entry.message.receipt == message.receipt else { return }
        entry.visibleAt = now + timeout
        entries[message.messageId] = entry
    }
}
