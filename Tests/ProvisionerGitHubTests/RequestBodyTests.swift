import Foundation
import ProvisionerCore
import Testing
import TestSupport

@testable import ProvisionerGitHub

/// The GitHub request bodies written by hand (`JSONWritable`) are the JSON `JSON.encoder` writes
/// for them (snake_case keys): both are parsed and compared, over random contents.
struct RequestBodyTests {
    static let pieces = ["a", "Z", "0", "\"", "\\", "/", "\n", "\r\n", "\t", "\u{0}", "\u{7f}", "é", "😀", "\u{2028}", " ", "${x}"]

    static func text(_ generator: inout SeededGenerator, max: Int = 12) -> String {
        (0..<Int.random(in: 0...max, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
    }

    static func assertSameJSON(_ body: some Encodable & JSONWritable, _ context: String) throws {
        let encoded = try JSONSerialization.jsonObject(with: try JSON.encoder.encode(body)) as? NSObject
        let written = try JSONSerialization.jsonObject(with: Data(body.jsonBytes)) as? NSObject
        #expect(encoded != nil && encoded?.isEqual(written) == true, "\(context): \(String(decoding: body.jsonBytes, as: UTF8.self))")
    }

    @Test func everyBodyIsTheEncodersJSON() throws {
        let seed: UInt64 = 1126
        var generator = SeededGenerator(seed: seed)
        for round in 0..<300 {
            let context = "seed \(seed), round \(round)"
            let entries = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                CreateTreeBody.Entry(path: Self.text(&generator), content: Self.text(&generator, max: 200))
            }
            try Self.assertSameJSON(CreateTreeBody(baseTree: Self.text(&generator), tree: entries), context)
            try Self.assertSameJSON(
                CreateCommitBody(
                    message: Self.text(&generator, max: 40), tree: Self.text(&generator),
                    parents: (0..<Int.random(in: 0...2, using: &generator)).map { _ in Self.text(&generator) }), context)
            try Self.assertSameJSON(CreateRefBody(ref: "refs/heads/" + Self.text(&generator), sha: Self.text(&generator)), context)
            try Self.assertSameJSON(
                CreatePullBody(
                    title: Self.text(&generator), head: Self.text(&generator), base: "main", body: Self.text(&generator, max: 300),
                    maintainerCanModify: round % 2 == 0), context)
            try Self.assertSameJSON(AddLabelsBody(labels: (0..<Int.random(in: 0...3, using: &generator)).map { _ in Self.text(&generator) }), context)
        }
    }
}
