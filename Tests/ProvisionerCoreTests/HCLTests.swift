import Foundation
import ProvisionerCore
import TestSupport
import Testing

/// A reader for HCL quoted string literals, written from the HCL spec independently of the
/// escaper: `\\ \" \n \r \t \uNNNN \UNNNNNNNN`, `$${` → `${`, `%%{` → `%{`; an unescaped
/// `${` or `%{` starts a template (refused), as does a raw line break.
enum HCLStringLiteral {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Parses one literal at the start of `text`; returns the value and the rest.
    static func parse(_ text: Substring) throws -> (value: String, rest: Substring) {
        var scalars = Array(text.unicodeScalars)[...]
        guard scalars.first == "\"" else { throw Failure(description: "no opening quote") }
        scalars = scalars.dropFirst()
        var value = String.UnicodeScalarView()
        while let scalar = scalars.first {
            scalars = scalars.dropFirst()
            switch scalar {
            case "\"":
                var rest = String.UnicodeScalarView()
                rest.append(contentsOf: scalars)
                return (String(value), Substring(String(rest)))
            case "\n", "\r": throw Failure(description: "raw line break inside a string")
            case "\\":
                guard let escape = scalars.first else { throw Failure(description: "dangling backslash") }
                scalars = scalars.dropFirst()
                switch escape {
                case "\\": value.append("\\")
                case "\"": value.append("\"")
                case "n": value.append("\n")
                case "r": value.append("\r")
                case "t": value.append("\t")
                case "u", "U":
                    let count = escape == "u" ? 4 : 8
                    let digits = String(String.UnicodeScalarView(scalars.prefix(count)))
                    guard digits.count == count, let code = UInt32(digits, radix: 16), let decoded = Unicode.Scalar(code) else {
                        throw Failure(description: "bad \\\(escape) escape")
                    }
                    scalars = scalars.dropFirst(count)
                    value.append(decoded)
                default: throw Failure(description: "unknown escape \\\(escape)")
                }
            case "$", "%":
                let next = Array(scalars.prefix(2))
                if next.first == "{" { throw Failure(description: "unescaped template sequence \(scalar){") }
                if next.count == 2, next[0] == scalar, next[1] == "{" {
                    value.append(scalar)
                    value.append("{")
                    scalars = scalars.dropFirst(2)
                } else {
                    value.append(scalar)
                }
            default: value.append(scalar)
            }
        }
        throw Failure(description: "unterminated string")
    }

    /// The `"key" = "value"` lines of a rendered map (the provider's default tags).
    static func stringMap(in hcl: String, block: String) throws -> [String: String] {
        guard let start = hcl.range(of: block + " = {") else { throw Failure(description: "no \(block) map") }
        var result: [String: String] = [:]
        for line in hcl[start.upperBound...].split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("}") { break }
            let (key, afterKey) = try parse(trimmed)
            let separator = afterKey.drop { $0 == " " }
            guard separator.hasPrefix("=") else { throw Failure(description: "no = after key") }
            let (value, rest) = try parse(separator.dropFirst().drop { $0 == " " })
            guard rest.isEmpty else { throw Failure(description: "text after value: \(rest)") }
            result[key] = value
        }
        return result
    }
}

@Suite struct HCLTests {
    @Test(arguments: [
        ("plain", "\"plain\""),
        ("say \"hi\"", #""say \"hi\"""#),
        (#"C:\path"#, #""C:\\path""#),
        ("line1\nline2\ttab\r", #""line1\nline2\ttab\r""#),
        ("${var.secret}", "\"$${var.secret}\""),
        ("%{if true}x%{endif}", "\"%%{if true}x%%{endif}\""),
        ("$${already}", "\"$$${already}\""),
        ("cost: 5$ and 5%", "\"cost: 5$ and 5%\""),
        ("bell\u{07}del\u{7F}", #""bell\u0007del\u007F""#),
        ("Zürich ☃ 東京", "\"Zürich ☃ 東京\""),
    ])
    func escapes(_ text: String, _ expected: String) throws {
        #expect(HCL.quoted(text) == expected)
        #expect(try HCLStringLiteral.parse(Substring(expected)).value == text)
    }

    @Test func anyStringRoundTrips() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        let alphabet = Array("ab$%{}\\\"\n\r\t \u{00}\u{1F}\u{7F}\u{85}é☃\u{2028}😀#=:/") .map(String.init)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...24, using: &generator)
            let text = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined()
            let literal = HCL.quoted(text)
            #expect(!literal.contains("\n") && !literal.contains("\r"))
            let parsed = try HCLStringLiteral.parse(Substring(literal))
            #expect(parsed.value == text && parsed.rest.isEmpty, "\(literal)")
        }
    }

    /// Accepted owners, profile tags (any valid AWS tag key and value) and database names reach
    /// HCL intact.
    @Test func acceptedNamesAndOwnersRoundTripThroughTheStack() throws {
        var generator = SeededGenerator(seed: 42)
        let ownerAlphabet = Array("abcXYZ019 _.:/=+-@éßø東京") .map(String.init)
        let nameAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789").map(String.init)
        let prod = ProfileSet.builtIn.profile(named: "Prod")!
        for _ in 0..<300 {
            let owner = (0..<Int.random(in: 1...40, using: &generator)).map { _ in ownerAlphabet.randomElement(using: &generator)! }.joined()
            let name = "d" + (0..<Int.random(in: 0...20, using: &generator)).map { _ in nameAlphabet.randomElement(using: &generator)! }.joined()
            try #require(AWSRules.tagValue(owner) == nil)
            var profile = prod
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                let key = "k" + (0..<Int.random(in: 0...12, using: &generator)).map { _ in ownerAlphabet.randomElement(using: &generator)! }.joined()
                let value = (0..<Int.random(in: 0...20, using: &generator)).map { _ in ownerAlphabet.randomElement(using: &generator)! }.joined()
                try #require(AWSRules.tagKey(key) == nil && AWSRules.tagValue(value) == nil)
                profile.tags[key] = value
            }
            let plan = try Fixtures.plan(name, .postgresql, in: profile, owner: owner)
            let files = TerraformRenderer.render(plan)
            let providers = try #require(files.first { $0.path.hasSuffix("providers.tf") }).contents
            let tags = try HCLStringLiteral.stringMap(in: providers, block: "tags")
            #expect(tags == plan.tags)
            #expect(tags["Owner"] == owner)
            let main = try #require(files.first { $0.path.hasSuffix("main.tf") }).contents
            #expect(main.contains("= \(HCL.quoted(name))\n"))
        }
    }

    /// Real Terraform reads the escaped literals back as the original text (no providers
    /// needed: a configuration of outputs only, applied to a local state).
    @Test func terraformReadsTheLiteralsBack() throws {
        let samples = [
            "plain", "quote \" and backslash \\", "${interpolation}", "%{directive}", "$${double}", "%%{double}",
            "new\nline and\ttab", "unicode é ☃ 😀", "ends with $", "ends with %", "$ {spaced}", "control \u{01}",
        ]
        let directory = try TestEnvironment.makeTemporaryDirectory("hcl-literals")
        var config = ""
        for (index, sample) in samples.enumerated() {
            config += "output \"s\(index)\" {\n  value = \(HCL.quoted(sample))\n}\n\n"
        }
        try config.write(to: directory.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        let env = ["TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"]
        for arguments in [["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]] {
            let result = try ProcessRunner.run("terraform", arguments, in: directory, environment: env)
            try #require(result.status == 0, "terraform \(arguments[0]) failed: \(result.stderr)")
        }
        let output = try ProcessRunner.run("terraform", ["output", "-json", "-no-color"], in: directory, environment: env)
        try #require(output.status == 0, "\(output.stderr)")
        let values = try JSONDecoder().decode([String: OutputValue].self, from: Data(output.stdout.utf8))
        for (index, sample) in samples.enumerated() {
            #expect(values["s\(index)"]?.value == sample)
        }
    }

    struct OutputValue: Decodable { var value: String }
}

