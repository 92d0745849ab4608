import Testing
import TestSupport

@testable import ProvisionerCore

/// The hand-written matchers say exactly what the regexes they replaced said: both are run on
/// the edge cases and on random strings over an alphabet that exercises every branch.
struct ASCIIPatternTests {
    static let alphabet = Array("aZz09-_.m_yqlsuor") + ["-", "-", ".", "é", " "]

    static func randomStrings(_ count: Int, seed: UInt64) -> [String] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let length = Int.random(in: 0...70, using: &generator)
            return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
        }
    }

    static let edges = [
        "", "a", "A", "0", "-", "a-", "-a", "a--b", "a-b", "ab-c9-d", "Ab", "a_b", "a.b", String(repeating: "a", count: 63),
        String(repeating: "a", count: 64), String(repeating: "a", count: 128), String(repeating: "a", count: 129), "orders",
        "orders-dev", "0123456789abcdef-0123", "é", "aé", "16", "16.3", "16.", ".3", "1", "123", "16.123", "13.15",
        "8.0.mysql_aurora.3.10.1", "8.0.mysql_aurora.3.08.0", "8.0.mysql_aurora.3.1", "8.0.mysql_aurora.10.1.1",
        "8.0.mysql_aurorax3.1.1", "80.mysql_aurora.3.1.1", "8.0.mysql_aurora.3.100.1",
    ]

    @Test func identifiersMatchTheirRegexes() {
        let samples = Self.edges + Self.randomStrings(3000, seed: 20261126)
        for value in samples {
            #expect(ASCIIPattern.isRequestId(value) == (value.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9-]{0,127}/) != nil), "\(value)")
            #expect(ASCIIPattern.isHyphenatedLowercase(value) == (value.wholeMatch(of: /[a-z][a-z0-9]*(-[a-z0-9]+)*/) != nil), "\(value)")
            #expect(ASCIIPattern.isDatabaseName(value) == (value.wholeMatch(of: /[A-Za-z][A-Za-z0-9_]{0,62}/) != nil), "\(value)")
            #expect(EngineVersion.isMajorOnly(value) == (value.wholeMatch(of: /[0-9]+/) != nil), "\(value)")
        }
    }

    @Test func engineVersionsMatchTheirRegexes() {
        var generator = SeededGenerator(seed: 7)
        let parts = ["8", "0", "mysql_aurora", "3", "10", "1", "08", "123", "", "x", "16", "1"]
        let random = (0..<3000).map { _ in
            (0..<Int.random(in: 1...7, using: &generator)).map { _ in parts.randomElement(using: &generator)! }.joined(separator: ".")
        }
        for value in Self.edges + random {
            let postgres = value.wholeMatch(of: /([0-9]{2})(?:\.([0-9]{1,2}))?/).map { (Int($0.1)!, $0.2.flatMap { Int($0) }) }
            let parsed = EngineVersion.postgresVersion(value)
            #expect(parsed?.0 == postgres?.0 && parsed?.1 == postgres?.1, "\(value)")
            let mysql = value.wholeMatch(of: /[0-9]\.[0-9]\.mysql_aurora\.([0-9])\.([0-9]{1,2})\.([0-9]{1,2})/)
                .map { (Int($0.1)!, Int($0.2)!, Int($0.3)!) }
            let aurora = EngineVersion.auroraMySQLVersion(value)
            #expect(aurora?.0 == mysql?.0 && aurora?.1 == mysql?.1 && aurora?.2 == mysql?.2, "\(value)")
        }
    }
}
