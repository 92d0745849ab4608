#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProvisionerCore

/// One DynamoDB attribute value in the wire format (`{"S": "…"}`, `{"N": "42"}`, `{"M": {…}}`…).
public indirect enum DynamoDBValue: Sendable, Hashable, Encodable, JSONReadable {
    case s(String)
    /// Numbers travel as strings.
    case n(String)
    /// Base64 of the bytes.
    case b(String)
    case bool(Bool)
    case null
    case m([String: DynamoDBValue])
    case l([DynamoDBValue])
    case ss([String])
    case ns([String])

    private enum Key: String, CodingKey {
        case S, N, B, BOOL, NULL, M, L, SS, NS
    }

    /// Reads `{"S": "…"}` and the like (by hand: every DynamoDB answer is made of these).
    public init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var value: DynamoDBValue?
        let start = reader.offset
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            guard value == nil else { throw reader.error("an attribute value has more than one type", at: start) }
            switch key {
            case "S": value = .s(try reader.readString())
            case "N": value = .n(try reader.readString())
            case "B": value = .b(try reader.readString())
            case "BOOL": value = .bool(try reader.readBool())
            case "NULL":
                _ = try reader.readBool()
                value = .null
            case "M": value = .m(try [String: DynamoDBValue](json: &reader))
            case "L": value = .l(try [DynamoDBValue](json: &reader))
            case "SS": value = .ss(try [String](json: &reader))
            case "NS": value = .ns(try [String](json: &reader))
            default: throw reader.error("unsupported attribute type \"\(key)\"")
            }
        }
        guard let value else { throw reader.error("empty attribute value", at: start) }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .s(let value): try container.encode(value, forKey: .S)
        case .n(let value): try container.encode(value, forKey: .N)
        case .b(let value): try container.encode(value, forKey: .B)
        case .bool(let value): try container.encode(value, forKey: .BOOL)
        case .null: try container.encode(true, forKey: .NULL)
        case .m(let value): try container.encode(value, forKey: .M)
        case .l(let value): try container.encode(value, forKey: .L)
        case .ss(let value): try container.encode(value, forKey: .SS)
        case .ns(let value): try container.encode(value, forKey: .NS)
        }
    }

    public static func number(_ value: Int) -> DynamoDBValue { .n(String(value)) }

    /// The attribute value as DynamoDB's JSON writes it (`{"S":"…"}`), by hand: items are written
    /// on every status change. The same JSON as `encode(to:)` (a test compares them).
    public func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        switch self {
        case .s(let value): object.string("S", value, &output)
        case .n(let value): object.string("N", value, &output)
        case .b(let value): object.string("B", value, &output)
        case .bool(let value):
            object.key("BOOL", &output)
            output.append(value ? "true" : "false")
        case .null:
            object.key("NULL", &output)
            output.append("true")
        case .m(let value):
            object.key("M", &output)
            Self.writeJSON(value, to: &output)
        case .l(let values):
            object.key("L", &output)
            output.append("[")
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(",") }
                value.writeJSON(to: &output)
            }
            output.append("]")
        case .ss(let values): object.strings("SS", values, &output)
        case .ns(let values): object.strings("NS", values, &output)
        }
        object.end(&output)
    }

    /// An item (or map): `{"name":{"S":"…"},…}`.
    static func writeJSON(_ item: [String: DynamoDBValue], to output: inout String) {
        var object = JSONObjectWriter(&output)
        for (name, value) in item {
            object.key(name, &output)
            value.writeJSON(to: &output)
        }
        object.end(&output)
    }

    public var stringValue: String? {
        if case .s(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        if case .n(let value) = self { return Int(value) }
        return nil
    }
}

/// An item: attribute name to value.
public typealias DynamoDBItem = [String: DynamoDBValue]

/// A condition, update, key-condition or filter expression with its placeholders
/// (`#name` → attribute name, `:value` → value).
public struct DynamoDBExpression: Sendable, Hashable {
    public var expression: String
    public var names: [String: String]
    public var values: DynamoDBItem

    public init(_ expression: String, names: [String: String] = [:], values: DynamoDBItem = [:]) {
        self.expression = expression
        self.names = names
        self.values = values
    }
}

/// Amazon DynamoDB over the AWS JSON 1.0 protocol (`X-Amz-Target: DynamoDB_20120810.<Operation>`).
public struct DynamoDBClient: Sendable {
    public let client: AWSClient

    public init(configuration: AWSConfiguration) throws {
        client = try AWSClient(service: .dynamoDB, configuration: configuration)
    }

    /// Any DynamoDB operation (`CreateTable`, `DescribeTable`…) with a JSON body.
    public func call<Output: Decodable>(_ operation: String, _ input: JSONValue, output: Output.Type = JSONValue.self)
        async throws -> Output
    {
        try await client.json(target: "DynamoDB_20120810.\(operation)", input: input, output: output)
    }

    private func send<Input: Encodable & JSONWritable & Sendable, Output: JSONReadable>(
        _ operation: String, _ input: Input, _ output: Output.Type
    ) async throws -> Output {
        try await client.json(target: "DynamoDB_20120810.\(operation)", input: input, output: output)
    }

    private func send<Input: Encodable & Sendable, Output: JSONReadable>(
        _ operation: String, _ input: Input, _ output: Output.Type
    ) async throws -> Output {
        try await client.json(target: "DynamoDB_20120810.\(operation)", input: input, output: output)
    }

    struct ItemOutput: JSONReadable {
        var Item: DynamoDBItem?
        var Attributes: DynamoDBItem?

        init(json reader: inout JSONReader) throws(JSONSyntaxError) {
            try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                switch key {
                case "Item": Item = try DynamoDBItem(json: &reader)
                case "Attributes": Attributes = try DynamoDBItem(json: &reader)
                default: break
                }
            }
        }
    }

    struct GetItemInput: Encodable, Sendable, JSONWritable {
        var TableName: String
        var Key: DynamoDBItem
        var ConsistentRead: Bool

        func writeJSON(to output: inout String) {
            var object = JSONObjectWriter(&output)
            object.string("TableName", TableName, &output)
            object.key("Key", &output)
            DynamoDBValue.writeJSON(Key, to: &output)
            object.key("ConsistentRead", &output)
            output.append(ConsistentRead ? "true" : "false")
            object.end(&output)
        }
    }

    /// `GetItem`; nil when there is no such item.
    public func getItem(table: String, key: DynamoDBItem, consistentRead: Bool = true) async throws -> DynamoDBItem? {
        try await send("GetItem", GetItemInput(TableName: table, Key: key, ConsistentRead: consistentRead), ItemOutput.self).Item
    }

    struct WriteInput: Encodable, Sendable, JSONWritable {
        var TableName: String
        var Item: DynamoDBItem?
        var Key: DynamoDBItem?
        var UpdateExpression: String?
        var ConditionExpression: String?
        var ExpressionAttributeNames: [String: String]?
        var ExpressionAttributeValues: DynamoDBItem?
        var ReturnValues: String?

        init(table: String, item: DynamoDBItem? = nil, key: DynamoDBItem? = nil, update: DynamoDBExpression? = nil,
             condition: DynamoDBExpression?, returnValues: String? = nil)
        {
            TableName = table
            Item = item
            Key = key
            UpdateExpression = update?.expression
            ConditionExpression = condition?.expression
            let names = (update?.names ?? [:]).merging(condition?.names ?? [:]) { first, _ in first }
            let values = (update?.values ?? [:]).merging(condition?.values ?? [:]) { first, _ in first }
            ExpressionAttributeNames = names.isEmpty ? nil : names
            ExpressionAttributeValues = values.isEmpty ? nil : values
            ReturnValues = returnValues
        }

        func writeJSON(to output: inout String) {
            var object = JSONObjectWriter(&output)
            object.string("TableName", TableName, &output)
            for (name, item) in [("Item", Item), ("Key", Key), ("ExpressionAttributeValues", ExpressionAttributeValues)] {
                guard let item else { continue }
                object.key(name, &output)
                DynamoDBValue.writeJSON(item, to: &output)
            }
            object.string("UpdateExpression", UpdateExpression, &output)
            object.string("ConditionExpression", ConditionExpression, &output)
            if let names = ExpressionAttributeNames {
                object.key("ExpressionAttributeNames", &output)
                var map = JSONObjectWriter(&output)
                for (placeholder, name) in names { map.string(placeholder, name, &output) }
                map.end(&output)
            }
            object.string("ReturnValues", ReturnValues, &output)
            object.end(&output)
        }
    }

    /// `PutItem`, optionally conditional: a failed condition throws `AWSError` of kind
    /// `.conditionalCheckFailed`.
    public func putItem(table: String, item: DynamoDBItem, condition: DynamoDBExpression? = nil) async throws {
        _ = try await send("PutItem", WriteInput(table: table, item: item, condition: condition), ItemOutput.self)
    }

    /// `UpdateItem` with an update expression and an optional condition; returns the item as
    /// it is after the update (`ReturnValues: ALL_NEW`), or nothing when `returnItem` is false
    /// (a smaller answer, nothing to decode).
    @discardableResult
    public func updateItem(
        table: String, key: DynamoDBItem, update: DynamoDBExpression, condition: DynamoDBExpression? = nil,
        returnItem: Bool = true
    ) async throws -> DynamoDBItem {
        try await send(
            "UpdateItem",
            WriteInput(table: table, key: key, update: update, condition: condition, returnValues: returnItem ? "ALL_NEW" : nil),
            ItemOutput.self
        ).Attributes ?? [:]
    }

    /// `DeleteItem`, optionally conditional.
    public func deleteItem(table: String, key: DynamoDBItem, condition: DynamoDBExpression? = nil) async throws {
        _ = try await send("DeleteItem", WriteInput(table: table, key: key, condition: condition), ItemOutput.self)
    }

    /// One page of a `Scan` or `Query`.
    public struct Page: Sendable, Hashable, JSONReadable {
        public var items: [DynamoDBItem] = []
        /// Where the next page starts; nil after the last page.
        public var lastEvaluatedKey: DynamoDBItem?

        public init(json reader: inout JSONReader) throws(JSONSyntaxError) {
            try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                switch key {
                case "Items": items = try [DynamoDBItem](json: &reader)
                case "LastEvaluatedKey": lastEvaluatedKey = try DynamoDBItem(json: &reader)
                default: break
                }
            }
        }
    }

    struct ReadInput: Encodable, Sendable {
        var TableName: String
        var IndexName: String?
        var KeyConditionExpression: String?
        var FilterExpression: String?
        var ExpressionAttributeNames: [String: String]?
        var ExpressionAttributeValues: DynamoDBItem?
        var Limit: Int?
        var ExclusiveStartKey: DynamoDBItem?
        var ConsistentRead: Bool?
        var ScanIndexForward: Bool?

        init(table: String, index: String? = nil, keyCondition: DynamoDBExpression? = nil, filter: DynamoDBExpression?,
             limit: Int?, startKey: DynamoDBItem?, consistentRead: Bool?, forward: Bool? = nil)
        {
            TableName = table
            IndexName = index
            KeyConditionExpression = keyCondition?.expression
            FilterExpression = filter?.expression
            let names = (keyCondition?.names ?? [:]).merging(filter?.names ?? [:]) { first, _ in first }
            let values = (keyCondition?.values ?? [:]).merging(filter?.values ?? [:]) { first, _ in first }
            ExpressionAttributeNames = names.isEmpty ? nil : names
            ExpressionAttributeValues = values.isEmpty ? nil : values
            Limit = limit
            ExclusiveStartKey = startKey
            ConsistentRead = consistentRead
            ScanIndexForward = forward
        }
    }

    /// One `Scan` page. `limit` bounds the items *read* (before the filter), as in DynamoDB.
    public func scan(
        table: String, filter: DynamoDBExpression? = nil, limit: Int? = nil, exclusiveStartKey: DynamoDBItem? = nil,
        consistentRead: Bool = false
    ) async throws -> Page {
        try await send(
            "Scan",
            ReadInput(table: table, filter: filter, limit: limit, startKey: exclusiveStartKey, consistentRead: consistentRead),
            Page.self)
    }

    /// One `Query` page over the table or an index.
    public func query(
        table: String, index: String? = nil, keyCondition: DynamoDBExpression, filter: DynamoDBExpression? = nil,
        limit: Int? = nil, exclusiveStartKey: DynamoDBItem? = nil, scanForward: Bool = true
    ) async throws -> Page {
        try await send(
            "Query",
            ReadInput(
                table: table, index: index, keyCondition: keyCondition, filter: filter, limit: limit,
                startKey: exclusiveStartKey, consistentRead: nil, forward: scanForward),
            Page.self)
    }
}
