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
            #expect(try JSONDecoder().decode(SNSEnvelope.self, from: Data(envelope.encoded().utf8)) == envelope)
        }
    }

    @Test func anObjectLeavesOutNilMembers() {
        #expect(PublicJSON.object(["a": "1", "b": nil, "c": "x\"y"]) == #"{"a":"1","c":"x\"y"}"#)
        #expect(PublicJSON.object([:]) == "{}")
    }
}
