#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProvisionerCore
import Synchronization
import ProvisionerService

/// Why the DynamoDB status store gave up.
public enum DynamoDBStatusStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Other writers kept changing the item between our read and our conditional write.
    case conflict(requestId: String, attempts: Int)
    /// The item is not in the shape this store writes.
    case corruptItem(requestId: String, problem: String)

    public var description: String {
        switch self {
        case .conflict(let id, let attempts):
            "Request \(id): the status item changed under \(attempts) conditional writes in a row; giving up."
        case .corruptItem(let id, let problem): "Request \(id): the status item is not readable: \(problem)"
        }
    }
}

/// `StatusStore` on one DynamoDB table whose partition key is `requestId` (string).
///
/// A request's item (`itemType = "request"`):
///
/// | attribute | type | content |
/// | --- | --- | --- |
/// | `requestId` | S | the request id (partition key) |
/// | `itemType` | S | `request` |
/// | `status` | S | `queued`, `processing`, `pr_opened`, `merged`, `rejected`, `failed` |
/// | `createdAt`, `updatedAt` | S | ISO 8601 UTC with milliseconds (sort as text) |
/// | `environmentKey` | S | the environment, lower-cased, when known (filters match it case-insensitively) |
/// | `stackPath` | S | when known |
/// | `version` | N | incremented by every write (optimistic concurrency) |
/// | `record` | S | the whole `RequestRecord` as `GET /requests/{id}` returns it (PublicJSON) |
///
/// A stack claim is an item keyed `claim#<stackKey>` (`itemType = "claim"`, `holder`, `claimedAt`).
///
/// Writes are conditional: a record is created once (`attribute_not_exists(requestId)`); a
/// status change requires the status read to be one of the allowed predecessors and the
/// version read to be unchanged (`#status IN (…) AND #version = :version`), so statuses never
/// go backwards and concurrent writers never lose each other's history. A lost race re-reads
/// and decides again (an update that would now go backwards is ignored).
///
/// The store remembers what it last read or wrote for a request, so a worker's usual sequence
/// (`get`, then `processing`, then `pr_opened`) writes without reading again first: the
/// conditional write carries the remembered version, and if anyone else wrote in between, the
/// condition fails and the store reads and decides again as above.
public struct DynamoDBStatusStore: StatusStore {
    public let client: DynamoDBClient
    public let tableName: String
    /// Conditional writes tried before giving up with `.conflict`.
    public var maxAttempts: Int
    /// Scan calls one `list` may make before answering a partial page with a cursor.
    public var maxScansPerList: Int
    public var now: @Sendable () -> Date
    private let known = KnownItems()

    public init(
        client: DynamoDBClient, tableName: String, maxAttempts: Int = 8, maxScansPerList: Int = 10,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.tableName = tableName
        self.maxAttempts = maxAttempts
        self.maxScansPerList = maxScansPerList
        self.now = now
    }

    /// Attribute names.
    enum Attribute {
        static let requestId = "requestId"
        static let itemType = "itemType"
        static let status = "status"
        static let createdAt = "createdAt"
        static let updatedAt = "updatedAt"
        static let environmentKey = "environmentKey"
        static let stackPath = "stackPath"
        static let version = "version"
        static let record = "record"
        static let holder = "holder"
        static let claimedAt = "claimedAt"
    }

    static let requestType = "request"
    static let claimType = "claim"
    static let claimPrefix = "claim#"

    // MARK: - Records

    public func get(_ requestId: String) async throws -> RequestRecord? {
        try await read(requestId)?.record
    }

    @discardableResult
    public func apply(_ update: StatusUpdate) async throws -> RequestRecord {
        let id = update.requestId
        // The first attempt may start from what this store last saw; a refusal or a lost race
        // reads the item again.
        var remembered = known.state(of: id)
        for _ in 1...maxAttempts {
            do {
                let state: KnownItems.State
                if let remembered { state = remembered } else { state = .init(try await read(id)) }
                guard case .present(let current, let version) = state else {
                    let record = Self.newRecord(update)
                    try await client.putItem(
                        table: tableName, item: try item(record, version: 1),
                        condition: DynamoDBExpression(
                            "attribute_not_exists(#id)", names: ["#id": Attribute.requestId]))
                    known.remember(id, .present(record, version: 1))
                    return record
                }
                guard current.status.canMove(to: update.status) else {
                    if remembered != nil {
                        remembered = nil  // decide on what is stored, not on what was seen
                        continue
                    }
                    return current
                }
                let next = Self.applying(update, to: current)
                try await write(next, replacing: current.status, version: version)
                known.remember(id, .present(next, version: version + 1))
                return next
            } catch let error as AWSError where error.kind == .conditionalCheckFailed {
                remembered = nil
                known.forget(id)
                continue  // someone else wrote first: read again and decide again
            }
        }
        throw DynamoDBStatusStoreError.conflict(requestId: update.requestId, attempts: maxAttempts)
    }

    /// The status change as a conditional `UpdateItem`.
    private func write(_ record: RequestRecord, replacing status: RequestStatus, version: Int) async throws {
        let predecessors = RequestStatus.allCases.filter { $0.canMove(to: record.status) }
        var names = [
            "#status": Attribute.status, "#updatedAt": Attribute.updatedAt, "#record": Attribute.record,
            "#version": Attribute.version,
        ]
        var values: DynamoDBItem = [
            ":status": .s(record.status.rawValue), ":updatedAt": .s(PublicJSON.formatTimestamp(record.updatedAt)),
            ":record": .s(try Self.encode(record)), ":next": .number(version + 1), ":version": .number(version),
        ]
        var sets = ["#status = :status", "#updatedAt = :updatedAt", "#record = :record", "#version = :next"]
        if let environment = record.request?.environment {
            names["#environmentKey"] = Attribute.environmentKey
            values[":environmentKey"] = .s(environment.lowercased())
            sets.append("#environmentKey = :environmentKey")
        }
        if let stackPath = record.stackPath {
            names["#stackPath"] = Attribute.stackPath
            values[":stackPath"] = .s(stackPath)
            sets.append("#stackPath = :stackPath")
        }
        var allowed: [String] = []
        for (index, predecessor) in predecessors.enumerated() {
            values[":from\(index)"] = .s(predecessor.rawValue)
            allowed.append(":from\(index)")
        }
        let update = DynamoDBExpression("SET " + sets.joined(separator: ", "), names: names, values: values)
        let condition = DynamoDBExpression(
            "#version = :version AND #status IN (\(allowed.joined(separator: ", ")))", names: names, values: values)
        try await client.updateItem(
            table: tableName, key: key(record.requestId), update: update, condition: condition, returnItem: false)
    }

    /// The record and its version, or nil (remembered for the next `apply`).
    private func read(_ requestId: String) async throws -> (record: RequestRecord, version: Int)? {
        guard let item = try await client.getItem(table: tableName, key: key(requestId)),
            item[Attribute.itemType]?.stringValue == Self.requestType
        else {
            known.remember(requestId, .absent)
            return nil
        }
        let found = (record: try Self.record(from: item), version: item[Attribute.version]?.intValue ?? 0)
        known.remember(requestId, .present(found.record, version: found.version))
        return found
    }

    private func key(_ id: String) -> DynamoDBItem { [Attribute.requestId: .s(id)] }

    /// The item for a record.
    func item(_ record: RequestRecord, version: Int) throws -> DynamoDBItem {
        var item: DynamoDBItem = [
            Attribute.requestId: .s(record.requestId),
            Attribute.itemType: .s(Self.requestType),
            Attribute.status: .s(record.status.rawValue),
            Attribute.createdAt: .s(PublicJSON.formatTimestamp(record.createdAt)),
            Attribute.updatedAt: .s(PublicJSON.formatTimestamp(record.updatedAt)),
            Attribute.version: .number(version),
            Attribute.record: .s(try Self.encode(record)),
        ]
        if let environment = record.request?.environment { item[Attribute.environmentKey] = .s(environment.lowercased()) }
        if let stackPath = record.stackPath { item[Attribute.stackPath] = .s(stackPath) }
        return item
    }

    /// The record as `GET /requests/{id}` returns it (written by hand: `RequestRecord: JSONWritable`).
    static func encode(_ record: RequestRecord) throws -> String {
        var output = ""
        record.writeJSON(to: &output)
        return output
    }

    static func record(from item: DynamoDBItem) throws -> RequestRecord {
        let id = item[Attribute.requestId]?.stringValue ?? "?"
        guard let text = item[Attribute.record]?.stringValue else {
            throw DynamoDBStatusStoreError.corruptItem(requestId: id, problem: "no `record` attribute")
        }
        do {
            return try PublicJSON.decoder().decode(RequestRecord.self, from: Data(text.utf8))
        } catch {
            throw DynamoDBStatusStoreError.corruptItem(requestId: id, problem: "`record` is not a RequestRecord: \(error)")
        }
    }

    static func newRecord(_ update: StatusUpdate) -> RequestRecord {
        RequestRecord(
            requestId: update.requestId, status: update.status, request: update.request ?? update.validated?.request,
            clusterIdentifier: update.validated?.clusterIdentifier, stackPath: update.validated?.stackPath,
            branch: update.validated?.branch, pullRequest: update.pullRequest, reason: update.reason,
            history: [StatusChange(status: update.status, at: update.at, reason: update.reason)], createdAt: update.at,
            updatedAt: update.at)
    }

    static func applying(_ update: StatusUpdate, to current: RequestRecord) -> RequestRecord {
        var record = current
        record.status = update.status
        record.history.append(StatusChange(status: update.status, at: update.at, reason: update.reason))
        record.updatedAt = update.at
        if let reason = update.reason { record.reason = reason }
        if let pull = update.pullRequest { record.pullRequest = pull }
        if let request = update.request ?? update.validated?.request { record.request = request }
        if let validated = update.validated {
            record.clusterIdentifier = validated.clusterIdentifier
            record.stackPath = validated.stackPath
            record.branch = validated.branch
        }
        return record
    }

    // MARK: - Listing

    /// A `Scan` of the table with a `FilterExpression` (`itemType`, and `status`/`environment`
    /// when asked), paged with `ExclusiveStartKey`. Each call reads at most `limit` items per
    /// scan (so the page never overshoots and the cursor is exact) and at most
    /// `maxScansPerList` scans; a page may hold fewer than `limit` records and still have a
    /// cursor. A scan reads (and bills) every item it passes, claims and non-matching
    /// records included: fine for an operator's listing of a table of requests, not for a hot path.
    /// Records come newest first within a page; across pages they follow the table's order.
    public func list(_ filter: RequestFilter, limit: Int, cursor: String?) async throws -> RequestPage {
        precondition(limit >= 1, "limit must be at least 1")
        var names = ["#itemType": Attribute.itemType]
        var values: DynamoDBItem = [":request": .s(Self.requestType)]
        var conditions = ["#itemType = :request"]
        if let status = filter.status {
            names["#status"] = Attribute.status
            values[":status"] = .s(status.rawValue)
            conditions.append("#status = :status")
        }
        if let environment = filter.environment {
            names["#environmentKey"] = Attribute.environmentKey
            values[":environmentKey"] = .s(environment.lowercased())
            conditions.append("#environmentKey = :environmentKey")
        }
        let expression = DynamoDBExpression(conditions.joined(separator: " AND "), names: names, values: values)
        var startKey = try cursor.map(Self.decodeCursor)
        var records: [RequestRecord] = []
        var scans = 0
        repeat {
            let page = try await client.scan(
                table: tableName, filter: expression, limit: limit - records.count, exclusiveStartKey: startKey,
                consistentRead: true)
            records += try page.items.map(Self.record(from:))
            startKey = page.lastEvaluatedKey
            scans += 1
        } while records.count < limit && startKey != nil && scans < maxScansPerList
        records.sort { $0.createdAt > $1.createdAt }
        return RequestPage(records: records, nextCursor: try startKey.map(Self.encodeCursor))
    }

    /// The cursor is `base64("v1:" + last evaluated requestId)`.
    static func encodeCursor(_ key: DynamoDBItem) throws -> String {
        guard let id = key[Attribute.requestId]?.stringValue else {
            throw DynamoDBStatusStoreError.corruptItem(requestId: "?", problem: "LastEvaluatedKey has no requestId")
        }
        return Data("v1:\(id)".utf8).base64EncodedString()
    }

    /// Throws `InvalidCursorError` for anything `encodeCursor` did not make.
    static func decodeCursor(_ cursor: String) throws -> DynamoDBItem {
        guard let data = Data(base64Encoded: cursor),
            case let text = String(decoding: data, as: UTF8.self), text.hasPrefix("v1:"), text.count > 3
        else { throw InvalidCursorError(cursor: cursor) }
        return [Attribute.requestId: .s(String(text.dropFirst(3)))]
    }

    // MARK: - Stack claims

    public func claim(stackKey: String, for requestId: String) async throws -> StackClaim {
        let key = key(Self.claimPrefix + stackKey)
        for _ in 1...maxAttempts {
            do {
                try await client.putItem(
                    table: tableName,
                    item: key.merging([
                        Attribute.itemType: .s(Self.claimType), Attribute.holder: .s(requestId),
                        Attribute.claimedAt: .s(PublicJSON.formatTimestamp(now())),
                    ]) { first, _ in first },
                    condition: DynamoDBExpression(
                        "attribute_not_exists(#id) OR #holder = :holder",
                        names: ["#id": Attribute.requestId, "#holder": Attribute.holder],
                        values: [":holder": .s(requestId)]))
                return .claimed
            } catch let error as AWSError where error.kind == .conditionalCheckFailed {
                if let holder = try await client.getItem(table: tableName, key: key)?[Attribute.holder]?.stringValue {
                    return holder == requestId ? .claimed : .heldBy(requestId: holder)
                }
                // Released between our write and our read: try again.
            }
        }
        throw DynamoDBStatusStoreError.conflict(requestId: requestId, attempts: maxAttempts)
    }

    public func release(stackKey: String, for requestId: String) async throws {
        do {
            try await client.deleteItem(
                table: tableName, key: key(Self.claimPrefix + stackKey),
                condition: DynamoDBExpression(
                    "#holder = :holder", names: ["#holder": Attribute.holder], values: [":holder": .s(requestId)]))
        } catch let error as AWSError where error.kind == .conditionalCheckFailed {
            // Not held by this request (or not held at all): nothing to release.
        }
    }

    // MARK: - Setup

    /// Creates the table (on-demand billing, partition key `requestId`). For local emulators
    /// and tests; on AWS the table comes from the SAM template (deploy/template.yaml), and a new
    /// table is not usable until it is ACTIVE.
    public static func createTable(_ client: DynamoDBClient, name: String) async throws {
        _ = try await client.call(
            "CreateTable",
            [
                "TableName": .string(name),
                "AttributeDefinitions": [["AttributeName": "requestId", "AttributeType": "S"]],
                "KeySchema": [["AttributeName": "requestId", "KeyType": "HASH"]],
                "BillingMode": "PAY_PER_REQUEST",
            ])
    }
}

/// What one store last read or wrote per request id (a few hundred at most).
final class KnownItems: Sendable {
    enum State: Sendable {
        case absent
        case present(RequestRecord, version: Int)

        init(_ read: (record: RequestRecord, version: Int)?) {
            self = read.map { .present($0.record, version: $0.version) } ?? .absent
        }
    }

    private let items = Mutex<[String: State]>([:])
    private static let limit = 512

    func state(of id: String) -> State? { items.withLock { $0[id] } }

    func remember(_ id: String, _ state: State) {
        items.withLock { items in
            if items.count >= Self.limit, items[id] == nil { items.removeAll(keepingCapacity: true) }
            items[id] = state
        }
    }

    func forget(_ id: String) { _ = items.withLock { $0.removeValue(forKey: id) } }
}
