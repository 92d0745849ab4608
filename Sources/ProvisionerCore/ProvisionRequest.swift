#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The body of `POST /provision`: the public contract.
///
///     {"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}
///
/// Field names and the values `MySQL`/`PostgreSQL` and `Dev`/`Prod` never change; new fields
/// are optional. `RequestValidator` turns a body into a `ValidatedRequest`: the request
/// normalised (engine canonical, environment spelled as its profile spells it) and checked
/// against the profiles and AWS's naming rules, with every derived name (cluster identifier,
/// stack path, branch). docs/request-contract.md describes every rule and error.
public struct ProvisionRequest: Sendable, Hashable, Codable {
    /// The initial database's name; also the base of the cluster identifier, stack path and branch.
    public var databaseName: String
    /// Normalised engine (`postgres` arrives as `.postgresql`).
    public var databaseEngine: DatabaseEngine
    /// The environment; after validation, spelled as its profile spells it (`dev` → `Dev`).
    public var environment: String
    /// Optional owner (team or person) recorded in tags and in the pull request.
    public var owner: String?

    public init(databaseName: String, databaseEngine: DatabaseEngine, environment: String, owner: String? = nil) {
        self.databaseName = databaseName
        self.databaseEngine = databaseEngine
        self.environment = environment
        self.owner = owner
    }

    /// The fields of the contract, in contract order (the order errors are reported in).
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case databaseName
        case databaseEngine
        case environment
        case owner

        /// Whether a body must contain the field.
        public var isRequired: Bool { self != .owner }
    }

    /// The request as a public body (sorted keys, `owner` omitted when absent): what the CLI
    /// sends and what a queue message carries. It validates back to the same request.
    public var jsonBody: String {
        let data = try! PublicJSON.encoder().encode(self)  // strings and an enum of strings always encode
        return String(decoding: data, as: UTF8.self)
    }
}
