import Foundation
import ProvisionerAWS
import ProvisionerCore
import ProvisionerService
import TestSupport

/// Clients pointed at the shared moto_server, and the setup calls tests need (queues, topics,
/// subscriptions, tables, secrets) made through the package's own generic protocol calls.
struct MotoFixture {
    let configuration: AWSConfiguration
    let sqs: SQSClient
    let sns: SNSClient
    let dynamoDB: DynamoDBClient
    let secrets: SecretsManagerClient

    static let seedBody = #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}"#

    static func make() async throws -> MotoFixture {
        let configuration = try await MotoServer.configuration()
        return MotoFixture(
            configuration: configuration, sqs: try SQSClient(configuration: configuration),
            sns: try SNSClient(configuration: configuration), dynamoDB: try DynamoDBClient(configuration: configuration),
            secrets: try SecretsManagerClient(configuration: configuration))
    }

    /// Creates a queue; returns its URL and ARN.
    func createQueue(_ name: String, attributes: [String: String] = [:]) async throws -> (url: String, arn: String) {
        var input: [String: JSONValue] = ["QueueName": .string(name)]
        if !attributes.isEmpty { input["Attributes"] = .object(attributes.mapValues(JSONValue.string)) }
        let created = try await sqs.client.json(target: "AmazonSQS.CreateQueue", input: JSONValue.object(input), output: JSONValue.self)
        let url = try required(created["QueueUrl"]?.stringValue, "QueueUrl")
        let attributes = try await sqs.client.json(
            target: "AmazonSQS.GetQueueAttributes", input: ["QueueUrl": .string(url), "AttributeNames": ["QueueArn"]] as JSONValue,
            output: JSONValue.self)
        return (url, try required(attributes["Attributes"]?["QueueArn"]?.stringValue, "QueueArn"))
    }

    /// A queue with a dead-letter queue after `maxReceiveCount` receives.
    func createQueueWithDeadLetterQueue(_ name: String, maxReceiveCount: Int = 3) async throws -> (
        queue: (url: String, arn: String), deadLetter: (url: String, arn: String)
    ) {
        let deadLetter = try await createQueue(name + "-dlq")
        let policy = #"{"deadLetterTargetArn": "\#(deadLetter.arn)", "maxReceiveCount": "\#(maxReceiveCount)"}"#
        let queue = try await createQueue(name, attributes: ["RedrivePolicy": policy])
        return (queue, deadLetter)
    }

    func createTopic(_ name: String) async throws -> String {
        let xml = try await sns.call("CreateTopic", [("Name", name)])
        return try required(XMLScan.firstText(of: "TopicArn", in: xml), "TopicArn")
    }

    func subscribe(topicARN: String, queueARN: String, rawDelivery: Bool) async throws {
        let xml = try await sns.call("Subscribe", [("TopicArn", topicARN), ("Protocol", "sqs"), ("Endpoint", queueARN)])
        let subscription = try required(XMLScan.firstText(of: "SubscriptionArn", in: xml), "SubscriptionArn")
        _ = try await sns.call(
            "SetSubscriptionAttributes",
            [("SubscriptionArn", subscription), ("AttributeName", "RawMessageDelivery"), ("AttributeValue", rawDelivery ? "true" : "false")])
    }

    func createSecret(_ name: String, _ value: String) async throws {
        _ = try await secrets.client.json(
            target: "secretsmanager.CreateSecret", input: ["Name": .string(name), "SecretString": .string(value)] as JSONValue,
            output: JSONValue.self, jsonVersion: "1.1")
    }

    func putSecretValue(_ name: String, _ value: String) async throws {
        _ = try await secrets.client.json(
            target: "secretsmanager.PutSecretValue", input: ["SecretId": .string(name), "SecretString": .string(value)] as JSONValue,
            output: JSONValue.self, jsonVersion: "1.1")
    }

    func createStatusTable(_ name: String) async throws -> DynamoDBStatusStore {
        try await DynamoDBStatusStore.createTable(dynamoDB, name: name)
        return DynamoDBStatusStore(client: dynamoDB, tableName: name)
    }

    private func required(_ value: String?, _ what: String) throws -> String {
        guard let value, !value.isEmpty else { throw TestSupportError("moto's answer has no \(what)") }
        return value
    }

    /// The seed request as the HTTP API hands it to the intake.
    static func submission(body: String = seedBody, receivedAt: Date = Date()) -> Submission {
        let validated = ValidatedRequest(
            request: ProvisionRequest(databaseName: "orders", databaseEngine: .postgresql, environment: "Dev"),
            environmentSlug: "dev", clusterIdentifier: "orders-dev", stackPath: "stacks/dev/orders", branch: "rds/dev/orders")
        let requestId = UUID().uuidString.lowercased()
        let envelope = SNSEnvelope(messageId: requestId, topicArn: SNSEnvelope.localTopicArn, message: body, timestamp: receivedAt)
        return Submission(requestId: requestId, validated: validated, message: envelope.encoded(), receivedAt: receivedAt)
    }
}
