/// A request that passed every check, with every name derived from it.
///
/// Derived names (docs/request-contract.md, "Derived names"; computed by `NamingRules`):
/// - `clusterIdentifier` = database name with `_` replaced by `-`, then `-`, then the
///   environment slug: `orders_eu` in `Prod` → `orders-eu-prod`. Database names never contain
///   `-`, never end in `_` and never hold `__`, and environment slugs never contain `-`, so the
///   mapping is injective (no two requests share a cluster identifier) and the result follows
///   RDS's identifier rules.
/// - `stackPath` = `stacks/<environment slug>/<databaseName>`.
/// - `branch` = `rds/<environment slug>/<databaseName>`.
public struct ValidatedRequest: Sendable, Hashable, Codable {
    /// The request, normalised: engine canonical, environment spelled as its profile spells it.
    public var request: ProvisionRequest
    /// Lower-case environment slug used in paths, branches and identifiers (`dev`, `prod`).
    public var environmentSlug: String
    public var clusterIdentifier: String
    public var stackPath: String
    public var branch: String

    public init(request: ProvisionRequest, environmentSlug: String, clusterIdentifier: String, stackPath: String, branch: String) {
        self.request = request
        self.environmentSlug = environmentSlug
        self.clusterIdentifier = clusterIdentifier
        self.stackPath = stackPath
        self.branch = branch
    }

    /// The key that makes two requests "the same database": one active request per stack.
    public var stackKey: String { stackPath }
}
