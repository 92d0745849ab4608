import Foundation
import ProvisionerAWS
import Synchronization
import Testing
import TestSupport

/// The transport against a stub server: what it sends, how it reads errors, what it retries.
struct AWSClientTests {
    static func configuration(
        _ base: String, retry: AWSRetryPolicy = AWSRetryPolicy(maxAttempts: 3, base: .milliseconds(1), cap: .milliseconds(5)),
        transport: TransportKind = .socket
    ) -> AWSConfiguration {
        AWSConfiguration(
            region: "eu-west-1",
            credentials: StaticCredentialProvider(
                AWSCredentials(accessKeyId: "AKID", secretAccessKey: "secret-key", sessionToken: "session-token")),
            endpointOverrides: [.sqs: base, .dynamoDB: base, .sns: base, .secretsManager: base],
            transport: transport.transport, retry: retry)
    }

    static func jsonError(_ status: Int, _ type: String, _ message: String = "no") -> StubResponse {
        StubResponse(
            status: status, headers: ["Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "req-\(status)"],
            body: #"{"__type": "\#(type)", "message": "\#(message)"}"#)
    }

    @Test(arguments: TransportKind.allCases) func jsonCallsAreSignedAndTargeted(_ transport: TransportKind) async throws {
        let server = StubServer { _, _ in StubResponse(status: 200, body: #"{"MessageId": "m-1"}"#) }
        try await server.run { base in
            let sqs = try SQSClient(configuration: Self.configuration(base, transport: transport))
            #expect(try await sqs.sendMessage(queueURL: "\(base)/123456789012/q", body: "hello") == "m-1")
        }
        let request = try #require(server.received.first)
        #expect(request.method == "POST")
        #expect(request.path == "/")
        #expect(request.header("X-Amz-Target") == "AmazonSQS.SendMessage")
        #expect(request.header("Content-Type") == "application/x-amz-json-1.0")
        #expect(request.header("X-Amz-Security-Token") == "session-token")
        let authorization = try #require(request.header("Authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/"))
        #expect(authorization.contains("/eu-west-1/sqs/aws4_request"))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"))
        let body = try JSONDecoder().decode([String: String].self, from: Data(request.body.utf8))
        #expect(body["MessageBody"] == "hello")
    }

    @Test(arguments: TransportKind.allCases) func throttlingIsRetriedThenSucceeds(_ transport: TransportKind) async throws {
        let server = StubServer { _, index in
            switch index {
            case 1: Self.jsonError(400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException")
            case 2: Self.jsonError(503, "ServiceUnavailable")
            default: StubResponse(status: 200, body: #"{"Item": {"requestId": {"S": "r1"}}}"#)
            }
        }
        try await server.run { base in
            let dynamo = try DynamoDBClient(configuration: Self.configuration(base, transport: transport))
            let item = try await dynamo.getItem(table: "t", key: ["requestId": .s("r1")])
            #expect(item?["requestId"] == .s("r1"))
        }
        #expect(server.count == 3)
    }

    @Test(arguments: TransportKind.allCases) func retriesStopAtTheAttemptLimit(_ transport: TransportKind) async throws {
        let server = StubServer { _, _ in Self.jsonError(500, "InternalServerError", "boom") }
        try await server.run { base in
            let dynamo = try DynamoDBClient(configuration: Self.configuration(base, transport: transport))
            do {
                _ = try await dynamo.getItem(table: "t", key: ["requestId": .s("r1")])
                Issue.record("expected an error")
            } catch let error as AWSError {
                #expect(error.kind == .serverError)
                #expect(error.statusCode == 500)
                #expect(error.requestId == "req-500")
                #expect(error.operation == "GetItem")
                #expect(error.message == "boom")
            }
        }
        #expect(server.count == 3)
    }

    @Test func retriesStopWhenTheBudgetIsSpent() async throws {
        let server = StubServer { _, _ in Self.jsonError(400, "ThrottlingException") }
        try await server.run { base in
            let policy = AWSRetryPolicy(maxAttempts: 50, base: .milliseconds(20), cap: .milliseconds(20), budget: .milliseconds(1))
            let dynamo = try DynamoDBClient(configuration: Self.configuration(base, retry: policy))
            await #expect(throws: AWSError.self) { try await dynamo.getItem(table: "t", key: ["requestId": .s("r1")]) }
        }
        // A delay in [0, 20 ms] fits a 1 ms budget only when tiny: far fewer than 50 attempts.
        #expect(server.count < 50)
    }

    @Test(arguments: [
        ("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", 400, AWSError.Kind.conditionalCheckFailed),
        ("AccessDeniedException", 400, .accessDenied),
        ("UnrecognizedClientException", 400, .accessDenied),
        ("com.amazonaws.dynamodb.v20120810#ValidationException", 400, .validation),
        ("com.amazonaws.sqs#QueueDoesNotExist", 400, .notFound),
        ("ResourceNotFoundException", 400, .notFound),
        ("SomethingElse", 400, .client),
    ])
    func permanentErrorsAreNotRetriedAndAreDistinguishable(_ type: String, _ status: Int, _ kind: AWSError.Kind) async throws {
        let server = StubServer { _, _ in Self.jsonError(status, type) }
        try await server.run { base in
            let dynamo = try DynamoDBClient(configuration: Self.configuration(base))
            do {
                try await dynamo.putItem(table: "t", item: ["requestId": .s("r1")])
                Issue.record("expected an error")
            } catch let error as AWSError {
                #expect(error.kind == kind)
                #expect(!error.isRetryable)
                #expect(!error.code.contains("#"))
            }
        }
        #expect(server.count == 1)
    }

    @Test(arguments: TransportKind.allCases) func queryErrorsAreReadFromXML(_ transport: TransportKind) async throws {
        let server = StubServer { _, index in
            index == 1
                ? StubResponse(
                    status: 400,
                    body: """
                        <ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>\
                        <Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>
                        """)
                : StubResponse(
                    status: 403,
                    body: """
                        <ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code>\
                        <Message>User: x is not authorized to perform: SNS:Publish &amp; more</Message></Error>\
                        <RequestId>r-2</RequestId></ErrorResponse>
                        """)
        }
        try await server.run { base in
            let sns = try SNSClient(configuration: Self.configuration(base, transport: transport))
            do {
                _ = try await sns.publish(topicARN: "arn:aws:sns:eu-west-1:123456789012:t", message: "m")
                Issue.record("expected an error")
            } catch let error as AWSError {
                #expect(error.code == "AuthorizationError")
                #expect(error.kind == .accessDenied)
                #expect(error.message == "User: x is not authorized to perform: SNS:Publish & more")
                #expect(error.requestId == "r-2")
            }
        }
        #expect(server.count == 2)  // the throttled first attempt was retried
        let form = try #require(server.received.first?.body)
        #expect(form.contains("Action=Publish"))
        #expect(form.contains("TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%3At"))
    }

    @Test(arguments: TransportKind.allCases) func noAnswerIsATransportErrorAndRetried(_ transport: TransportKind) async throws {
        // A port nothing listens on: connection refused.
        let port = try MotoServer.freePort()
        let dynamo = try DynamoDBClient(configuration: Self.configuration("http://127.0.0.1:\(port)", transport: transport))
        do {
            _ = try await dynamo.getItem(table: "t", key: ["requestId": .s("r1")])
            Issue.record("expected an error")
        } catch let error as AWSError {
            #expect(error.kind == .transport)
            #expect(error.statusCode == nil)
            #expect(error.isRetryable)
        }
    }

    @Test func xmlScanReadsWhatTheQueryProtocolNeeds() {
        let xml = """
            <?xml version="1.0"?><PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
            <PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>
            <ResponseMetadata><RequestId>f187a3c1</RequestId></ResponseMetadata></PublishResponse>
            """
        #expect(XMLScan.firstText(of: "MessageId", in: xml) == "94f20ce6-13c5-43a0-9a9e-ca52d816e90b")
        #expect(XMLScan.firstText(of: "RequestId", in: xml) == "f187a3c1")
        #expect(XMLScan.firstText(of: "Message", in: xml) == nil)  // MessageId is not Message
        #expect(XMLScan.allTexts(of: "m", in: "<m>a &lt;b&gt; &#233;&#x41;</m><m/><m>c</m>") == ["a <b> éA", "", "c"])
    }
}
