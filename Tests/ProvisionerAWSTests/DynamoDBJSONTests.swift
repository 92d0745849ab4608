import Foundation
import ProvisionerCore
import Testing
import TestSupport

@testable import ProvisionerAWS

/// The DynamoDB request bodies written by hand (`JSONWritable`) are the JSON `JSONEncoder`
/// writes for the same values: both are parsed and compared, over random items.
struct DynamoDBJSONTests {
    static let pieces = ["a", "Z", "0", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1f}", "é", "😀", "\u{2028}", " ", "}", "{"]

    static func string(_ generator: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
    }

    static func value(_ generator: inout SeededGenerator, depth: Int = 0) -> DynamoDBValue {
        switch Int.random(in: 0...(depth < 3 ? 8 : 5), using: &generator) {
        case 0: return .s(string(&generator))
        case 1: return .n(String(Int.random(in: -1000...1000, using: &generator)))
        case 2: return .b("AAEC")
        case 3: return .bool(Bool.random(using: &generator))
        case 4: return .null
        case 5: return .ss((0..<Int.random(in: 1...3, using: &generator)).map { _ in string(&generator) })
        case 6: return .m(item(&generator, depth: depth + 1))
        case 7: return .l((0..<Int.random(in: 0...3, using: &generator)).map { _ in value(&generator, depth: depth + 1) })
        default: return .ns(["1", "2.5"])
        }
    }

    static func item(_ generator: inout SeededGenerator, depth: Int = 0) -> DynamoDBItem {
        var item: DynamoDBItem = [:]
        for _ in 0..<Int.random(in: 0...4, using: &generator) { item[string(&generator)] = value(&generator, depth: depth) }
        return item
    }

    static func parsed(_ bytes: [UInt8]) throws -> NSObject {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? NSObject)
    }

    static func assertSameJSON(_ value: some Encodable & JSONWritable, _ context: String) throws {
        let encoded = try parsed(Array(try JSONEncoder().encode(value)))
        let written = try parsed(value.jsonBytes)
        #expect(encoded.isEqual(written), "\(context): \(String(decoding: value.jsonBytes, as: UTF8.self))")
    }

    @Test func writeAndGetInputsAreTheEncodersJSON() throws {
        let seed: UInt64 = 20261126
        var generator = SeededGenerator(seed: seed)
        for round in 0..<300 {
            let condition = DynamoDBExpression(
                "#v = :v AND attribute_not_exists(#\(round))", names: ["#v": "version", "#\(round)": Self.string(&generator)],
                values: [":v": Self.value(&generator)])
            let update = DynamoDBExpression("SET #s = :s", names: ["#s": "status"], values: [":s": .s(Self.string(&generator))])
            let inputs = [
                DynamoDBClient.WriteInput(table: "requests", item: Self.item(&generator), condition: condition),
                DynamoDBClient.WriteInput(
                    table: "t\(round)", key: ["requestId": .s(Self.string(&generator))], update: update, condition: nil,
                    returnValues: "ALL_NEW"),
                DynamoDBClient.WriteInput(table: Self.string(&generator), item: [:], condition: nil),
            ]
            for input in inputs { try Self.assertSameJSON(input, "seed \(seed), round \(round)") }
            try Self.assertSameJSON(
                DynamoDBClient.GetItemInput(TableName: "requests", Key: Self.item(&generator), ConsistentRead: round % 2 == 0),
                "seed \(seed), round \(round)")
        }
    }

    /// Items read back (`JSONReadable`, by hand) are the items written.
    @Test func itemsReadBackAsWritten() throws {
        let seed: UInt64 = 2611
        var generator = SeededGenerator(seed: seed)
        for round in 0..<500 {
            let item = Self.item(&generator)
            var text = ""
            DynamoDBValue.writeJSON(item, to: &text)
            #expect(try DynamoDBItem(jsonBytes: Array(text.utf8)) == item, "seed \(seed), round \(round): \(text)")
        }
    }

    /// An answer as DynamoDB writes it (GetItem's example in the API reference, spaced as there).
    @Test func anAnswerIsReadAndBrokenValuesAreNamed() throws {
        let answer = """
            {
                "ConsumedCapacity": {"CapacityUnits": 1, "TableName": "Thread"},
                "Item": {
                    "Tags": {"SS": ["Update", "Multiple Items", "HelpMe"]},
                    "LastPostDateTime": {"S": "201303190436"},
                    "Message": {"S": "I want to update multiple items in a single call. What's the best way to do that?"},
                    "Views": {"N": "5"},
                    "Answered": {"BOOL": false},
                    "Nothing": {"NULL": true},
                    "Nested": {"M": {"List": {"L": [{"N": "1"}, {"S": "two"}]}}}
                }
            }
            """
        let output = try DynamoDBClient.ItemOutput(jsonBytes: Array(answer.utf8))
        #expect(output.Attributes == nil)
        #expect(output.Item?["Tags"] == .ss(["Update", "Multiple Items", "HelpMe"]))
        #expect(output.Item?["Views"]?.intValue == 5)
        #expect(output.Item?["Answered"] == .bool(false))
        #expect(output.Item?["Nothing"] == .null)
        #expect(output.Item?["Nested"] == .m(["List": .l([.n("1"), .s("two")])]))
        #expect(try DynamoDBClient.ItemOutput(jsonBytes: Array("{}".utf8)).Item == nil)

        func error(_ json: String) -> String {
            do {
                _ = try DynamoDBItem(jsonBytes: Array(json.utf8))
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(error(#"{"a":{"S":"x","N":"1"}}"#) == "an attribute value has more than one type at line 1, column 6")
        #expect(error(#"{"a":{}}"#) == "empty attribute value at line 1, column 6")
        #expect(error(#"{"a":{"BS":["AA=="]}}"#) == "unsupported attribute type \"BS\" at line 1, column 12")
        #expect(error(#"{"a":{"S":"x"},"a":{"S":"y"}}"#) == "the key \"a\" appears twice at line 1, column 20")
        #expect(error(#"{"a":{"N":5}}"#) == "expected a string, found a number at line 1, column 11")
    }
}
