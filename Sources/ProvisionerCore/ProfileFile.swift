/// A problem in a profile file: the key path (`environments.Prod.backup.retentionDays`, empty
/// for the file as a whole) and what is wrong, e.g.
/// `environments.Prod.backup.retentionDays: must be an integer from 1 to 35, got 90`.
public struct ProfileFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Profile files: the built-in profiles, overridden and extended by an organisation.
///
///     version: 1                 # optional; the only version is 1
///     defaults:                  # applied to the built-in Dev and Prod
///       region: eu-west-1
///     environments:
///       Prod:
///         backup: {retentionDays: 30}
///       Staging:                 # a new environment starts from its base
///         base: Prod
///         instances: {count: 1}
///
/// JSON files are read here; YAML files by `ProvisionerYAML`, into the same `ProfileValue`
/// tree and through the same decoder. The full format is in docs/profiles.md.
public enum ProfileFile {
    /// Reads a JSON profile file.
    public static func load(json: some Collection<UInt8>) throws(ProfileFileError) -> ProfileSet {
        try load(ProfileJSON.parse(json))
    }

    /// Resolves a parsed profile file against the built-in profiles.
    public static func load(_ root: ProfileValue, builtIn: ProfileSet = .builtIn) throws(ProfileFileError) -> ProfileSet {
        var defaults: ProfileValue?
        var environments: [ProfileValue.Entry] = []
        try Decode.object(root, at: "", keys: ["version", "defaults", "environments"]) { (key, value, path) throws(ProfileFileError) in
            switch key {
            case "version":
                guard value == .integer(1) else { throw ProfileFileError(path: path, "must be 1, got \(value.summary)") }
            case "defaults":
                try Decode.object(value, at: path, keys: Settings.keys) { (_, _, _) throws(ProfileFileError) in }
                defaults = value
            default:
                guard case .object(let entries) = value else { throw ProfileFileError(path: path, "must be an object, got \(value.summary)") }
                environments = entries
            }
        }
        var resolver = Resolver(builtIn: builtIn, defaults: defaults, environments: environments)
        try resolver.checkNames()
        var result: [EnvironmentProfile] = []
        for name in resolver.orderedNames {
            result.append(try resolver.resolve(name, chain: []))
        }
        return ProfileSet(profiles: result)
    }

    /// `^[A-Za-z][A-Za-z0-9]{0,15}$`: environment names never hold a hyphen, which keeps the
    /// cluster identifier `<name>-<environment>` unambiguous.
    public static func isValidEnvironmentName(_ name: String) -> Bool {
        name.wholeMatch(of: /[A-Za-z][A-Za-z0-9]{0,15}/) != nil
    }
}

// MARK: - Resolution

private struct Resolver {
    let builtIn: ProfileSet
    let defaults: ProfileValue?
    let environments: [ProfileValue.Entry]
    var resolved: [String: EnvironmentProfile] = [:]

    init(builtIn: ProfileSet, defaults: ProfileValue?, environments: [ProfileValue.Entry]) {
        self.builtIn = builtIn
        self.defaults = defaults
        self.environments = environments
    }

    /// Built-in environments first, then the file's new ones in file order.
    var orderedNames: [String] {
        builtIn.names + environments.map(\.key).filter { builtIn.profile(named: $0) == nil }
    }

    func checkNames() throws(ProfileFileError) {
        var seen: [String: String] = [:]
        for entry in environments {
            let path = "environments.\(entry.key)"
            guard ProfileFile.isValidEnvironmentName(entry.key) else {
                throw ProfileFileError(
                    path: path, "environment names are a letter then up to 15 letters or digits (no hyphens or spaces)")
            }
            if let other = seen[entry.key.lowercased()] {
                throw ProfileFileError(path: path, "the same environment as \(other) (names are case-insensitive)")
            }
            seen[entry.key.lowercased()] = entry.key
        }
    }

    func entry(named name: String) -> ProfileValue.Entry? {
        environments.first { $0.key.lowercased() == name.lowercased() }
    }

    mutating func resolve(_ name: String, chain: [String]) throws(ProfileFileError) -> EnvironmentProfile {
        if let done = resolved[name.lowercased()] { return done }
        let entry = entry(named: name)
        let path = "environments.\(entry?.key ?? name)"
        if chain.contains(where: { $0.lowercased() == name.lowercased() }) {
            throw ProfileFileError(path: path + ".base", "bases form a cycle: \((chain + [name]).joined(separator: " → "))")
        }
        let canonicalName = builtIn.profile(named: name)?.name ?? entry?.key ?? name
        var base: (value: String, path: String)?
        if let entry {
            guard case .object(let entries) = entry.value else {
                throw ProfileFileError(path: path, "must be an object, got \(entry.value.summary)")
            }
            if let baseEntry = entries.first(where: { $0.key == "base" }) {
                guard case .string(let text) = baseEntry.value else {
                    throw ProfileFileError(path: path + ".base", "must be the name of another environment, got \(baseEntry.value.summary)")
                }
                base = (text, path + ".base")
            }
        }

        var profile: EnvironmentProfile
        if let base {
            guard builtIn.profile(named: base.value) != nil || self.entry(named: base.value) != nil else {
                throw ProfileFileError(path: base.path, "no environment named \(base.value); known: \(knownNames)")
            }
            profile = try resolve(base.value, chain: chain + [canonicalName])
            profile.name = canonicalName
        } else if let builtInProfile = builtIn.profile(named: name) {
            profile = builtInProfile
            if let defaults { try Settings.apply(defaults, to: &profile, at: "defaults") }
        } else {
            throw ProfileFileError(path: path + ".base", "a new environment needs a base to start from (one of \(knownNames))")
        }
        if let entry {
            try Settings.apply(entry.value, to: &profile, at: path, allowBase: true)
        }
        try Settings.checkConsistency(profile, at: entry != nil ? path : "defaults")
        resolved[name.lowercased()] = profile
        return profile
    }

    var knownNames: String {
        orderedNames.joined(separator: ", ")
    }
}

// MARK: - Settings

/// The keys of one environment's settings (also of `defaults`), applied over a profile.
enum Settings {
    static let keys = [
        "allowedEngines", "region", "deployRoleArn", "state", "engines", "capacity", "instances", "backup",
        "maintenanceWindow", "deletionProtection", "finalSnapshot", "applyImmediately", "performanceInsights",
        "enhancedMonitoringInterval", "logRetentionDays", "iamDatabaseAuthentication", "encryption", "network",
        "credentials", "backtrackWindowHours", "tags",
    ]

    static let logExports: [DatabaseEngine: [String]] = [
        .mysql: ["audit", "error", "general", "slowquery", "iam-db-auth-error"],
        .postgresql: ["postgresql", "iam-db-auth-error"],
    ]

    static let logRetentionValues = [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ]

    static func apply(_ value: ProfileValue, to profile: inout EnvironmentProfile, at path: String, allowBase: Bool = false)
        throws(ProfileFileError)
    {
        try Decode.object(value, at: path, keys: (allowBase ? ["base"] : []) + keys) { (key, value, path) throws(ProfileFileError) in
            switch key {
            case "base": break  // handled by the resolver
            case "allowedEngines":
                let names = try Decode.strings(value, at: path, nonEmpty: true) { _ in nil }
                var engines: [DatabaseEngine] = []
                for (index, name) in names.enumerated() {
                    guard let engine = DatabaseEngine(userSpelling: name) else {
                        throw ProfileFileError(path: "\(path)[\(index)]", "must be MySQL or PostgreSQL, got \"\(name)\"")
                    }
                    if !engines.contains(engine) { engines.append(engine) }
                }
                profile.allowedEngines = DatabaseEngine.allCases.filter(engines.contains)
            case "region": profile.region = try Decode.string(value, at: path, AWSRules.region)
            case "deployRoleArn": profile.deployRoleArn = try Decode.optionalString(value, at: path, AWSRules.iamRoleArn)
            case "state": try applyState(value, to: &profile.state, at: path)
            case "engines":
                try Decode.object(value, at: path, keys: DatabaseEngine.allCases.map(\.key)) { (key, value, path) throws(ProfileFileError) in
                    let engine = DatabaseEngine.allCases.first { $0.key == key }!
                    try applyEngine(value, engine: engine, to: &profile.engines[engine], at: path)
                }
            case "capacity": try applyCapacity(value, to: &profile.capacity, at: path)
            case "instances":
                try Decode.object(value, at: path, keys: ["count", "spreadAcrossAZs"]) { (key, value, path) throws(ProfileFileError) in
                    switch key {
                    case "count": profile.instances.count = try Decode.int(value, at: path, 1...15)
                    default: profile.instances.spreadAcrossAZs = try Decode.bool(value, at: path)
                    }
                }
            case "backup": try applyBackup(value, to: &profile.backup, at: path)
            case "maintenanceWindow": profile.maintenanceWindow = try Decode.string(value, at: path, AWSRules.maintenanceWindow)
            case "deletionProtection": profile.deletionProtection = try Decode.bool(value, at: path)
            case "finalSnapshot": profile.finalSnapshot = try Decode.bool(value, at: path)
            case "applyImmediately": profile.applyImmediately = try Decode.bool(value, at: path)
            case "performanceInsights":
                try Decode.object(value, at: path, keys: ["enabled", "retentionDays"]) { (key, value, path) throws(ProfileFileError) in
                    switch key {
                    case "enabled": profile.performanceInsights.enabled = try Decode.bool(value, at: path)
                    default:
                        let days = try Decode.int(value, at: path, 7...731)
                        guard days == 7 || days == 731 || (days % 31 == 0 && days <= 713) else {
                            throw ProfileFileError(path: path, "must be 7, a multiple of 31 up to 713 (months), or 731, got \(days)")
                        }
                        profile.performanceInsights.retentionDays = days
                    }
                }
            case "enhancedMonitoringInterval":
                profile.enhancedMonitoringInterval = try Decode.int(value, at: path, oneOf: [0, 1, 5, 10, 15, 30, 60])
            case "logRetentionDays": profile.logRetentionDays = try Decode.int(value, at: path, oneOf: logRetentionValues)
            case "iamDatabaseAuthentication": profile.iamDatabaseAuthentication = try Decode.bool(value, at: path)
            case "encryption":
                try Decode.object(value, at: path, keys: ["kmsKeyArn", "createKey"]) { (key, value, path) throws(ProfileFileError) in
                    switch key {
                    case "kmsKeyArn": profile.encryption.kmsKeyArn = try Decode.optionalString(value, at: path, AWSRules.kmsKeyArn)
                    default: profile.encryption.createKey = try Decode.bool(value, at: path)
                    }
                }
            case "network": try applyNetwork(value, to: &profile.network, at: path)
            case "credentials":
                try Decode.object(value, at: path, keys: ["mode", "username", "secretName"]) { (key, value, path) throws(ProfileFileError) in
                    switch key {
                    case "mode":
                        let text = try Decode.string(value, at: path) { text in
                            EnvironmentProfile.CredentialsMode(rawValue: text) == nil ? "must be managed or shared-secret" : nil
                        }
                        profile.credentials.mode = EnvironmentProfile.CredentialsMode(rawValue: text)!
                    case "username": profile.credentials.username = try Decode.string(value, at: path, AWSRules.masterUsername)
                    default: profile.credentials.secretName = try Decode.string(value, at: path, AWSRules.secretName)
                    }
                }
            case "backtrackWindowHours": profile.backtrackWindowHours = try Decode.int(value, at: path, 0...72)
            default:  // tags
                try Decode.mergeTags(value, into: &profile.tags, at: path, reservedPrefix: "rds-provisioner:")
            }
        }
    }

    static func applyState(_ value: ProfileValue, to state: inout EnvironmentProfile.StateBackend, at path: String)
        throws(ProfileFileError)
    {
        try Decode.object(value, at: path, keys: ["bucket", "region"]) { (key, value, path) throws(ProfileFileError) in
            switch key {
            case "bucket": state.bucket = try Decode.string(value, at: path, AWSRules.s3BucketName)
            default: state.region = try Decode.optionalString(value, at: path, AWSRules.region)
            }
        }
    }

    static func applyEngine(
        _ value: ProfileValue, engine: DatabaseEngine, to settings: inout EnvironmentProfile.EngineSettings, at path: String
    ) throws(ProfileFileError) {
        try Decode.object(value, at: path, keys: ["version", "logExports", "autoMinorVersionUpgrade"]) { (key, value, path) throws(ProfileFileError) in
            switch key {
            case "version": settings.version = try Decode.string(value, at: path) { EngineVersion.check($0, engine: engine) }
            case "logExports":
                let allowed = logExports[engine]!
                settings.logExports = try Decode.strings(value, at: path, nonEmpty: false) { text in
                    allowed.contains(text) ? nil : "must be one of \(allowed.joined(separator: ", "))"
                }
            default: settings.autoMinorVersionUpgrade = try Decode.bool(value, at: path)
            }
        }
    }

    static func applyCapacity(_ value: ProfileValue, to capacity: inout EnvironmentProfile.Capacity, at path: String)
        throws(ProfileFileError)
    {
        try Decode.object(value, at: path, keys: ["instanceClass", "minACU", "maxACU", "secondsUntilAutoPause"]) { (key, value, path) throws(ProfileFileError) in
            switch key {
            case "instanceClass": capacity.instanceClass = try Decode.string(value, at: path, AWSRules.instanceClass)
            case "minACU": capacity.minACU = try Decode.acu(value, at: path, 0...256)
            case "maxACU": capacity.maxACU = try Decode.acu(value, at: path, 1...256)
            default: capacity.secondsUntilAutoPause = try Decode.int(value, at: path, 300...86_400)
            }
        }
    }

    static func applyBackup(_ value: ProfileValue, to backup: inout EnvironmentProfile.Backup, at path: String)
        throws(ProfileFileError)
    {
        try Decode.object(value, at: path, keys: ["retentionDays", "window", "awsBackup"]) { (key, value, path) throws(ProfileFileError) in
            switch key {
            case "retentionDays": backup.retentionDays = try Decode.int(value, at: path, 1...35)
            case "window": backup.window = try Decode.string(value, at: path, AWSRules.backupWindow)
            default:
                try Decode.object(value, at: path, keys: ["enabled", "schedule", "retentionDays"]) { (key, value, path) throws(ProfileFileError) in
                    switch key {
                    case "enabled": backup.awsBackup.enabled = try Decode.bool(value, at: path)
                    case "schedule": backup.awsBackup.schedule = try Decode.string(value, at: path, AWSRules.backupSchedule)
                    default: backup.awsBackup.retentionDays = try Decode.int(value, at: path, 1...36_500)
                    }
                }
            }
        }
    }

    static func applyNetwork(_ value: ProfileValue, to network: inout EnvironmentProfile.Network, at path: String)
        throws(ProfileFileError)
    {
        let keys = ["vpcId", "vpcTags", "subnetIds", "subnetTags", "dbSubnetGroupName", "allowedCidrs", "allowedSecurityGroupIds"]
        try Decode.object(value, at: path, keys: keys) { (key, value, path) throws(ProfileFileError) in
            switch key {
            case "vpcId": network.vpcId = try Decode.optionalString(value, at: path, AWSRules.vpcId)
            case "vpcTags": network.vpcTags = try Decode.tags(value, at: path)
            case "subnetIds": network.subnetIds = try Decode.strings(value, at: path, nonEmpty: false, unique: true, AWSRules.subnetId)
            case "subnetTags": network.subnetTags = try Decode.tags(value, at: path)
            case "dbSubnetGroupName":
                network.dbSubnetGroupName = try Decode.optionalString(value, at: path, AWSRules.dbSubnetGroupName)
            case "allowedCidrs": network.allowedCidrs = try Decode.strings(value, at: path, nonEmpty: false, unique: true, AWSRules.ipv4Cidr)
            default:
                network.allowedSecurityGroupIds = try Decode.strings(value, at: path, nonEmpty: false, unique: true, AWSRules.securityGroupId)
            }
        }
    }

    /// Rules that involve more than one key, checked on the resolved profile.
    static func checkConsistency(_ profile: EnvironmentProfile, at path: String) throws(ProfileFileError) {
        let capacity = profile.capacity
        if capacity.isServerless, capacity.minACU > capacity.maxACU {
            throw ProfileFileError(
                path: path + ".capacity", "minACU (\(ACU.format(capacity.minACU))) is greater than maxACU (\(ACU.format(capacity.maxACU)))")
        }
        if AWSRules.windowsOverlap(backup: profile.backup.window, maintenance: profile.maintenanceWindow) {
            throw ProfileFileError(
                path: path + ".maintenanceWindow",
                "\(profile.maintenanceWindow) overlaps the daily backup window \(profile.backup.window); RDS refuses overlapping windows")
        }
        let network = profile.network
        if !network.subnetIds.isEmpty, network.dbSubnetGroupName != nil {
            throw ProfileFileError(path: path + ".network", "set subnetIds or dbSubnetGroupName, not both")
        }
        if !network.subnetIds.isEmpty, network.subnetIds.count < 2 {
            throw ProfileFileError(path: path + ".network.subnetIds", "needs at least two subnets in different availability zones")
        }
        if network.vpcId == nil, !network.subnetIds.isEmpty || network.dbSubnetGroupName != nil {
            throw ProfileFileError(path: path + ".network.vpcId", "is required when subnetIds or dbSubnetGroupName is set")
        }
        if network.vpcId == nil, network.vpcTags.isEmpty {
            throw ProfileFileError(path: path + ".network", "set vpcId, or vpcTags to find the VPC by its tags")
        }
        if network.subnetIds.isEmpty, network.dbSubnetGroupName == nil, network.subnetTags.isEmpty {
            throw ProfileFileError(path: path + ".network", "set subnetIds, dbSubnetGroupName, or subnetTags to find the subnets by their tags")
        }
    }
}

/// Aurora capacity units: 0 to 256 in steps of 0.5.
enum ACU {
    /// `0`, `0.5`, `16`: the shortest spelling, as HCL and docs show it.
    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// What engine versions the profiles accept, and what a version supports.
public enum EngineVersion {
    /// `nil` when `version` is acceptable for `engine`: PostgreSQL 13 or later as a major (`16`) or
    /// major.minor (`16.6`); Aurora MySQL version 3 or later as an exact version
    /// (`8.0.mysql_aurora.3.10.1`).
    public static func check(_ version: String, engine: DatabaseEngine) -> String? {
        switch engine {
        case .postgresql:
            guard let (major, _) = postgresVersion(version), major >= 13 else {
                return "must be an Aurora PostgreSQL version 13 or later, as a major (16) or major.minor (16.6)"
            }
            return nil
        case .mysql:
            guard let (major, _, _) = auroraMySQLVersion(version), major >= 3 else {
                return "must be an exact Aurora MySQL version 3 or later, such as 8.0.mysql_aurora.3.10.1"
            }
            return nil
        }
    }

    /// Whether Aurora Serverless v2 can scale this version to 0 ACUs (automatic pause): Aurora
    /// PostgreSQL 13.15+, 14.12+, 15.7+, 16.3+ and 17; Aurora MySQL 3.08.0+. A PostgreSQL
    /// version pinned by major alone counts from 16 on, where every release AWS still offers
    /// for new clusters supports it; 13 to 15 need the minor spelled out to be sure.
    public static func supportsScaleToZero(_ version: String, engine: DatabaseEngine) -> Bool {
        switch engine {
        case .postgresql:
            guard let (major, minor) = postgresVersion(version) else { return false }
            let minimum: [Int: Int] = [13: 15, 14: 12, 15: 7, 16: 3]
            guard let required = minimum[major] else { return major >= 17 }
            guard let minor else { return major >= 16 }
            return minor >= required
        case .mysql:
            guard let (major, minor, _) = auroraMySQLVersion(version) else { return false }
            return major > 3 || minor >= 8
        }
    }

    /// Whether the version names a major only (`16`), leaving the minor to RDS.
    public static func isMajorOnly(_ version: String) -> Bool {
        !version.isEmpty && version.utf8.allSatisfy(ASCIIPattern.isDigit)
    }

    /// `([0-9]{2})(\.([0-9]{1,2}))?`: major and optional minor.
    static func postgresVersion(_ version: String) -> (Int, Int?)? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let major = ASCIIPattern.number(parts[0], digits: 2...2) else { return nil }
        guard parts.count == 2 else { return (major, nil) }
        guard let minor = ASCIIPattern.number(parts[1], digits: 1...2) else { return nil }
        return (major, minor)
    }

    /// `[0-9]\.[0-9]\.mysql_aurora\.([0-9])\.([0-9]{1,2})\.([0-9]{1,2})`: the Aurora version's three numbers.
    static func auroraMySQLVersion(_ version: String) -> (Int, Int, Int)? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 6, ASCIIPattern.number(parts[0], digits: 1...1) != nil,
            ASCIIPattern.number(parts[1], digits: 1...1) != nil, parts[2] == "mysql_aurora",
            let major = ASCIIPattern.number(parts[3], digits: 1...1), let minor = ASCIIPattern.number(parts[4], digits: 1...2),
            let patch = ASCIIPattern.number(parts[5], digits: 1...2)
        else { return nil }
        return (major, minor, patch)
    }
}

// MARK: - Decoding helpers

enum Decode {
    static func object(
        _ value: ProfileValue, at path: String, keys: [String],
        _ body: (String, ProfileValue, String) throws(ProfileFileError) -> Void
    ) throws(ProfileFileError) {
        guard case .object(let entries) = value else {
            throw ProfileFileError(path: path, "must be an object, got \(value.summary)")
        }
        for entry in entries where !keys.contains(entry.key) {
            throw ProfileFileError(path: join(path, entry.key), "unknown key; expected one of \(keys.joined(separator: ", "))")
        }
        for entry in entries {
            try body(entry.key, entry.value, join(path, entry.key))
        }
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    static func bool(_ value: ProfileValue, at path: String) throws(ProfileFileError) -> Bool {
        guard case .bool(let flag) = value else { throw ProfileFileError(path: path, "must be true or false, got \(value.summary)") }
        return flag
    }

    static func int(_ value: ProfileValue, at path: String, _ range: ClosedRange<Int>) throws(ProfileFileError) -> Int {
        guard case .integer(let number) = value, range.contains(number) else {
            throw ProfileFileError(
                path: path, "must be an integer from \(range.lowerBound) to \(range.upperBound), got \(value.summary)")
        }
        return number
    }

    static func int(_ value: ProfileValue, at path: String, oneOf allowed: [Int]) throws(ProfileFileError) -> Int {
        guard case .integer(let number) = value, allowed.contains(number) else {
            throw ProfileFileError(
                path: path, "must be one of \(allowed.map(String.init).joined(separator: ", ")), got \(value.summary)")
        }
        return number
    }

    /// A capacity in ACUs: a number in the range, in steps of 0.5.
    static func acu(_ value: ProfileValue, at path: String, _ range: ClosedRange<Double>) throws(ProfileFileError) -> Double {
        let number: Double? =
            switch value {
            case .integer(let integer): Double(integer)
            case .number(let double): double
            default: nil
            }
        guard let number, range.contains(number), (number * 2).rounded() == number * 2 else {
            throw ProfileFileError(
                path: path,
                "must be a number of ACUs from \(ACU.format(range.lowerBound)) to \(ACU.format(range.upperBound)) in steps of 0.5, got \(value.summary)")
        }
        return number
    }

    static func string(_ value: ProfileValue, at path: String, _ check: (String) -> String?) throws(ProfileFileError) -> String {
        guard case .string(let text) = value else {
            switch value {
            case .integer, .number:
                throw ProfileFileError(path: path, "must be a string; put numbers in quotes, as in \"16\", got \(value.summary)")
            default:
                throw ProfileFileError(path: path, "must be a string, got \(value.summary)")
            }
        }
        if let problem = check(text) { throw ProfileFileError(path: path, "\(problem), got \(value.summary)") }
        return text
    }

    /// A string, or `null` to clear the setting.
    static func optionalString(_ value: ProfileValue, at path: String, _ check: (String) -> String?) throws(ProfileFileError) -> String? {
        if value == .null { return nil }
        return try string(value, at: path, check)
    }

    static func strings(
        _ value: ProfileValue, at path: String, nonEmpty: Bool, unique: Bool = false, _ check: (String) -> String?
    ) throws(ProfileFileError) -> [String] {
        guard case .array(let items) = value else { throw ProfileFileError(path: path, "must be a list, got \(value.summary)") }
        if nonEmpty, items.isEmpty { throw ProfileFileError(path: path, "must not be empty") }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            let text = try string(item, at: "\(path)[\(index)]", check)
            if unique, result.contains(text) { throw ProfileFileError(path: "\(path)[\(index)]", "duplicate \"\(text)\"") }
            result.append(text)
        }
        return result
    }

    /// A whole map of tags (replaces the previous value).
    static func tags(_ value: ProfileValue, at path: String) throws(ProfileFileError) -> [String: String] {
        var tags: [String: String] = [:]
        try mergeTags(value, into: &tags, at: path, reservedPrefix: nil)
        return tags
    }

    /// Merges tags into `tags`; a `null` value removes the key.
    static func mergeTags(_ value: ProfileValue, into tags: inout [String: String], at path: String, reservedPrefix: String?)
        throws(ProfileFileError)
    {
        guard case .object(let entries) = value else { throw ProfileFileError(path: path, "must be an object, got \(value.summary)") }
        guard entries.count <= 40 else { throw ProfileFileError(path: path, "at most 40 tags (AWS allows 50 per resource, the service adds its own)") }
        for entry in entries {
            let keyPath = join(path, entry.key)
            if let problem = AWSRules.tagKey(entry.key) { throw ProfileFileError(path: keyPath, "\(problem), got \"\(entry.key)\"") }
            if let reservedPrefix, entry.key.lowercased().hasPrefix(reservedPrefix) {
                throw ProfileFileError(path: keyPath, "tag keys starting with \(reservedPrefix) are set by the service")
            }
            if entry.value == .null {
                tags[entry.key] = nil
            } else {
                tags[entry.key] = try string(entry.value, at: keyPath, AWSRules.tagValue)
            }
        }
    }
}
