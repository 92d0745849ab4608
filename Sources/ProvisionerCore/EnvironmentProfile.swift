/// An environment profile: everything an environment (Dev, Prod, or one an organisation adds
/// such as Staging) decides about the Aurora clusters created in it. The built-in Dev and Prod
/// (`ProfileSet.builtIn`) are production-grade defaults; a profile file (`ProfileFile`) overrides
/// them and adds environments. Every value here has been checked against AWS's rules
/// (`AWSRules`) before it can reach HCL. docs/profiles.md describes each setting and why its
/// defaults are what they are.
public struct EnvironmentProfile: Sendable, Hashable, Codable {
    /// The canonical name, as users write it in requests (`Dev`, `Prod`, `Staging`):
    /// `^[A-Za-z][A-Za-z0-9]{0,15}$` (never a hyphen: cluster identifiers rely on it).
    public var name: String
    /// Engines requests may ask for in this environment.
    public var allowedEngines: [DatabaseEngine]
    /// AWS region of the clusters.
    public var region: String
    /// Role the Terraform AWS provider assumes to deploy (none: the ambient credentials).
    public var deployRoleArn: String?
    public var state: StateBackend
    public var engines: EngineSettingsByEngine
    public var capacity: Capacity
    public var instances: Instances
    public var backup: Backup
    /// Weekly maintenance window in UTC, `ddd:hh24:mi-ddd:hh24:mi`.
    public var maintenanceWindow: String
    public var deletionProtection: Bool
    /// Take a final snapshot when the cluster is destroyed (`skip_final_snapshot = !finalSnapshot`).
    public var finalSnapshot: Bool
    /// Apply modifications at once rather than in the next maintenance window.
    public var applyImmediately: Bool
    public var performanceInsights: PerformanceInsights
    /// Enhanced monitoring interval in seconds; 0 turns it off (0, 1, 5, 10, 15, 30 or 60).
    public var enhancedMonitoringInterval: Int
    /// Retention of the CloudWatch log groups the cluster exports to, in days.
    public var logRetentionDays: Int
    public var iamDatabaseAuthentication: Bool
    public var encryption: Encryption
    public var network: Network
    public var credentials: Credentials
    /// Aurora MySQL backtrack window in hours (0: off). Ignored for PostgreSQL.
    public var backtrackWindowHours: Int
    /// Tags on every resource of the environment (merged under the standard tags).
    public var tags: [String: String]

    /// Lower-case slug used in paths, branches and identifiers.
    public var slug: String { name.lowercased() }

    public init(
        name: String, allowedEngines: [DatabaseEngine] = DatabaseEngine.allCases, region: String = "us-east-1",
        deployRoleArn: String? = nil, state: StateBackend = StateBackend(), engines: EngineSettingsByEngine = .init(),
        capacity: Capacity = Capacity(), instances: Instances = Instances(), backup: Backup = Backup(),
        maintenanceWindow: String = "sun:04:30-sun:05:30", deletionProtection: Bool = true, finalSnapshot: Bool = true,
        applyImmediately: Bool = false, performanceInsights: PerformanceInsights = PerformanceInsights(),
        enhancedMonitoringInterval: Int = 60, logRetentionDays: Int = 365, iamDatabaseAuthentication: Bool = true,
        encryption: Encryption = Encryption(), network: Network = Network(), credentials: Credentials = Credentials(),
        backtrackWindowHours: Int = 0, tags: [String: String] = [:]
    ) {
        self.name = name
        self.allowedEngines = allowedEngines
        self.region = region
        self.deployRoleArn = deployRoleArn
        self.state = state
        self.engines = engines
        self.capacity = capacity
        self.instances = instances
        self.backup = backup
        self.maintenanceWindow = maintenanceWindow
        self.deletionProtection = deletionProtection
        self.finalSnapshot = finalSnapshot
        self.applyImmediately = applyImmediately
        self.performanceInsights = performanceInsights
        self.enhancedMonitoringInterval = enhancedMonitoringInterval
        self.logRetentionDays = logRetentionDays
        self.iamDatabaseAuthentication = iamDatabaseAuthentication
        self.encryption = encryption
        self.network = network
        self.credentials = credentials
        self.backtrackWindowHours = backtrackWindowHours
        self.tags = tags
    }

    /// Where the stacks of this environment keep their Terraform state (S3, native locking).
    public struct StateBackend: Sendable, Hashable, Codable {
        public var bucket: String
        /// Region of the bucket; `nil` means the profile's region.
        public var region: String?
        public init(bucket: String = "rds-provisioner-terraform-state", region: String? = nil) {
            self.bucket = bucket
            self.region = region
        }
    }

    /// What an environment decides per engine.
    public struct EngineSettings: Sendable, Hashable, Codable {
        /// `aws_rds_cluster.engine_version`: a PostgreSQL major (`16`) or major.minor, or an exact
        /// Aurora MySQL version (`8.0.mysql_aurora.3.10.1`, an LTS release by default).
        public var version: String
        /// `enabled_cloudwatch_logs_exports`.
        public var logExports: [String]
        /// Let RDS apply minor versions in the maintenance window.
        public var autoMinorVersionUpgrade: Bool
        public init(version: String, logExports: [String], autoMinorVersionUpgrade: Bool) {
            self.version = version
            self.logExports = logExports
            self.autoMinorVersionUpgrade = autoMinorVersionUpgrade
        }
    }

    public struct EngineSettingsByEngine: Sendable, Hashable, Codable {
        public var mysql: EngineSettings
        public var postgresql: EngineSettings

        /// PostgreSQL pinned by major version with automatic minor upgrades (the provider treats
        /// `16` → `16.x` as no change, so upgrades are not drift). MySQL on the 3.10 LTS release
        /// with automatic minor upgrades off, as AWS advises for LTS releases.
        public init(
            mysql: EngineSettings = .init(
                version: "8.0.mysql_aurora.3.10.1", logExports: ["audit", "error", "slowquery"], autoMinorVersionUpgrade: false),
            postgresql: EngineSettings = .init(version: "16", logExports: ["postgresql"], autoMinorVersionUpgrade: true)
        ) {
            self.mysql = mysql
            self.postgresql = postgresql
        }

        public subscript(engine: DatabaseEngine) -> EngineSettings {
            get {
                switch engine {
                case .mysql: mysql
                case .postgresql: postgresql
                }
            }
            set {
                switch engine {
                case .mysql: mysql = newValue
                case .postgresql: postgresql = newValue
                }
            }
        }
    }

    /// Instance class and, for `db.serverless`, the Aurora Serverless v2 scaling range.
    public struct Capacity: Sendable, Hashable, Codable {
        /// `db.serverless` (Serverless v2) or a provisioned class such as `db.r7g.large`.
        public var instanceClass: String
        /// Serverless v2 minimum ACUs; 0 pauses idle instances where the engine version allows it.
        public var minACU: Double
        public var maxACU: Double
        /// Idle seconds before a paused-capable instance pauses (300...86400); used when `minACU` is 0.
        public var secondsUntilAutoPause: Int
        public init(instanceClass: String = "db.serverless", minACU: Double = 2, maxACU: Double = 16, secondsUntilAutoPause: Int = 3600) {
            self.instanceClass = instanceClass
            self.minACU = minACU
            self.maxACU = maxACU
            self.secondsUntilAutoPause = secondsUntilAutoPause
        }
        public var isServerless: Bool { instanceClass == "db.serverless" }
    }

    public struct Instances: Sendable, Hashable, Codable {
        /// Writer plus readers (1...15).
        public var count: Int
        /// Place instances round-robin across the availability zones of the subnets.
        public var spreadAcrossAZs: Bool
        public init(count: Int = 2, spreadAcrossAZs: Bool = true) {
            self.count = count
            self.spreadAcrossAZs = spreadAcrossAZs
        }
    }

    public struct Backup: Sendable, Hashable, Codable {
        /// Aurora automated backup retention (1...35 days).
        public var retentionDays: Int
        /// Daily UTC window `hh24:mi-hh24:mi`; must not overlap the maintenance window.
        public var window: String
        public var awsBackup: AWSBackup
        public init(retentionDays: Int = 14, window: String = "02:00-03:00", awsBackup: AWSBackup = AWSBackup()) {
            self.retentionDays = retentionDays
            self.window = window
            self.awsBackup = awsBackup
        }
    }

    /// An AWS Backup plan for the cluster, on top of Aurora's automated backups.
    public struct AWSBackup: Sendable, Hashable, Codable {
        public var enabled: Bool
        /// AWS cron expression (UTC).
        public var schedule: String
        /// Days before AWS Backup deletes a recovery point.
        public var retentionDays: Int
        public init(enabled: Bool = true, schedule: String = "cron(0 5 * * ? *)", retentionDays: Int = 35) {
            self.enabled = enabled
            self.schedule = schedule
            self.retentionDays = retentionDays
        }
    }

    public struct PerformanceInsights: Sendable, Hashable, Codable {
        public var enabled: Bool
        /// 7 (free tier), 31 × months (1...23), or 731.
        public var retentionDays: Int
        public init(enabled: Bool = true, retentionDays: Int = 7) {
            self.enabled = enabled
            self.retentionDays = retentionDays
        }
    }

    /// Storage is always encrypted. The key: `kmsKeyArn` when given; else a customer-managed key
    /// created per cluster (rotation on) when `createKey`; else the AWS-managed `aws/rds` key.
    public struct Encryption: Sendable, Hashable, Codable {
        public var kmsKeyArn: String?
        public var createKey: Bool
        public init(kmsKeyArn: String? = nil, createKey: Bool = true) {
            self.kmsKeyArn = kmsKeyArn
            self.createKey = createKey
        }
        /// Whether the cluster uses a customer-managed key (given or created).
        public var usesCustomerManagedKey: Bool { kmsKeyArn != nil || createKey }
    }

    /// Where clusters live and who may connect. Without `vpcId` the module finds the VPC by
    /// `vpcTags`; without `subnetIds` or `dbSubnetGroupName` it finds subnets by `subnetTags`.
    /// Without `allowedCidrs` and `allowedSecurityGroupIds` the VPC's own CIDR may connect.
    public struct Network: Sendable, Hashable, Codable {
        public var vpcId: String?
        public var vpcTags: [String: String]
        public var subnetIds: [String]
        public var subnetTags: [String: String]
        public var dbSubnetGroupName: String?
        public var allowedCidrs: [String]
        public var allowedSecurityGroupIds: [String]
        public init(
            vpcId: String? = nil, vpcTags: [String: String] = ["rds-provisioner:network": "default"], subnetIds: [String] = [],
            subnetTags: [String: String] = ["rds-provisioner:tier": "database"], dbSubnetGroupName: String? = nil,
            allowedCidrs: [String] = [], allowedSecurityGroupIds: [String] = []
        ) {
            self.vpcId = vpcId
            self.vpcTags = vpcTags
            self.subnetIds = subnetIds
            self.subnetTags = subnetTags
            self.dbSubnetGroupName = dbSubnetGroupName
            self.allowedCidrs = allowedCidrs
            self.allowedSecurityGroupIds = allowedSecurityGroupIds
        }
    }

    /// How the master user's password is kept.
    public enum CredentialsMode: String, Sendable, Hashable, Codable, CaseIterable {
        /// RDS manages and rotates the password in a Secrets Manager secret of its own.
        case managed
        /// Username and password come from an existing Secrets Manager secret (keys `username`
        /// and `password`) through a data source; never a literal in the code.
        case sharedSecret = "shared-secret"
    }

    public struct Credentials: Sendable, Hashable, Codable {
        public var mode: CredentialsMode
        /// Master user name in `managed` mode.
        public var username: String
        /// The secret read in `shared-secret` mode.
        public var secretName: String
        public init(mode: CredentialsMode = .managed, username: String = "dbadmin", secretName: String = "rds-credentials") {
            self.mode = mode
            self.username = username
            self.secretName = secretName
        }
    }
}

extension EnvironmentProfile {
    /// Built-in Dev: cheap and disposable. One Serverless v2 instance that scales to zero and
    /// pauses when idle (on engine versions that allow it), one day of backups, no deletion
    /// protection and no final snapshot, AWS-managed encryption key, short log retention.
    public static let dev = EnvironmentProfile(
        name: "Dev",
        capacity: Capacity(instanceClass: "db.serverless", minACU: 0, maxACU: 4, secondsUntilAutoPause: 1800),
        instances: Instances(count: 1, spreadAcrossAZs: true),
        backup: Backup(retentionDays: 1, window: "03:00-04:00", awsBackup: AWSBackup(enabled: false)),
        maintenanceWindow: "sun:05:00-sun:06:00",
        deletionProtection: false,
        finalSnapshot: false,
        applyImmediately: true,
        performanceInsights: PerformanceInsights(enabled: false, retentionDays: 7),
        enhancedMonitoringInterval: 0,
        logRetentionDays: 7,
        iamDatabaseAuthentication: true,
        encryption: Encryption(kmsKeyArn: nil, createKey: false),
        network: Network(vpcTags: ["rds-provisioner:network": "dev"]),
        backtrackWindowHours: 0)

    /// Built-in Prod: a writer and a reader in another availability zone, deletion protection,
    /// a final snapshot, 14 days of automated backups plus a daily AWS Backup plan kept 35 days,
    /// a customer-managed KMS key, Performance Insights, enhanced monitoring, a year of logs and
    /// 24 hours of backtrack for MySQL.
    public static let prod = EnvironmentProfile(
        name: "Prod",
        capacity: Capacity(instanceClass: "db.serverless", minACU: 2, maxACU: 16, secondsUntilAutoPause: 3600),
        instances: Instances(count: 2, spreadAcrossAZs: true),
        backup: Backup(retentionDays: 14, window: "02:00-03:00", awsBackup: AWSBackup(enabled: true)),
        maintenanceWindow: "sun:04:30-sun:05:30",
        deletionProtection: true,
        finalSnapshot: true,
        applyImmediately: false,
        performanceInsights: PerformanceInsights(enabled: true, retentionDays: 7),
        enhancedMonitoringInterval: 30,
        logRetentionDays: 365,
        iamDatabaseAuthentication: true,
        encryption: Encryption(kmsKeyArn: nil, createKey: true),
        network: Network(vpcTags: ["rds-provisioner:network": "prod"]),
        backtrackWindowHours: 24)
}

/// The profiles in force: built-in Dev and Prod, overridden or extended by a profile file.
public struct ProfileSet: Sendable, Hashable {
    public var profiles: [EnvironmentProfile]

    public init(profiles: [EnvironmentProfile]) {
        self.profiles = profiles
    }

    public static let builtIn = ProfileSet(profiles: [.dev, .prod])

    /// Case-insensitive lookup: `dev`, `DEV` and `Dev` all find `Dev`.
    public func profile(named name: String) -> EnvironmentProfile? {
        profiles.first { $0.name.lowercased() == name.lowercased() }
    }

    public var names: [String] { profiles.map(\.name) }
}
