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
