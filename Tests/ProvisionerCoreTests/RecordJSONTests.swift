import Foundation
import Testing
import TestSupport

@testable import ProvisionerCore

/// `RequestRecord` writes the same bytes as `PublicJSON.encoder()`: random records, every
/// optional present and absent, strings with quotes, slashes, control characters and non-ASCII.
struct RecordJSONTests {
    static let pieces = ["a", "Z", "9", "\"", "\\", "/", "\n", "\u{1}", "\u{1f}", "é", "😀", "\u{2028}", " ", "-"]

    static func text(_ generator: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...10, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
    }

    static func maybe<T>(_ generator: inout SeededGenerator, _ make: (inout SeededGenerator) -> T) -> T? {
        Bool.random(using: &generator) ? make(&generator) : nil
    }

    static func date(_ generator: inout SeededGenerator) -> Date {
        Date(timeIntervalSince1970: Double.random(in: 0...4_000_000_000, using: &generator))
    }

    static func reason(_ generator: inout SeededGenerator) -> StatusReason {
        StatusReason(code: text(&generator), field: maybe(&generator, text), message: text(&generator))
    }

    static func record(_ generator: inout SeededGenerator) -> RequestRecord {
        let request = maybe(&generator) { generator in
            ProvisionRequest(
                databaseName: text(&generator), databaseEngine: DatabaseEngine.allCases.randomElement(using: &generator)!,
                environment: text(&generator), owner: maybe(&generator, text))
        }
        let pull = maybe(&generator) { generator in
            PullRequestRef(
                number: Int.random(in: 1...99999, using: &generator), url: "https://github.com/acme/infra/pull/" + text(&generator),
                branch: text(&generator), requestId: maybe(&generator, text))
        }
        let history = (0..<Int.random(in: 0...4, using: &generator)).map { _ in
            StatusChange(
                status: RequestStatus.allCases.randomElement(using: &generator)!, at: date(&generator),
                reason: maybe(&generator, reason))
        }
        return RequestRecord(
            requestId: text(&generator), status: RequestStatus.allCases.randomElement(using: &generator)!, request: request,
            clusterIdentifier: maybe(&generator, text), stackPath: maybe(&generator, text), branch: maybe(&generator, text),
            pullRequest: pull, reason: maybe(&generator, reason), history: history, createdAt: date(&generator),
            updatedAt: date(&generator))
    }

    @Test func recordsWriteTheEncodersBytes() throws {
        let seed: UInt64 = 112_620_26
        var generator = SeededGenerator(seed: seed)
        let encoder = PublicJSON.encoder()
        for round in 0..<500 {
            let record = Self.record(&generator)
            let expected = String(decoding: try encoder.encode(record), as: UTF8.self)
            let written = String(decoding: record.jsonBytes, as: UTF8.self)
            #expect(written == expected, "seed \(seed), round \(round)")
        }
    }
}
