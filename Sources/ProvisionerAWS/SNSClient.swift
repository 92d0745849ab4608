/// Amazon SNS over the AWS Query protocol (form-encoded request, XML response).
public struct SNSClient: Sendable {
    public let client: AWSClient
    /// The SNS API version of the Query protocol.
    public static let apiVersion = "2010-03-31"

    public init(configuration: AWSConfiguration) throws {
        client = try AWSClient(service: .sns, configuration: configuration)
    }

    /// `Publish`: returns the `MessageId` SNS gave the message.
    public func publish(topicARN: String, message: String, subject: String? = nil) async throws -> String {
        var parameters: [(name: String, value: String)] = [("TopicArn", topicARN), ("Message", message)]
        if let subject { parameters.append(("Subject", subject)) }
        let xml = try await call("Publish", parameters)
        guard let messageId = XMLScan.firstText(of: "MessageId", in: xml), !messageId.isEmpty else {
            throw AWSError(
                code: "InvalidResponse", message: "the Publish response has no MessageId", statusCode: 200,
                requestId: XMLScan.firstText(of: "RequestId", in: xml), service: "sns", operation: "Publish")
        }
        return messageId
    }

    /// Any other SNS action (`CreateTopic`, `Subscribe`, `SetSubscriptionAttributes`…): returns the XML.
    public func call(_ action: String, _ parameters: [(name: String, value: String)]) async throws -> String {
        try await client.query(action: action, version: Self.apiVersion, parameters: parameters)
    }
}
