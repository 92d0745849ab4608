import Foundation
import ProvisionerCore
import ProvisionerService
import Testing
import TestSupport

/// The hand-written JSON of the hot paths must be byte for byte what `PublicJSON.encoder()`
/// writes, whatever the strings hold.
struct PublicJSONWriterTests {
    /// Strings mixing ASCII, every control character, quotes, backslashes, slashes and
    /// multi-byte characters.
    static func randomStrings(count: Int, seed: UInt64) -> [String] {
        var generator = SeededGenerator(seed: seed)
        let pieces: [String] = (0..<32).map { String(UnicodeScalar(UInt8($0))) }
            + ["\"", "\\", "/", "a", "Z", "0", " ", "é", "€", "😀", "\u{7F}", "\u{2028}", "{", "}", ":", ","]
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...24, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
        } + ["", "plain", "\u{0}", "\"\\\"", "a/b"]
    }

    @Test func stringsAreEscapedAsTheEncoderEscapesThem() throws {
        for text in Self.randomStrings(count: 2_000, seed: 7) {
            var written = ""
            PublicJSON.appendString(text, to: &written)
            let encoded = String(decoding: try PublicJSON.encoder().encode([text]), as: UTF8.self)
            #expect("[" + written + "]" == encoded, "\(Array(text.unicodeScalars))")
        }
    }

    @Test func theSNSEnvelopeIsWhatTheEncoderWrites() throws {
        let strings = Self.randomStrings(count: 300, seed: 11)
        for (index, message) in strings.enumerated() {
            var envelope = SNSEnvelope(
                messageId: strings[(index + 1) % strings.count], topicArn: SNSEnvelope.localTopicArn, message: message,
                timestamp: Date(timeIntervalSince1970: Double(index) * 1_000.123))
            if index % 3 == 0 { envelope.signatureVersion = nil }
            let expected = String(decoding: try PublicJSON.encoder().encode(envelope), as: UTF8.self)
            #expect(envelope.encoded() == expected)
            // And it reads back as the same envelope.
            #expect(try SNSEnvelope(jsonBytes: Array(envelope.encoded().utf8)) == envelope)
        }
    }

    /// A notification as SNS delivers it to SQS (the example in the SNS developer guide, "Parsing
    /// message formats"), with the members the worker does not read.
    @Test func aNotificationAsSNSWritesItIsUnwrapped() throws {
        let body = #"""
            {
              "Type" : "Notification",
              "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
              "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
              "Subject" : "My First Message",
              "Message" : "{\"databaseName\":\"orders\",\"databaseEngine\":\"PostgreSQL\",\"environment\":\"Dev\"}",
              "Timestamp" : "2012-05-02T00:54:06.655Z",
              "SignatureVersion" : "1",
              "Signature" : "EXAMPLEw6JRN…",
              "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
              "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
              "MessageAttributes" : {"kind": {"Type": "String", "Value": "provision"}}
            }
            """#
        let unwrapped = SNSEnvelope.unwrap(QueueMessage(messageId: "sqs-1", receipt: "r", body: body, receiveCount: 1))
        #expect(unwrapped.requestId == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324")
        #expect(unwrapped.body == #"{"databaseName":"orders","databaseEngine":"PostgreSQL","environment":"Dev"}"#)
        // Without a member the worker needs, or not a notification: the body is the request itself.
        for raw in [body.replacingOccurrences(of: "\"TopicArn\"", with: "\"Topic\""), #"{"databaseName":"orders"}"#, "not json"] {
            let unwrapped = SNSEnvelope.unwrap(QueueMessage(messageId: "sqs-2", receipt: "r", body: raw, receiveCount: 1))
            #expect(unwrapped.requestId == "sqs-2" && unwrapped.body == raw)
        }
    }

    @Test func anObjectLeavesOutNilMembers() {
        #expect(PublicJSON.object(["a": "1", "b": nil, "c": "x\"y"]) == #"{"a":"1","c":"x\"y"}"#)
        #expect(PublicJSON.object([:]) == "{}")
    }
}
