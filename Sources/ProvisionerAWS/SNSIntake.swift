import ProvisionerCore
import ProvisionerService

/// `RequestIntake` on an SNS topic: publishes the request body (the raw request JSON, not the
/// envelope: SNS wraps the message in its own notification envelope) and answers a `queued`
/// record whose request id is the SNS `MessageId`, the id the worker will see.
///
/// On AWS there is no duplicate check at intake (SNS is not a database): the worker finds a
/// duplicate through the status table's stack claim and records it as `rejected`
/// (`duplicate_request`). So `submit` never throws `IntakeError.duplicate`.
public struct SNSIntake: RequestIntake {
    public let client: SNSClient
    public let topicARN: String

    public init(client: SNSClient, topicARN: String) {
        self.client = client
        self.topicARN = topicARN
    }

    public func submit(_ submission: Submission) async throws -> RequestRecord {
        let body = Self.requestBody(of: submission)
        let messageId = try await client.publish(topicARN: topicARN, message: body)
        return RequestRecord.queued(messageId, submission.validated, at: submission.receivedAt)
    }

    /// The raw request JSON: the `Message` of the submission's SNS envelope (or the message
    /// itself when it is not an envelope).
    static func requestBody(of submission: Submission) -> String {
        SNSEnvelope.unwrap(
            QueueMessage(messageId: submission.requestId, receipt: "", body: submission.message, receiveCount: 0)
        ).body
    }
}
