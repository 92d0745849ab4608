#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Amazon SQS over the AWS JSON 1.0 protocol (`X-Amz-Target: AmazonSQS.<Operation>`), the
/// protocol current SQS and the SDKs use.
public struct SQSClient: Sendable {
    public let client: AWSClient

    public init(configuration: AWSConfiguration) throws {
        client = try AWSClient(service: .sqs, configuration: configuration)
    }

    /// One received message.
    public struct Message: Sendable, Hashable, Decodable {
        public var messageId: String
        public var receiptHandle: String
        public var body: String
        public var md5OfBody: String?
        /// System attributes asked for (`ApproximateReceiveCount`, `SentTimestamp`…).
        public var attributes: [String: String]

        enum CodingKeys: String, CodingKey {
            case messageId = "MessageId"
            case receiptHandle = "ReceiptHandle"
            case body = "Body"
            case md5OfBody = "MD5OfBody"
            case attributes = "Attributes"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            messageId = try container.decode(String.self, forKey: .messageId)
            receiptHandle = try container.decode(String.self, forKey: .receiptHandle)
            body = try container.decodeIfPresent(String.self, forKey: .body) ?? ""
            md5OfBody = try container.decodeIfPresent(String.self, forKey: .md5OfBody)
            attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        }
    }

    struct ReceiveInput: Encodable, Sendable {
        var QueueUrl: String
        var MaxNumberOfMessages: Int
        var WaitTimeSeconds: Int
        var VisibilityTimeout: Int?
        var AttributeNames: [String]
        var MessageSystemAttributeNames: [String]
    }

    struct ReceiveOutput: Decodable {
        var Messages: [Message]?
    }

    /// `ReceiveMessage`: long-polls up to `waitTimeSeconds` (0…20) for up to
    /// `maxNumberOfMessages` (1…10). `systemAttributes` are asked for under both
    /// `AttributeNames` (older endpoints) and `MessageSystemAttributeNames`.
    public func receiveMessage(
        queueURL: String, maxNumberOfMessages: Int = 1, waitTimeSeconds: Int = 20, visibilityTimeout: Int? = nil,
        systemAttributes: [String] = ["ApproximateReceiveCount"]
    ) async throws -> [Message] {
        let input = ReceiveInput(
            QueueUrl: queueURL, MaxNumberOfMessages: maxNumberOfMessages, WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibilityTimeout, AttributeNames: systemAttributes,
            MessageSystemAttributeNames: systemAttributes)
        let output = try await client.json(
            target: "AmazonSQS.ReceiveMessage", input: input, output: ReceiveOutput.self,
            timeout: .seconds(waitTimeSeconds + 10))
        return output.Messages ?? []
    }

    struct DeleteInput: Encodable, Sendable {
        var QueueUrl: String
        var ReceiptHandle: String
    }

    public func deleteMessage(queueURL: String, receiptHandle: String) async throws {
        _ = try await client.json(
            target: "AmazonSQS.DeleteMessage", input: DeleteInput(QueueUrl: queueURL, ReceiptHandle: receiptHandle),
            output: JSONValue.self)
    }

    /// One entry of a batch delete.
    public struct BatchEntry: Sendable, Hashable, Codable {
        public var id: String
        public var receiptHandle: String
        public init(id: String, receiptHandle: String) {
            self.id = id
            self.receiptHandle = receiptHandle
        }
        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case receiptHandle = "ReceiptHandle"
        }
    }

    /// An entry a batch call could not handle.
    public struct BatchFailure: Sendable, Hashable, Decodable {
        public var id: String
        public var code: String
        public var message: String?
        public var senderFault: Bool
        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case code = "Code"
            case message = "Message"
            case senderFault = "SenderFault"
        }
    }

    struct DeleteBatchInput: Encodable, Sendable {
        var QueueUrl: String
        var Entries: [BatchEntry]
    }

    struct BatchOutput: Decodable {
        struct Success: Decodable { var Id: String }
        var Successful: [Success]?
        var Failed: [BatchFailure]?
    }

    /// `DeleteMessageBatch` (up to 10 entries): the ids deleted and the failures.
    public func deleteMessageBatch(queueURL: String, entries: [BatchEntry]) async throws -> (
        deleted: [String], failed: [BatchFailure]
    ) {
        let output = try await client.json(
            target: "AmazonSQS.DeleteMessageBatch", input: DeleteBatchInput(QueueUrl: queueURL, Entries: entries),
            output: BatchOutput.self)
        return ((output.Successful ?? []).map(\.Id), output.Failed ?? [])
    }

    struct VisibilityInput: Encodable, Sendable {
        var QueueUrl: String
        var ReceiptHandle: String
        var VisibilityTimeout: Int
    }

    /// `ChangeMessageVisibility`: the message becomes visible `visibilityTimeout` seconds (0…43200) from now.
    public func changeMessageVisibility(queueURL: String, receiptHandle: String, visibilityTimeout: Int) async throws {
        _ = try await client.json(
            target: "AmazonSQS.ChangeMessageVisibility",
            input: VisibilityInput(QueueUrl: queueURL, ReceiptHandle: receiptHandle, VisibilityTimeout: visibilityTimeout),
            output: JSONValue.self)
    }

    struct SendInput: Encodable, Sendable {
        var QueueUrl: String
        var MessageBody: String
        var DelaySeconds: Int?
    }

    struct SendOutput: Decodable {
        var MessageId: String
    }

    /// `SendMessage`: returns the message id.
    @discardableResult
    public func sendMessage(queueURL: String, body: String, delaySeconds: Int? = nil) async throws -> String {
        try await client.json(
            target: "AmazonSQS.SendMessage", input: SendInput(QueueUrl: queueURL, MessageBody: body, DelaySeconds: delaySeconds),
            output: SendOutput.self
        ).MessageId
    }
}
