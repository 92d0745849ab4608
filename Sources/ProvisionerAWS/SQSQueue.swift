import ProvisionerService

/// `MessageQueue` on an SQS queue (the queue SNS delivers requests to).
/// `ApproximateReceiveCount` becomes `receiveCount`, the receipt handle `receipt`. Waits are
/// clamped to SQS's limits (long poll ≤ 20 s, 1…10 messages, visibility ≤ 12 h) and rounded up
/// to whole seconds.
public struct SQSQueue: MessageQueue {
    public let client: SQSClient
    public let queueURL: String

    public init(client: SQSClient, queueURL: String) {
        self.client = client
        self.queueURL = queueURL
    }

    public func receive(maxMessages: Int, visibilityTimeout: Duration, wait: Duration) async throws -> [QueueMessage] {
        let messages = try await client.receiveMessage(
            queueURL: queueURL, maxNumberOfMessages: min(max(maxMessages, 1), 10),
            waitTimeSeconds: Self.seconds(wait, max: 20), visibilityTimeout: Self.seconds(visibilityTimeout, max: 43_200))
        return messages.map { message in
            QueueMessage(
                messageId: message.messageId, receipt: message.receiptHandle, body: message.body,
                receiveCount: message.attributes["ApproximateReceiveCount"].flatMap(Int.init) ?? 1)
        }
    }

    public func delete(_ message: QueueMessage) async throws {
        try await client.deleteMessage(queueURL: queueURL, receiptHandle: message.receipt)
    }

    public func changeVisibility(_ message: QueueMessage, timeout: Duration) async throws {
        try await client.changeMessageVisibility(
            queueURL: queueURL, receiptHandle: message.receipt, visibilityTimeout: Self.seconds(timeout, max: 43_200))
    }

    /// Whole seconds, rounded up, within 0…max.
    static func seconds(_ duration: Duration, max limit: Int) -> Int {
        let (seconds, attoseconds) = duration.components
        let rounded = seconds + (attoseconds > 0 ? 1 : 0)
        return Int(min(max(rounded, 0), Int64(limit)))
    }
}
