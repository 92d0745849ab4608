#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProvisionerCore

/// The notification SNS delivers to an SQS queue when raw message delivery is off. The local
/// API enqueues exactly this shape, so the worker reads the same bytes in both worlds.
/// The request id is the SNS `MessageId` (API Gateway answers it to the caller).
public struct SNSEnvelope: Sendable, Hashable, Encodable, JSONReadable {
    public var type: String
    public var messageId: String
    public var topicArn: String
    public var message: String
    public var timestamp: String
    public var signatureVersion: String?

    enum CodingKeys: String, CodingKey {
        case type = "Type"
        case messageId = "MessageId"
        case topicArn = "TopicArn"
        case message = "Message"
        case timestamp = "Timestamp"
        case signatureVersion = "SignatureVersion"
    }

    /// Reads a notification (by hand: every message is one). SNS's other members (`Signature`,
    /// `SigningCertURL`, `UnsubscribeURL`, `MessageAttributes`…) are skipped.
    public init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var type, messageId, topicArn, message, timestamp, signatureVersion: String?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            switch key {
            case "Type": type = try reader.readString()
            case "MessageId": messageId = try reader.readString()
            case "TopicArn": topicArn = try reader.readString()
            case "Message": message = try reader.readString()
            case "Timestamp": timestamp = try reader.readString()
            case "SignatureVersion": signatureVersion = try reader.readOptionalString()
            default: break
            }
        }
        self.type = try reader.required(type, "Type", in: "the SNS notification")
        self.messageId = try reader.required(messageId, "MessageId", in: "the SNS notification")
        self.topicArn = try reader.required(topicArn, "TopicArn", in: "the SNS notification")
        self.message = try reader.required(message, "Message", in: "the SNS notification")
        self.timestamp = try reader.required(timestamp, "Timestamp", in: "the SNS notification")
        self.signatureVersion = signatureVersion
    }

    public init(messageId: String, topicArn: String, message: String, timestamp: Date) {
        self.type = "Notification"
        self.messageId = messageId
        self.topicArn = topicArn
        self.message = message
        self.timestamp = PublicJSON.formatTimestamp(timestamp)
        self.signatureVersion = "1"
    }

    /// The topic ARN the embedded mode uses in its envelopes.
    public static let localTopicArn = "arn:aws:sns:local:000000000000:rds-provisioner-requests"

    /// The envelope as JSON: the bytes `PublicJSON.encoder()` would write (sorted keys), written
    /// by hand because every accepted request needs one.
    public func encoded() -> String {
        PublicJSON.object([
            "Message": message, "MessageId": messageId, "SignatureVersion": signatureVersion, "Timestamp": timestamp,
            "TopicArn": topicArn, "Type": type,
        ])
    }

    /// What a queue message carries: the request id and the request body.
    public struct Unwrapped: Sendable, Hashable {
        public var requestId: String
        public var body: String
    }

    /// Reads a queue message body. An SNS notification yields its `MessageId` and `Message`;
    /// any other body is taken as a raw-delivered request identified by the queue message id.
    public static func unwrap(_ message: QueueMessage) -> Unwrapped {
        let bytes = Array(message.body.utf8)
        if bytes.first == UInt8(ascii: "{"),
            let envelope = try? SNSEnvelope(jsonBytes: bytes),
            envelope.type == "Notification"
        {
            return Unwrapped(requestId: envelope.messageId, body: envelope.message)
        }
        return Unwrapped(requestId: message.messageId, body: message.body)
    }
}
