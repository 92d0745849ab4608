#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Why a request ended `rejected` or `failed`: a stable code and a sentence.
public struct StatusReason: Sendable, Hashable, Codable {
    public var code: String
    public var field: String?
    public var message: String

    public init(code: String, field: String? = nil, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public init(_ error: RequestError) {
        self.init(code: error.code.rawValue, field: error.field, message: error.message)
    }
}

/// One entry of a request's status history.
public struct StatusChange: Sendable, Hashable, Codable {
    public var status: RequestStatus
    public var at: Date
    public var reason: StatusReason?

    public init(status: RequestStatus, at: Date, reason: StatusReason? = nil) {
        self.status = status
        self.at = at
        self.reason = reason
    }
}

/// The pull request (on GitHub, or a local record) that carries a request's stack.
public struct PullRequestRef: Sendable, Hashable, Codable {
    public var number: Int
    public var url: String
    public var branch: String
    /// The request that opened it (a redelivery or a racing duplicate finds it by branch).
    public var requestId: String?

    public init(number: Int, url: String, branch: String, requestId: String?) {
        self.number = number
        self.url = url
        self.branch = branch
        self.requestId = requestId
    }
}

/// Everything known about one request: what `GET /requests/{id}` returns, what the status
/// store keeps (SQLite locally, one DynamoDB item on AWS; the same shape in both).
public struct RequestRecord: Sendable, Hashable, Codable {
    public var requestId: String
    public var status: RequestStatus
    /// The request as sent (normalised). Absent only when the message could not be decoded.
    public var request: ProvisionRequest?
    public var clusterIdentifier: String?
    public var stackPath: String?
    public var branch: String?
    public var pullRequest: PullRequestRef?
    public var reason: StatusReason?
    public var history: [StatusChange]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        requestId: String, status: RequestStatus, request: ProvisionRequest?, clusterIdentifier: String? = nil,
        stackPath: String? = nil, branch: String? = nil, pullRequest: PullRequestRef? = nil,
        reason: StatusReason? = nil, history: [StatusChange], createdAt: Date, updatedAt: Date
    ) {
        self.requestId = requestId
        self.status = status
        self.request = request
        self.clusterIdentifier = clusterIdentifier
        self.stackPath = stackPath
        self.branch = branch
        self.pullRequest = pullRequest
        self.reason = reason
        self.history = history
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// A new record for an accepted request.
    public static func queued(_ requestId: String, _ validated: ValidatedRequest, at: Date) -> RequestRecord {
        RequestRecord(
            requestId: requestId, status: .queued, request: validated.request,
            clusterIdentifier: validated.clusterIdentifier, stackPath: validated.stackPath, branch: validated.branch,
            history: [StatusChange(status: .queued, at: at)], createdAt: at, updatedAt: at)
    }
}

// The record is written on every status change (the DynamoDB item carries it as JSON), so it
// writes itself: the same bytes as `PublicJSON.encoder()` (sorted keys, nil members left out,
// timestamps as `formatTimestamp`), which a test holds it to.
extension RequestRecord: JSONWritable {
    public func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        object.string("branch", branch, &output)
        object.string("clusterIdentifier", clusterIdentifier, &output)
        object.string("createdAt", PublicJSON.formatTimestamp(createdAt), &output)
        object.key("history", &output)
        output.append("[")
        for (index, change) in history.enumerated() {
            if index > 0 { output.append(",") }
            var entry = JSONObjectWriter(&output)
            entry.string("at", PublicJSON.formatTimestamp(change.at), &output)
            if let reason = change.reason {
                entry.key("reason", &output)
                reason.writeJSON(to: &output)
            }
            entry.string("status", change.status.rawValue, &output)
            entry.end(&output)
        }
        output.append("]")
        if let pullRequest {
            object.key("pullRequest", &output)
            var pull = JSONObjectWriter(&output)
            pull.string("branch", pullRequest.branch, &output)
            pull.key("number", &output)
            output.append(String(pullRequest.number))
            pull.string("requestId", pullRequest.requestId, &output)
            pull.string("url", pullRequest.url, &output)
            pull.end(&output)
        }
        if let reason {
            object.key("reason", &output)
            reason.writeJSON(to: &output)
        }
        if let request {
            object.key("request", &output)
            var body = JSONObjectWriter(&output)
            body.string("databaseEngine", request.databaseEngine.rawValue, &output)
            body.string("databaseName", request.databaseName, &output)
            body.string("environment", request.environment, &output)
            body.string("owner", request.owner, &output)
            body.end(&output)
        }
        object.string("requestId", requestId, &output)
        object.string("stackPath", stackPath, &output)
        object.string("status", status.rawValue, &output)
        object.string("updatedAt", PublicJSON.formatTimestamp(updatedAt), &output)
        object.end(&output)
    }
}

extension StatusReason: JSONWritable {
    public func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        object.string("code", code, &output)
        object.string("field", field, &output)
        object.string("message", message, &output)
        object.end(&output)
    }
}
