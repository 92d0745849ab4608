import Foundation
import Testing
import TestSupport

@testable import ProvisionerCore

/// `StackMetadata.json()` (written by hand) is what `JSONEncoder` writes, pretty-printed with
/// sorted keys: the golden plans with their strings, lists, tags and capacities replaced by
/// random ones (quotes, backslashes, control characters, non-ASCII; empty lists and objects).
struct StackMetadataJSONTests {
    static let pieces = ["a", "Z", "0", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1f}", "é", "😀", "\u{2028}", " ", "}", "["]

    static func text(_ generator: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
    }

    @Test func metadataIsTheEncodersPrettyJSON() throws {
        let seed: UInt64 = 2026_1126
        var generator = SeededGenerator(seed: seed)
        let plans = try Fixtures.goldenCases().map(\.plan)
        for round in 0..<300 {
            var metadata = StackMetadata(plan: plans.randomElement(using: &generator)!)
            metadata.requestId = Self.text(&generator)
            metadata.finalSnapshotIdentifier = Self.text(&generator)
            metadata.notes = (0..<Int.random(in: 0...3, using: &generator)).map { _ in Self.text(&generator) }
            metadata.checkovSkips = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                CheckovSkip(id: Self.text(&generator), reason: Self.text(&generator))
            }
            metadata.request.request.databaseName = Self.text(&generator)
            metadata.request.request.owner = Bool.random(using: &generator) ? Self.text(&generator) : nil
            metadata.request.branch = Self.text(&generator)
            metadata.scalesToZero = Bool.random(using: &generator)
            if Bool.random(using: &generator) {
                metadata.profile.tags = [:]
                for _ in 0..<Int.random(in: 0...3, using: &generator) { metadata.profile.tags[Self.text(&generator)] = Self.text(&generator) }
                metadata.capacity.minACU = [0, 0.5, 1.5, 2, 127.5].randomElement(using: &generator)!
                metadata.capacity.maxACU = [1, 2.5, 16, 256].randomElement(using: &generator)!
            }
            let expected = String(decoding: try PrettyJSONWriter.encoder().encode(metadata), as: UTF8.self) + "\n"
            #expect(metadata.json() == expected, "seed \(seed), round \(round)")
        }
    }

    /// The cache of encoded values gives each value its own text, and stays bounded.
    @Test func fragmentsAreKeptPerValue() throws {
        var capacities: [EnvironmentProfile.Capacity] = []
        let cache = PrettyJSONWriter.FragmentCache<EnvironmentProfile.Capacity>()
        for index in 0..<(PrettyJSONWriter.FragmentCache<EnvironmentProfile.Capacity>.limit * 2) {
            capacities.append(EnvironmentProfile.Capacity(minACU: Double(index) / 2, maxACU: Double(index)))
        }
        for capacity in capacities + capacities.reversed() {
            var writer = PrettyJSONWriter()
            writer.fragment(capacity, cache: cache)
            #expect(writer.text == String(decoding: try PrettyJSONWriter.encoder().encode(capacity), as: UTF8.self))
        }
    }
}
