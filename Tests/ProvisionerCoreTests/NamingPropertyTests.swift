import Foundation
import ProvisionerCore
import Testing
import TestSupport

private typealias F = RequestFixtures

/// RDS's rules for an Aurora DB cluster identifier, written out here independently of
/// `NamingRules` so the property tests do not trust the code they test.
private func satisfiesRDSClusterIdentifierRules(_ identifier: String) -> Bool {
    let bytes = Array(identifier.utf8)
    guard (1...63).contains(bytes.count), identifier.unicodeScalars.count == bytes.count else { return false }
    let lower = UInt8(ascii: "a")...UInt8(ascii: "z")
    let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
    let hyphen = UInt8(ascii: "-")
    guard lower.contains(bytes[0]), bytes.last != hyphen else { return false }
    for (index, byte) in bytes.enumerated() {
        guard lower.contains(byte) || digit.contains(byte) || byte == hyphen else { return false }
        if byte == hyphen, index > 0, bytes[index - 1] == hyphen { return false }
    }
    return true
}

/// Characters that must never reach a name, path, branch or tag through validation.
private let smuggled: [Character] = ["\"", "\\", "$", "%", "{", "\n"]

private func checkSafe(_ validated: ValidatedRequest, sourceLocation: SourceLocation = #_sourceLocation) {
    let request = validated.request
    var texts = [request.databaseName, request.environment, validated.environmentSlug, validated.clusterIdentifier,
                 validated.stackPath, validated.branch]
    if let owner = request.owner { texts.append(owner) }
    for text in texts {
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }, "\(text)", sourceLocation: sourceLocation)
        #expect(!text.contains(where: smuggled.contains), "\(text)", sourceLocation: sourceLocation)
    }
    for text in [request.databaseName, request.environment, validated.environmentSlug, validated.clusterIdentifier] {
        #expect(!text.contains("/"), "\(text)", sourceLocation: sourceLocation)
    }
    #expect(validated.stackPath.split(separator: "/", omittingEmptySubsequences: false).count == 3, sourceLocation: sourceLocation)
    #expect(validated.branch.split(separator: "/", omittingEmptySubsequences: false).count == 3, sourceLocation: sourceLocation)
    #expect(!validated.stackPath.contains(".."), sourceLocation: sourceLocation)
    #expect(satisfiesRDSClusterIdentifierRules(validated.clusterIdentifier), "\(validated.clusterIdentifier)", sourceLocation: sourceLocation)
}

/// A random name that follows the rules (lower case, begins with a letter, no `__`, no
/// trailing `_`), biased towards names that could collide if the mapping were careless:
/// ones built from environment-like segments such as `dev` and `prod`.
private func randomValidName(_ rng: inout SeededGenerator, maxLength: Int) -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    let tail = Array("abcdefghijklmnopqrstuvwxyz0123456789_")
    var name: String
    if Bool.random(using: &rng) {
        let segments = ["a", "b", "dev", "prod", "eu", "x1", "2", "orders", "d", "p"]
        name = ["a", "b", "dev", "prod", "orders"].randomElement(using: &rng)!
        for _ in 0..<Int.random(in: 0...5, using: &rng) { name += "_" + segments.randomElement(using: &rng)! }
    } else {
        name = String(letters.randomElement(using: &rng)!)
        for _ in 0..<Int.random(in: 0..<maxLength, using: &rng) {
            let next = tail.randomElement(using: &rng)!
            if next == "_", name.last == "_" { continue }
            name.append(next)
        }
    }
    name = String(name.prefix(maxLength))
    while name.last == "_" { name.removeLast() }
    return name
}

@Suite("Naming properties")
struct NamingPropertyTests {
    @Test func generatedValidNamesGiveValidUniqueClusterIdentifiers() throws {
        var rng = SeededGenerator(seed: 0x5EED_0001)
        var owners: [String: String] = [:]  // cluster identifier → "name in environment"
        var stackPaths: [String: String] = [:]
        var accepted = 0
        let maxLength = ProfileSet.builtIn.profiles.map { NamingRules.maxDatabaseNameLength(environmentSlug: $0.slug) }.min()!
        for _ in 0..<3000 {
            let name = randomValidName(&rng, maxLength: maxLength)
            let engine = DatabaseEngine.allCases.randomElement(using: &rng)!
            if ReservedWords.reason(for: name, engine: engine) != nil { continue }
            for profile in ProfileSet.builtIn.profiles {
                let key = "\(name) in \(profile.name)"
                let validated = try F.validator.validate(ProvisionRequest(databaseName: name, databaseEngine: engine, environment: profile.name))
                accepted += 1
                checkSafe(validated)
                let identifier = validated.clusterIdentifier
                #expect(owners[identifier, default: key] == key, "\(identifier) is shared by \(owners[identifier]!) and \(key)")
                owners[identifier] = key
                #expect(stackPaths[validated.stackPath, default: key] == key)
                stackPaths[validated.stackPath] = key
                // The mapping can be undone: the slug is after the last `-`, the name is the rest.
                let cut = identifier.lastIndex(of: "-")!
                #expect(String(identifier[identifier.index(after: cut)...]) == profile.slug)
                #expect(identifier[..<cut].replacingOccurrences(of: "-", with: "_") == name)
            }
        }
        #expect(accepted > 5000, "the generator must mostly produce valid names, or this test proves little")
        #expect(owners.count > 2000)
    }

    @Test func everySmallNameMapsToItsOwnClusterIdentifier() {
        // Exhaustive over a small alphabet that contains every structural character.
        let alphabet: [Character] = ["a", "b", "_", "1"]
        var names = [""]
        var identifiers: [String: String] = [:]
        var valid = 0
        for _ in 1...6 {
            names = names.flatMap { prefix in alphabet.map { prefix + String($0) } }
            for name in names {
                for profile in ProfileSet.builtIn.profiles {
                    guard let validated = try? F.validator.validate(ProvisionRequest(databaseName: name, databaseEngine: .postgresql, environment: profile.name)) else { continue }
                    valid += 1
                    let key = "\(name) in \(profile.name)"
                    #expect(identifiers[validated.clusterIdentifier, default: key] == key)
                    identifiers[validated.clusterIdentifier] = key
                    #expect(satisfiesRDSClusterIdentifierRules(validated.clusterIdentifier))
                }
            }
        }
        #expect(valid == identifiers.count)
        #expect(valid > 1000)
    }

    @Test func junkStringsNeverValidateIntoUnsafeNames() {
        var rng = SeededGenerator(seed: 0xBAD_5EED)
        let pieces = [
            "a", "z", "o", "q", "_", "_", "-", "/", "\\", "\"", "'", "`", "$", "%", "{", "}", "${", "%{", "..", ".", "\n", "\r", "\t",
            " ", "\u{0}", "\u{7F}", "о", "ｏ", "\u{200B}", "\u{202E}", "é", "😀", "A", "Z", "0", "9", "dev", "prod", "Dev", "PROD",
            "postgres", "mysql", "select", "MySQL", "PostgreSQL", "aurora-", ":", "@", "+", "=", "aws:",
        ]
        var accepted = 0
        var refused = 0
        for _ in 0..<6000 {
            func junk() -> String {
                (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            }
            let mode = Int.random(in: 0..<4, using: &rng)
            let body = F.body(
                databaseName: F.jsonString(mode == 0 || Bool.random(using: &rng) ? junk() : "orders"),
                databaseEngine: F.jsonString(mode == 1 ? junk() : "MySQL"),
                environment: F.jsonString(mode == 2 ? junk() : "Prod"),
                owner: mode == 3 || Bool.random(using: &rng) ? F.jsonString(junk()) : nil)
            do {
                let validated = try F.validator.validate(body: body)
                accepted += 1
                checkSafe(validated)
            } catch {
                refused += 1
                for problem in error.errors {
                    #expect(!problem.message.contains("\n") && !problem.message.contains("\u{0}"), "\(problem)")
                }
            }
        }
        #expect(accepted > 100, "junk must sometimes validate, or the safety checks above never run")
        #expect(refused > 3000)
    }

    @Test func mutatedBodiesNeverValidateIntoUnsafeNames() {
        var rng = SeededGenerator(seed: 0xF0_22ED)
        let base = Array(#"{"databaseName": "orders_eu", "databaseEngine": "PostgreSQL", "environment": "Prod", "owner": "team-a"}"#.utf8)
        let interesting: [UInt8] = [0x22, 0x5C, 0x2F, 0x24, 0x25, 0x7B, 0x7D, 0x0A, 0x00, 0xC3, 0xD0, 0xBE, 0x80, 0xFF, 0x2D, 0x5F, 0x41, 0x2C, 0x3A, 0x2E, 0x20, 0x75]
        var accepted = 0
        for _ in 0..<6000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let byte = Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[index] = byte
                case 1: bytes.insert(byte, at: index)
                default: bytes.remove(at: index)
                }
            }
            if let validated = try? F.validator.validate(body: bytes) {
                accepted += 1
                checkSafe(validated)
            }
        }
        #expect(accepted > 100)
    }
}
