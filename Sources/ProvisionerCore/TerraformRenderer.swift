#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Writes the per-request Terraform stack for a plan: small files under `plan.stackPath` that
/// call the aurora-cluster module of the infrastructure repository. Output is deterministic
/// and `terraform fmt`-clean; every string goes through `HCL.quoted`.
public enum TerraformRenderer {
    /// Where the module lives in the infrastructure repository.
    public static let modulePath = "terraform/modules/aurora-cluster"
    /// Name of the module call in each stack (`module.aurora_cluster.<resource>` in plans).
    public static let moduleName = "aurora_cluster"

    /// `versions.tf`, `providers.tf`, `main.tf`, `outputs.tf` and `stack.json`, in that order.
    public static func render(_ plan: ClusterPlan) -> [StackFile] {
        let directory = plan.stackPath
        return [
            StackFile(path: "\(directory)/versions.tf", contents: HCLWriter.file(versions(plan))),
            StackFile(path: "\(directory)/providers.tf", contents: HCLWriter.file(providers(plan))),
            StackFile(path: "\(directory)/main.tf", contents: HCLWriter.file(main(plan))),
            StackFile(path: "\(directory)/outputs.tf", contents: HCLWriter.file(outputs)),
            StackFile(path: "\(directory)/stack.json", contents: StackMetadata(plan: plan).json()),
        ]
    }

    /// `../../../terraform/modules/aurora-cluster` from `stacks/<env>/<name>`.
    static func moduleSource(from stackPath: String) -> String {
        let depth = stackPath.split(separator: "/").count
        return String(repeating: "../", count: depth) + modulePath
    }

    static func versions(_ plan: ClusterPlan) -> [HCLItem] {
        [
            .block("terraform", labels: [], [
                .attribute("required_version", .string(">= 1.10")),
                .blank,
                .block("required_providers", labels: [], [
                    .attribute("aws", .object([
                        (key: "source", value: .string("hashicorp/aws")),
                        (key: "version", value: .string("~> 6.0")),
                    ]))
                ]),
                .blank,
                .comment("One state object per stack; S3 native locking (a .tflock object beside it)."),
                .block("backend", labels: ["s3"], [
                    .attribute("bucket", .string(plan.profile.state.bucket)),
                    .attribute("key", .string(plan.stateKey)),
                    .attribute("region", .string(plan.stateRegion)),
                    .attribute("encrypt", .bool(true)),
                    .attribute("use_lockfile", .bool(true)),
                ]),
            ])
        ]
    }

    static func providers(_ plan: ClusterPlan) -> [HCLItem] {
        var body: [HCLItem] = [.attribute("region", .string(plan.profile.region))]
        if let role = plan.profile.deployRoleArn {
            body += [
                .blank,
                .block("assume_role", labels: [], [
                    .attribute("role_arn", .string(role)),
                    .attribute("session_name", .string("rds-provisioner")),
                ]),
            ]
        }
        body += [
            .blank,
            .block("default_tags", labels: [], [.attribute("tags", .stringMap(plan.tags))]),
        ]
        return [.block("provider", labels: ["aws"], body)]
    }

    static func main(_ plan: ClusterPlan) -> [HCLItem] {
        let profile = plan.profile
        let settings = plan.engineSettings
        var body: [HCLItem] = plan.checkovSkips.map { .directive("checkov:skip=\($0.id):\($0.reason)") }
        body += [
            .attribute("source", .string(moduleSource(from: plan.stackPath))),
            .blank,
            .attribute("cluster_identifier", .string(plan.clusterIdentifier)),
            .attribute("engine", .string(plan.engine.terraformEngine)),
            .attribute("engine_version", .string(settings.version)),
            .attribute("auto_minor_version_upgrade", .bool(settings.autoMinorVersionUpgrade)),
            .attribute("database_name", .string(plan.databaseName)),
            .blank,
            .attribute("credentials_mode", .string(profile.credentials.mode.rawValue)),
        ]
        switch profile.credentials.mode {
        case .managed: body.append(.attribute("master_username", .string(profile.credentials.username)))
        case .sharedSecret: body.append(.attribute("shared_secret_name", .string(profile.credentials.secretName)))
        }

        body += [
            .blank,
            .attribute("instance_class", .string(plan.capacity.instanceClass)),
            .attribute("instance_count", .int(profile.instances.count)),
            .attribute("spread_across_azs", .bool(profile.instances.spreadAcrossAZs)),
        ]
        if plan.capacity.isServerless {
            body += [
                .attribute("serverless_min_capacity", .raw(ACU.format(plan.capacity.minACU))),
                .attribute("serverless_max_capacity", .raw(ACU.format(plan.capacity.maxACU))),
            ]
            if plan.scalesToZero {
                body.append(.attribute("serverless_seconds_until_auto_pause", .int(plan.capacity.secondsUntilAutoPause)))
            }
        }

        let network = profile.network
        body.append(.blank)
        if let vpcId = network.vpcId {
            body.append(.attribute("vpc_id", .string(vpcId)))
        } else {
            body.append(.attribute("vpc_tags", .stringMap(network.vpcTags)))
        }
        if let group = network.dbSubnetGroupName {
            body.append(.attribute("db_subnet_group_name", .string(group)))
        } else if !network.subnetIds.isEmpty {
            body.append(.attribute("subnet_ids", .strings(network.subnetIds)))
        } else {
            body.append(.attribute("subnet_tags", .stringMap(network.subnetTags)))
        }
        if !network.allowedCidrs.isEmpty {
            body.append(.attribute("allowed_cidr_blocks", .strings(network.allowedCidrs)))
        }
        if !network.allowedSecurityGroupIds.isEmpty {
            body.append(.attribute("allowed_security_group_ids", .strings(network.allowedSecurityGroupIds)))
        }

        body += [
            .blank,
            .attribute("backup_retention_period", .int(profile.backup.retentionDays)),
            .attribute("preferred_backup_window", .string(profile.backup.window)),
            .attribute("preferred_maintenance_window", .string(profile.maintenanceWindow)),
            .attribute("deletion_protection", .bool(profile.deletionProtection)),
            .attribute("skip_final_snapshot", .bool(!profile.finalSnapshot)),
            .attribute("final_snapshot_identifier", .string(plan.finalSnapshotIdentifier)),
            .attribute("apply_immediately", .bool(profile.applyImmediately)),
        ]
        if plan.engine == .mysql {
            body.append(.attribute("backtrack_window", .int(plan.backtrackWindowSeconds)))
        }
        body.append(.attribute("aws_backup_enabled", .bool(profile.backup.awsBackup.enabled)))
        if profile.backup.awsBackup.enabled {
            body += [
                .attribute("aws_backup_schedule", .string(profile.backup.awsBackup.schedule)),
                .attribute("aws_backup_retention_days", .int(profile.backup.awsBackup.retentionDays)),
            ]
        }

        body.append(.blank)
        if let key = profile.encryption.kmsKeyArn {
            body.append(.attribute("kms_key_arn", .string(key)))
        } else {
            body.append(.attribute("create_kms_key", .bool(profile.encryption.createKey)))
        }

        body += [
            .blank,
            .attribute("performance_insights_enabled", .bool(profile.performanceInsights.enabled)),
        ]
        if profile.performanceInsights.enabled {
            body.append(.attribute("performance_insights_retention_period", .int(profile.performanceInsights.retentionDays)))
        }
        body += [
            .attribute("monitoring_interval", .int(profile.enhancedMonitoringInterval)),
            .attribute("enabled_cloudwatch_logs_exports", .strings(settings.logExports)),
            .attribute("cloudwatch_log_group_retention_in_days", .int(profile.logRetentionDays)),
            .attribute("iam_database_authentication_enabled", .bool(profile.iamDatabaseAuthentication)),
        ]

        let header = [
            "\(plan.engineDescription) cluster \(plan.clusterIdentifier) in \(profile.name), request \(plan.requestId).",
            "Generated by rds-provisioner from the \(profile.name) profile (see stack.json).",
        ]
        return header.map(HCLItem.comment) + [.blank, .block("module", labels: [moduleName], body)]
    }

    static let outputs: [HCLItem] = {
        let outputs: [(String, String, Bool)] = [
            ("cluster_identifier", "Identifier of the Aurora cluster.", false),
            ("cluster_arn", "ARN of the Aurora cluster.", false),
            ("endpoint", "Writer endpoint.", false),
            ("reader_endpoint", "Reader endpoint.", false),
            ("port", "Port the engine listens on.", false),
            ("database_name", "Name of the database.", false),
            ("master_user_secret_arn", "Secrets Manager secret with the master credentials.", false),
            ("security_group_id", "Security group of the cluster.", false),
        ]
        var items: [HCLItem] = []
        for (index, (name, description, _)) in outputs.enumerated() {
            if index > 0 { items.append(.blank) }
            items.append(
                .block("output", labels: [name], [
                    .attribute("description", .string(description)),
                    .attribute("value", .raw("module.\(moduleName).\(name)")),
                ]))
        }
        return items
    }()
}

/// `stack.json`: what tooling and auditors need without parsing HCL: the request, its id, the
/// resolved profile and the decisions of the plan.
public struct StackMetadata: Sendable, Hashable, Codable {
    /// Bumped when the shape changes incompatibly.
    public var formatVersion: Int
    public var generator: String
    public var requestId: String
    public var request: ValidatedRequest
    public var profile: EnvironmentProfile
    public var module: String
    public var capacity: EnvironmentProfile.Capacity
    public var scalesToZero: Bool
    public var finalSnapshotIdentifier: String
    public var notes: [String]
    public var checkovSkips: [CheckovSkip]

    static let profiles = PrettyJSONWriter.FragmentCache<EnvironmentProfile>()
    static let capacities = PrettyJSONWriter.FragmentCache<EnvironmentProfile.Capacity>()

    public init(plan: ClusterPlan) {
        formatVersion = 1
        generator = "rds-provisioner"
        requestId = plan.requestId
        request = plan.request
        profile = plan.profile
        module = TerraformRenderer.modulePath
        capacity = plan.capacity
        scalesToZero = plan.scalesToZero
        finalSnapshotIdentifier = plan.finalSnapshotIdentifier
        notes = plan.notes
        checkovSkips = plan.checkovSkips
    }

    /// Pretty-printed JSON with sorted keys and a final newline: the bytes `PrettyJSON.encoder`
    /// writes (a test compares them), written by hand because every request renders one. The
    /// profile and capacity, the same for every request of an environment, are encoded once.
    public func json() -> String {
        var json = PrettyJSONWriter()
        json.openObject()
        json.key("capacity")
        json.fragment(capacity, cache: Self.capacities)
        json.key("checkovSkips")
        json.openArray()
        for skip in checkovSkips {
            json.element()
            json.openObject()
            json.key("id")
            json.string(skip.id)
            json.key("reason")
            json.string(skip.reason)
            json.closeObject()
        }
        json.closeArray()
        json.key("finalSnapshotIdentifier")
        json.string(finalSnapshotIdentifier)
        json.key("formatVersion")
        json.integer(formatVersion)
        json.key("generator")
        json.string(generator)
        json.key("module")
        json.string(module)
        json.key("notes")
        json.strings(notes)
        json.key("profile")
        json.fragment(profile, cache: Self.profiles)
        json.key("request")
        json.openObject()
        json.key("branch")
        json.string(request.branch)
        json.key("clusterIdentifier")
        json.string(request.clusterIdentifier)
        json.key("environmentSlug")
        json.string(request.environmentSlug)
        json.key("request")
        json.openObject()
        json.key("databaseEngine")
        json.string(request.request.databaseEngine.rawValue)
        json.key("databaseName")
        json.string(request.request.databaseName)
        json.key("environment")
        json.string(request.request.environment)
        if let owner = request.request.owner {
            json.key("owner")
            json.string(owner)
        }
        json.closeObject()
        json.key("stackPath")
        json.string(request.stackPath)
        json.closeObject()
        json.key("requestId")
        json.string(requestId)
        json.key("scalesToZero")
        json.bool(scalesToZero)
        json.closeObject()
        return json.text + "\n"
    }
}
