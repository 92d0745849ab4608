import Foundation
import Testing
import TestSupport

@testable import ProvisionerCore

/// `JSONReader` against Foundation's `JSONSerialization` on random documents: every value read
/// back as Foundation reads it, whatever the spacing and escaping; members skipped without
/// losing the place; every cut-short document refused; single-byte corruptions accepted or
/// refused exactly as Foundation does.
struct JSONReaderTests {
    /// A JSON value as the tests compare it.
    indirect enum Tree: Equatable {
        case object([String: Tree])
        case array([Tree])
        case string(String)
        case integer(Int)
        case double(Double)
        case bool(Bool)
        case null
    }

    // MARK: - Random documents

    static let characters: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "ß", "€", "\u{2028}", "😀", "𝄞", "-", ":", ",", "{", "]"]

    static func text(_ generator: inout SeededGenerator) -> String {
        String((0..<Int.random(in: 0...8, using: &generator)).map { _ in characters.randomElement(using: &generator)! })
    }

    static func tree(_ generator: inout SeededGenerator, depth: Int = 0) -> Tree {
        switch Int.random(in: depth > 4 ? 2...7 : 0...7, using: &generator) {
        case 0:
            var members: [String: Tree] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &generator) { members[text(&generator)] = tree(&generator, depth: depth + 1) }
            return .object(members)
        case 1: return .array((0..<Int.random(in: 0...5, using: &generator)).map { _ in tree(&generator, depth: depth + 1) })
        case 2, 3: return .string(text(&generator))
        case 4: return .integer(Int.random(in: -1_000_000_000_000...1_000_000_000_000, using: &generator) >> Int.random(in: 0...40, using: &generator))
        case 5: return .double([0.5, -2.25, 1e-7, 3.0e10, 123.456].randomElement(using: &generator)!)
        case 6: return .bool(Bool.random(using: &generator))
        default: return .null
        }
    }

    /// Writes `tree` with random whitespace and a random choice of escapes.
    static func write(_ tree: Tree, _ generator: inout SeededGenerator, into out: inout String) {
        func space() {
            for _ in 0..<Int.random(in: 0...2, using: &generator) { out.append([" ", "\n", "\t", "\r"].randomElement(using: &generator)!) }
        }
        space()
        switch tree {
        case .object(let members):
            out.append("{")
            // In key order: a dictionary's own order changes from run to run, and a seed must
            // give the same document every time.
            for (index, (key, value)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(",") }
                space()
                writeString(key, &generator, into: &out)
                space()
                out.append(":")
                write(value, &generator, into: &out)
            }
            space()
            out.append("}")
        case .array(let elements):
            out.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(",") }
                write(element, &generator, into: &out)
            }
            space()
            out.append("]")
        case .string(let value): writeString(value, &generator, into: &out)
        case .integer(let value): out.append(String(value))
        case .double(let value): out.append(["\(value)", String(format: "%.6e", value), String(format: "%.6E", value)].randomElement(using: &generator)!)
        case .bool(let value): out.append(value ? "true" : "false")
        case .null: out.append("null")
        }
        space()
    }

    static func writeString(_ value: String, _ generator: inout SeededGenerator, into out: inout String) {
        out.append("\"")
        for scalar in value.unicodeScalars {
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = Bool.random(using: &generator) ? "\\n" : "\\u000a"
            case "\t": escape = "\\t"
            case "/": escape = Bool.random(using: &generator) ? "\\/" : nil
            default:
                if scalar.value < 0x20 || Int.random(in: 0..<4, using: &generator) == 0 {
                    escape = String(scalar.utf16.map { String(format: Bool.random(using: &generator) ? "\\u%04x" : "\\u%04X", $0) }.joined())
                } else {
                    escape = nil
                }
            }
            if let escape { out.append(escape) } else { out.unicodeScalars.append(scalar) }
        }
        out.append("\"")
    }

    // MARK: - Reading back

    /// Reads any value through the public API.
    static func read(_ reader: inout JSONReader) throws -> Tree {
        switch try reader.peekKind() {
        case .object:
            var members: [String: Tree] = [:]
            try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                do { members[key.description] = try read(&reader) } catch { throw error as! JSONSyntaxError }
            }
            return .object(members)
        case .array:
            var elements: [Tree] = []
            try reader.readArray { (reader) throws(JSONSyntaxError) in
                do { elements.append(try read(&reader)) } catch { throw error as! JSONSyntaxError }
            }
            return .array(elements)
        case .string: return .string(try reader.readString())
        case .number:
            let text = try reader.readNumberText()
            return Int(text).map(Tree.integer) ?? .double(Double(text)!)
        case .bool: return .bool(try reader.readBool())
        case .null:
            _ = try reader.readNull()
            return .null
        }
    }

    /// Whether Foundation read the same value.
    static func matches(_ tree: Tree, _ value: Any) -> Bool {
        switch tree {
        case .object(let members):
            guard let dictionary = value as? [String: Any], dictionary.count == members.count else { return false }
            return members.allSatisfy { key, member in dictionary[key].map { matches(member, $0) } ?? false }
        case .array(let elements):
            guard let array = value as? [Any], array.count == elements.count else { return false }
            return zip(elements, array).allSatisfy { matches($0, $1) }
        case .string(let string): return value as? String == string
        case .integer(let integer): return (value as? NSNumber)?.int64Value == Int64(integer)
        case .double(let double): return (value as? NSNumber)?.doubleValue == double
        case .bool(let bool): return (value as? NSNumber)?.boolValue == bool
        case .null: return value is NSNull
        }
    }

    static func foundation(_ bytes: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    // MARK: - Tests

    @Test func readsWhatFoundationReads() throws {
        let seed: UInt64 = 2026_11_26
        var generator = SeededGenerator(seed: seed)
        for round in 0..<1500 {
            let tree = Self.tree(&generator)
            var text = ""
            Self.write(tree, &generator, into: &text)
            let bytes = Array(text.utf8)
            let ours = try JSONReader.read(bytes) { (reader) throws(JSONSyntaxError) in
                do { return try Self.read(&reader) } catch { throw error as! JSONSyntaxError }
            }
            let theirs = try #require(Self.foundation(bytes), "seed \(seed), round \(round): Foundation refused \(text)")
            #expect(Self.matches(ours, theirs), "seed \(seed), round \(round): \(text)")
            #expect(ours == tree, "seed \(seed), round \(round): \(text)")
        }
    }

    /// Reading only some members of every object skips the others without losing the place.
    @Test func skippedMembersLeaveTheRestReadable() throws {
        let seed: UInt64 = 26_11_2026
        var generator = SeededGenerator(seed: seed)
        func readEveryOther(_ reader: inout JSONReader) throws(JSONSyntaxError) -> Tree {
            guard try reader.peekKind() == .object else {
                try reader.skipValue()
                return .null
            }
            var members: [String: Tree] = [:]
            var index = 0
            try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                defer { index += 1 }
                if index % 2 == 0 { members[key.description] = try readEveryOther(&reader) }
            }
            return .object(members)
        }
        for round in 0..<500 {
            var members: [(String, Tree)] = []
            for index in 0..<Int.random(in: 0...6, using: &generator) {
                members.append(("k\(index)", Self.tree(&generator)))
            }
            var text = "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { text += "," }
                Self.writeString(key, &generator, into: &text)
                text += ":"
                Self.write(value, &generator, into: &text)
            }
            text += "}"
            let read = try JSONReader.read(Array(text.utf8), readEveryOther)
            guard case .object(let got) = read else {
                Issue.record("not an object")
                continue
            }
            let wanted = members.enumerated().filter { $0.offset % 2 == 0 }.map(\.element.0)
            #expect(Set(got.keys) == Set(wanted), "seed \(seed), round \(round): \(text)")
        }
    }

    /// Every proper prefix of an object or array is refused, with an error inside the input.
    @Test func everyCutShortDocumentIsRefused() throws {
        let seed: UInt64 = 4_242
        var generator = SeededGenerator(seed: seed)
        for round in 0..<150 {
            var text = ""
            Self.write(.array([Self.tree(&generator), Self.tree(&generator)]), &generator, into: &text)
            let bytes = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
            for length in 0..<bytes.count {
                let prefix = Array(bytes[..<length])
                do {
                    try JSONReader.read(prefix) { (reader) throws(JSONSyntaxError) in try reader.skipValue() }
                    Issue.record("seed \(seed), round \(round): accepted the first \(length) bytes of \(text)")
                } catch {
                    #expect(error.offset <= length)
                }
            }
        }
    }

    /// One byte replaced, inserted or removed: accepted exactly when Foundation accepts it,
    /// except where Foundation departs from RFC 8259 (the reader follows the RFC): Foundation
    /// accepts a trailing comma and a NUL before or after the value, and refuses a number too large for a
    /// `Double` (the RFC's grammar has no range; the reader checks the grammar and leaves range
    /// to whoever reads the number).
    @Test func corruptedDocumentsAreJudgedAsFoundationJudgesThem() throws {
        let seed: UInt64 = 77_077
        var generator = SeededGenerator(seed: seed)
        let replacements: [UInt8] = Array("{}[]\",:\\/ 0-.eEtfnu".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xE0, 0xED, 0xF4, 0xF5, 0xFF]
        func infinite(_ tree: Tree) -> Bool {
            switch tree {
            case .object(let members): members.values.contains(where: infinite)
            case .array(let elements): elements.contains(where: infinite)
            case .double(let value): !value.isFinite
            default: false
            }
        }
        var refused = 0
        var departures = 0
        for round in 0..<3000 {
            var text = ""
            Self.write(Self.tree(&generator), &generator, into: &text)
            var bytes = Array(text.utf8)
            let position = Int.random(in: 0...bytes.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0 where position < bytes.count: bytes[position] = replacements.randomElement(using: &generator)!
            case 1: bytes.insert(replacements.randomElement(using: &generator)!, at: position)
            default: if position < bytes.count { bytes.remove(at: position) }
            }
            let ours = Result { () throws(JSONSyntaxError) in
                try JSONReader.read(bytes) { (reader) throws(JSONSyntaxError) in
                    do { return try Self.read(&reader) } catch { throw error as! JSONSyntaxError }
                }
            }
            let theirs = Self.foundation(bytes)
            switch (ours, theirs) {
            case (.success, .some): break
            case (.failure, .none): refused += 1
            case (.success(let tree), .none):
                if infinite(tree) {
                    departures += 1
                } else {
                    Issue.record("seed \(seed), round \(round): accepted what Foundation refuses: \(bytes)")
                }
            case (.failure(let error), .some):
                refused += 1
                if error.reason.hasPrefix("trailing comma") || error.reason.hasPrefix("unexpected '\\x00'") {
                    departures += 1
                } else {
                    Issue.record("seed \(seed), round \(round): refused what Foundation accepts (\(error)): \(bytes)")
                }
            }
        }
        #expect(refused > 1000, "the corruptions should mostly break the documents")
        #expect(departures < 50)
    }

    // MARK: - Errors callers see

    struct Commit: JSONReadable, Equatable {
        var sha: String
        var tree: String
        var parents: Int

        init(json reader: inout JSONReader) throws(JSONSyntaxError) {
            var sha: String?
            var tree: String?
            var parents = 0
            try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                switch key {
                case "sha": sha = try reader.readString()
                case "tree":
                    try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                        if key == "sha" { tree = try reader.readString() }
                    }
                case "parents": try reader.readArray { _ in parents += 1 }
                default: break
                }
            }
            self.sha = try reader.required(sha, "sha", in: "the commit")
            self.tree = try reader.required(tree, "tree.sha", in: "the commit")
            self.parents = parents
        }
    }

    @Test func readsTheFieldsItAsksForAndSkipsTheRest() throws {
        let json = #"{"url":"https://x/y","s\u0068a":"abc","author":{"name":"Ada","date":"2026-11-26T00:00:00Z"},"tree":{"url":"u","sha":"def"},"parents":[{"sha":"1"},{"sha":"2"}],"verification":{"verified":false,"payload":null}}"#
        let commit = try Commit(jsonBytes: Array(json.utf8))
        #expect(commit.sha == "abc" && commit.tree == "def" && commit.parents == 2)
    }

    @Test func errorsNameWhatWasExpectedAndWhere() {
        func error(_ json: String) -> String {
            do {
                _ = try Commit(jsonBytes: Array(json.utf8))
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(error(#"{"sha":1,"tree":{"sha":"x"}}"#) == "expected a string, found a number at line 1, column 8")
        #expect(error(#"{"tree":{"sha":"x"}}"#) == "the commit has no \"sha\" at line 1, column 21")
        #expect(error("{\"sha\":\"a\",\n\"tree\":{}}") == "the commit has no \"tree.sha\" at line 2, column 11")
        #expect(error(#"{"sha":"a","tree":{"sha":"x"}} x"#) == "unexpected 'x' after the end of the JSON value at line 1, column 32")
        #expect(error(#"{"sha":"a","tree":[]}"#) == "expected an object, found an array at line 1, column 19")
        #expect(error(#"{"sha":"a\x"}"#) == "invalid escape '\\x' in a string at line 1, column 11")
        #expect(error(#"{"sha":"a","parents":[1,]}"#) == "trailing comma before ']' at line 1, column 25")
    }

    @Test func integersMustBeIntegers() throws {
        func int(_ json: String) -> String {
            do { return String(try JSONReader.read(Array(json.utf8)) { (reader) throws(JSONSyntaxError) in try reader.readInt() }) } catch { return error.description }
        }
        #expect(int("42") == "42")
        #expect(int("-9223372036854775808") == "-9223372036854775808")
        #expect(int("9223372036854775808") == "expected an integer, found 9223372036854775808 at line 1, column 1")
        #expect(int("4.0") == "expected an integer, found 4.0 at line 1, column 1")
        #expect(int("\"4\"") == "expected a number, found a string at line 1, column 1")
    }

    @Test func nestingIsLimited() throws {
        let deep = String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
        try JSONReader.read(Array(deep.utf8)) { (reader) throws(JSONSyntaxError) in try reader.skipValue() }
        let deeper = "[" + deep + "]"
        #expect(throws: JSONSyntaxError.self) {
            try JSONReader.read(Array(deeper.utf8)) { (reader) throws(JSONSyntaxError) in try reader.skipValue() }
        }
    }

    @Test func keysWithEscapesMatchTheirText() throws {
        let keys = try JSONReader.read(Array(#"{"a\"b":1,"\u00e9t\u00E9":2,"plain":3,"sh":4}"#.utf8)) { (reader) throws(JSONSyntaxError) in
            var matched: [String] = []
            try reader.readObject { (key, _) throws(JSONSyntaxError) in
                switch key {
                case "a\"b": matched.append("quote")
                case "été": matched.append("accents")
                case "plain": matched.append("plain")
                case "sha": matched.append("wrong")
                default: matched.append("other:\(key)")
                }
            }
            return matched
        }
        #expect(keys == ["quote", "accents", "plain", "other:sh"])
    }
}
