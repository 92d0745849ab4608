/// Why a plan could not be made from a request and a profile. These are defects upstream (the
/// validator should have refused the request) or a profile that cannot serve the request;
/// never retried.
public struct ClusterPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The fully resolved input of the renderer: the validated request, the profile it runs under,
/// and every value decided from them. Nothing is decided later: `TerraformRenderer` and
/// `PullRequestText` only write it down.
public struct ClusterPlan: Sendable, Hashable, Codable {
    public var requestId: String
    public var request: ValidatedRequest
    /// The profile as resolved (built-in defaults plus the profile file).
    public var profile: EnvironmentProfile

    public var engine: DatabaseEngine
    /// Version, log exports and minor-upgrade policy of `engine` in this profile.
    public var engineSettings: EnvironmentProfile.EngineSettings
    /// Capacity actually used: the profile's, with a 0 ACU minimum raised to 0.5 when the
    /// engine version cannot pause.
    public var capacity: EnvironmentProfile.Capacity
    /// Serverless v2 with a 0 ACU minimum: idle instances pause.
    public var scalesToZero: Bool
    /// `<cluster>-final-<request id>`: unique per creation, so re-creating a database never
    /// collides with the final snapshot of its predecessor.
    public var finalSnapshotIdentifier: String
    /// Aurora MySQL backtrack window in seconds (0 for PostgreSQL or when off).
    public var backtrackWindowSeconds: Int
    /// State object key: `stacks/<environment>/<name>/terraform.tfstate`.
    public var stateKey: String
    public var stateRegion: String
    /// Every tag the stack puts on its resources (provider `default_tags`): the profile's
    /// tags under the standard ones (`Environment`, `ManagedBy`, `Owner`, `rds-provisioner:*`).
    public var tags: [String: String]
    /// Decisions a reviewer should know about, one sentence each.
    public var notes: [String]
    /// Security checks the profile's choices fail on purpose, with the reason; rendered as
    /// `#checkov:skip=<id>:<reason>` in the stack.
    public var checkovSkips: [CheckovSkip]

    public var clusterIdentifier: String { request.clusterIdentifier }
    public var databaseName: String { request.request.databaseName }
    public var stackPath: String { request.stackPath }
    public var owner: String? { request.request.owner }

    /// Resolves everything the stack needs. Throws when the request does not belong to the
    /// profile, the engine is not allowed in it, or a name is not safe for HCL and AWS.
    public init(request: ValidatedRequest, profile: EnvironmentProfile, requestId: String) throws(ClusterPlanError) {
        guard ASCIIPattern.isRequestId(requestId) else {
            throw ClusterPlanError("request id must be letters, digits and hyphens, got \"\(requestId)\"")
        }
        guard request.environmentSlug == profile.slug else {
            throw ClusterPlanError("the request is for environment \(request.environmentSlug), the profile is \(profile.name)")
        }
        let engine = request.request.databaseEngine
        guard profile.allowedEngines.contains(engine) else {
            throw ClusterPlanError("\(engine.rawValue) is not allowed in \(profile.name)")
        }
        let cluster = request.clusterIdentifier
        guard ASCIIPattern.isHyphenatedLowercase(cluster), cluster.utf8.count <= 63 else {
            throw ClusterPlanError(
                "cluster identifier must be at most 63 lower-case letters, digits and single hyphens, got \"\(cluster)\"")
        }
        let name = request.request.databaseName
        guard ASCIIPattern.isDatabaseName(name) else {
            throw ClusterPlanError("database name must be a letter then letters, digits or underscores, got \"\(name)\"")
        }
        guard request.stackPath == "stacks/\(profile.slug)/\(name)" else {
            throw ClusterPlanError("stack path must be stacks/\(profile.slug)/\(name), got \"\(request.stackPath)\"")
        }
        if let owner = request.request.owner, AWSRules.tagValue(owner) != nil || owner.isEmpty {
            throw ClusterPlanError("owner must be a valid AWS tag value (letters, digits, spaces and _ . : / = + - @)")
        }

        self.requestId = requestId
        self.request = request
        self.profile = profile
        self.engine = engine
        self.engineSettings = profile.engines[engine]

        var notes: [String] = []
        var capacity = profile.capacity
        var scalesToZero = false
        if capacity.isServerless, capacity.minACU == 0 {
            if EngineVersion.supportsScaleToZero(engineSettings.version, engine: engine) {
                scalesToZero = true
            } else {
                capacity.minACU = 0.5
                notes.append(
                    "The profile asks for 0 ACUs, but \(engine.rawValue) \(engineSettings.version) cannot pause; the minimum is 0.5 ACU.")
            }
        }
        self.capacity = capacity
        self.scalesToZero = scalesToZero

        let token = String(requestId.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(32))
        self.finalSnapshotIdentifier = "\(cluster)-final-\(token)"
        self.backtrackWindowSeconds = engine == .mysql ? profile.backtrackWindowHours * 3600 : 0
        self.stateKey = "\(request.stackPath)/terraform.tfstate"
        self.stateRegion = profile.state.region ?? profile.region

        var tags = profile.tags
        tags["Environment"] = profile.name
        tags["ManagedBy"] = "rds-provisioner"
        tags["rds-provisioner:request-id"] = requestId
        tags["rds-provisioner:stack"] = request.stackPath
        if let owner = request.request.owner { tags["Owner"] = owner }
        self.tags = tags

        if engine == .postgresql, EngineVersion.isMajorOnly(engineSettings.version) {
            notes.append(
                "PostgreSQL is pinned to major version \(engineSettings.version); RDS picks the minor and upgrades it in the maintenance window without Terraform drift.")
        }
        if engine == .mysql, !engineSettings.autoMinorVersionUpgrade {
            notes.append(
                "Aurora MySQL \(engineSettings.version) is pinned with automatic minor upgrades off (LTS release); upgrades are deliberate changes to this stack.")
        }
        self.notes = notes
        self.checkovSkips = []
        self.checkovSkips = CheckovSkip.skips(for: self)
    }

    /// The engine in prose: `Aurora PostgreSQL 16`.
    public var engineDescription: String {
        "Aurora \(engine.rawValue) \(engineSettings.version)"
    }
}

/// A checkov check the stack fails on purpose, and why (rendered as an inline skip comment,
/// so the reason sits next to the code and in the pull request).
public struct CheckovSkip: Sendable, Hashable, Codable {
    public var id: String
    public var reason: String

    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }

    static func skips(for plan: ClusterPlan) -> [CheckovSkip] {
        let profile = plan.profile
        let env = profile.name
        var skips: [CheckovSkip] = []
        func skip(_ id: String, _ reason: String) { skips.append(CheckovSkip(id: id, reason: reason)) }
        let customerKey = profile.encryption.usesCustomerManagedKey
        let logs = plan.engineSettings.logExports

        if !profile.deletionProtection {
            skip("CKV_AWS_139", "\(env) clusters are disposable; the \(env) profile turns deletion protection off")
        }
        if !profile.backup.awsBackup.enabled {
            skip("CKV2_AWS_8", "the \(env) profile relies on Aurora automated backups without an AWS Backup plan")
        }
        if !customerKey {
            skip("CKV_AWS_327", "the \(env) profile encrypts with the AWS-managed aws/rds key instead of a customer-managed key")
            // The log group resource is in the module whether or not logs are exported.
            skip("CKV_AWS_158", "the \(env) profile keeps exported logs with CloudWatch default encryption, no customer-managed key")
            if profile.performanceInsights.enabled {
                skip("CKV_AWS_354", "the \(env) profile encrypts Performance Insights with the AWS-managed key")
            }
            if profile.backup.awsBackup.enabled {
                skip("CKV_AWS_166", "the \(env) profile encrypts the backup vault with the AWS-managed key")
            }
        }
        if !profile.performanceInsights.enabled {
            skip("CKV_AWS_353", "the \(env) profile turns Performance Insights off")
        }
        if profile.enhancedMonitoringInterval == 0 {
            skip("CKV_AWS_118", "the \(env) profile turns enhanced monitoring off")
        }
        if logs.isEmpty {
            skip("CKV_AWS_324", "the \(env) profile exports no logs to CloudWatch")
        }
        if profile.logRetentionDays < 365 {
            skip("CKV_AWS_338", "the \(env) profile keeps exported logs \(profile.logRetentionDays) days")
        }
        if plan.engine == .mysql, !logs.contains("audit") {
            skip("CKV_AWS_325", "the \(env) profile does not export the MySQL audit log")
        }
        if plan.engine == .mysql, plan.backtrackWindowSeconds == 0 {
            skip("CKV_AWS_326", "the \(env) profile turns Aurora MySQL backtrack off")
        }
        if !profile.iamDatabaseAuthentication {
            skip("CKV_AWS_162", "the \(env) profile turns IAM database authentication off")
        }
        if !plan.engineSettings.autoMinorVersionUpgrade {
            skip(
                "CKV_AWS_226",
                plan.engine == .mysql
                    ? "Aurora MySQL runs an LTS release; AWS advises against automatic minor upgrades, which can leave the LTS release"
                    : "the \(env) profile turns automatic minor version upgrades off")
        }
        return skips
    }
}
