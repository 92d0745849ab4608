/// The body of `POST /provision`: the public contract.
///
///     {"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}
///
/// Field names and the values `MySQL`/`PostgreSQL` and `Dev`/`Prod` never change; new fields
/// are optional. A `ProvisionRequest` is what the user sent, decoded and shape-checked
/// (`RequestDecoder`); `ValidatedRequest` is the same request checked against the profiles
/// and AWS's naming rules, with every derived name (cluster identifier, stack path, branch).
public struct ProvisionRequest: Sendable, Hashable, Codable {
    public var databaseName: String
    /// Normalised engine (`postgres` arrives as `.postgresql`).
    public var databaseEngine: DatabaseEngine
    /// The environment exactly as sent; matched case-insensitively against the profiles.
    public var environment: String
    /// Optional owner (team or person) recorded in tags and in the pull request.
    public var owner: String?

    public init(databaseName: String, databaseEngine: DatabaseEngine, environment: String, owner: String? = nil) {
        self.databaseName = databaseName
        self.databaseEngine = databaseEngine
        self.environment = environment
        self.owner = owner
    }
}
