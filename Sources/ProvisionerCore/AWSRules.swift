/// AWS's own rules for the values a profile can send into Terraform. Each check returns `nil`
/// when the value is acceptable, or a sentence that says what is expected (used after
/// `<key path>: ` in profile errors). Every value that reaches HCL passes one of these first.
public enum AWSRules {
    /// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-5`.
    public static func region(_ value: String) -> String? {
        value.wholeMatch(of: /[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[1-9][0-9]?/) == nil
            ? "must be an AWS region name such as eu-west-1" : nil
    }

    /// `arn:aws:iam::123456789012:role/path/name`
    public static func iamRoleArn(_ value: String) -> String? {
        value.wholeMatch(of: /arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_\/-]{1,512}/) == nil
            || value.hasSuffix("/")
            ? "must be an IAM role ARN such as arn:aws:iam::123456789012:role/rds-provisioner-deploy" : nil
    }

    /// `arn:aws:kms:eu-west-1:123456789012:key/<key id>` (a key, not an alias: RDS stores the key ARN).
    public static func kmsKeyArn(_ value: String) -> String? {
        value.wholeMatch(of: /arn:aws(-cn|-us-gov)?:kms:[a-z]{2}(-gov)?-[a-z]+-[1-9][0-9]?:[0-9]{12}:key\/(mrk-)?[a-f0-9-]{32,36}/) == nil
            ? "must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" : nil
    }

    public static func vpcId(_ value: String) -> String? {
        value.wholeMatch(of: /vpc-([0-9a-f]{8}|[0-9a-f]{17})/) == nil ? "must be a VPC id such as vpc-0123456789abcdef0" : nil
    }

    public static func subnetId(_ value: String) -> String? {
        value.wholeMatch(of: /subnet-([0-9a-f]{8}|[0-9a-f]{17})/) == nil ? "must be a subnet id such as subnet-0123456789abcdef0" : nil
    }

    public static func securityGroupId(_ value: String) -> String? {
        value.wholeMatch(of: /sg-([0-9a-f]{8}|[0-9a-f]{17})/) == nil ? "must be a security group id such as sg-0123456789abcdef0" : nil
    }

    /// DB subnet group names: 1 to 255 lower-case letters, digits, spaces, `.`, `_`, `-`; not `default`.
    public static func dbSubnetGroupName(_ value: String) -> String? {
        value.wholeMatch(of: /[a-z0-9][a-z0-9 ._-]{0,254}/) == nil || value == "default"
            ? "must be a DB subnet group name: 1 to 255 lower-case letters, digits, spaces, '.', '_' or '-', not \"default\"" : nil
    }

    /// A canonical IPv4 CIDR block (host bits zero) that is not the whole internet.
    public static func ipv4Cidr(_ value: String) -> String? {
        let expected = "must be an IPv4 CIDR block such as 10.0.0.0/16"
        guard let match = value.wholeMatch(of: /([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\/([0-9]{1,2})/) else {
            return expected
        }
        let octets = [match.1, match.2, match.3, match.4].compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 <= 255 }), let prefix = UInt32(match.5), prefix <= 32 else {
            return expected
        }
        guard prefix > 0 else { return "must not be 0.0.0.0/0: a database is never open to the whole internet" }
        let address = octets.reduce(0) { $0 << 8 | $1 }
        let mask: UInt32 = prefix == 32 ? .max : ~(UInt32.max >> prefix)
        guard address & mask == address else {
            let network = address & mask
            let text = (0..<4).map { String((network >> (24 - 8 * UInt32($0))) & 0xFF) }.joined(separator: ".")
            return "must be a network address (host bits zero): did you mean \(text)/\(prefix)?"
        }
        return nil
    }

    static let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// A weekly window `ddd:hh24:mi-ddd:hh24:mi` in UTC, at least 30 minutes long.
    public static func maintenanceWindow(_ value: String) -> String? {
        maintenanceInterval(value) == nil
            ? "must be a weekly UTC window ddd:hh24:mi-ddd:hh24:mi of at least 30 minutes, such as sun:04:00-sun:05:00" : nil
    }

    /// A daily window `hh24:mi-hh24:mi` in UTC, at least 30 minutes long.
    public static func backupWindow(_ value: String) -> String? {
        backupInterval(value) == nil
            ? "must be a daily UTC window hh24:mi-hh24:mi of at least 30 minutes, such as 02:00-03:00" : nil
    }

    /// Minutes since Monday 00:00 of the start and end (end may wrap past the week).
    static func maintenanceInterval(_ value: String) -> (start: Int, end: Int)? {
        guard let match = value.wholeMatch(of: /([a-z]{3}):([0-9]{2}):([0-9]{2})-([a-z]{3}):([0-9]{2}):([0-9]{2})/),
            let startDay = days.firstIndex(of: String(match.1)), let endDay = days.firstIndex(of: String(match.4)),
            let start = minutes(match.2, match.3), let end = minutes(match.5, match.6)
        else { return nil }
        let week = 7 * 24 * 60
        let from = startDay * 24 * 60 + start
        var to = endDay * 24 * 60 + end
        if to <= from { to += week }
        guard to - from >= 30, to - from < week else { return nil }
        return (from, to)
    }

    static func backupInterval(_ value: String) -> (start: Int, end: Int)? {
        guard let match = value.wholeMatch(of: /([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})/),
            let start = minutes(match.1, match.2), var end = minutes(match.3, match.4)
        else { return nil }
        if end <= start { end += 24 * 60 }
        guard end - start >= 30 else { return nil }
        return (start, end)
    }

    private static func minutes(_ hours: Substring, _ minutes: Substring) -> Int? {
        guard let h = Int(hours), let m = Int(minutes), h < 24, m < 60 else { return nil }
        return h * 60 + m
    }

    /// Whether a daily backup window overlaps a weekly maintenance window (RDS refuses that).
    public static func windowsOverlap(backup: String, maintenance: String) -> Bool {
        guard let daily = backupInterval(backup), let weekly = maintenanceInterval(maintenance) else { return false }
        let week = 7 * 24 * 60
        for day in -1...7 {
            let start = day * 24 * 60 + daily.start
            let end = day * 24 * 60 + daily.end
            for shift in [-week, 0, week] where start < weekly.end + shift && weekly.start + shift < end {
                return true
            }
        }
        return false
    }

    /// Tag keys: 1 to 128 letters, digits, spaces and `_ . : / = + - @`; never `aws:`.
    public static func tagKey(_ value: String) -> String? {
        guard !value.isEmpty, value.count <= 128, value.unicodeScalars.allSatisfy(isTagScalar) else {
            return "must be a tag key: 1 to 128 letters, digits, spaces and _ . : / = + - @"
        }
        if value.lowercased().hasPrefix("aws:") { return "must not start with aws: (reserved by AWS)" }
        return nil
    }

    /// Tag values: 0 to 256 letters, digits, spaces and `_ . : / = + - @`.
    public static func tagValue(_ value: String) -> String? {
        guard value.count <= 256, value.unicodeScalars.allSatisfy(isTagScalar) else {
            return "must be a tag value: at most 256 letters, digits, spaces and _ . : / = + - @"
        }
        return nil
    }

    static func isTagScalar(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || properties.numericType != nil { return true }
        if scalar == " " { return true }  // the only space allowed: no tabs, newlines or other separators
        return "_.:/=+-@".unicodeScalars.contains(scalar)
    }

    /// `db.serverless` (Aurora Serverless v2) or a provisioned class such as `db.r7g.large`.
    public static func instanceClass(_ value: String) -> String? {
        value.wholeMatch(of: /db\.(serverless|[a-z0-9]+\.[a-z0-9]+)/) == nil
            ? "must be a DB instance class such as db.serverless or db.r7g.large" : nil
    }

    /// S3 bucket names: 3 to 63 lower-case letters, digits, `.` and `-`, starting and ending
    /// with a letter or digit, not shaped like an IP address.
    public static func s3BucketName(_ value: String) -> String? {
        guard value.wholeMatch(of: /[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/) != nil, !value.contains(".."),
            value.wholeMatch(of: /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/) == nil
        else { return "must be an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-'" }
        return nil
    }

    /// Master user names: a letter, then up to 15 letters, digits or `_`; not a name RDS reserves.
    public static func masterUsername(_ value: String) -> String? {
        guard value.wholeMatch(of: /[A-Za-z][A-Za-z0-9_]{0,15}/) != nil else {
            return "must be a database user name: a letter, then up to 15 letters, digits or _"
        }
        let reserved: Set = ["rdsadmin", "rdsrepladmin", "rdsproxyadmin", "rds_superuser", "postgres", "root", "mysql"]
        if reserved.contains(value.lowercased()) { return "\(value) is reserved by RDS or the engine; choose another name" }
        return nil
    }

    /// Secrets Manager secret names: 1 to 512 letters, digits and `/ _ + = . @ -`.
    public static func secretName(_ value: String) -> String? {
        value.wholeMatch(of: /[A-Za-z0-9\/_+=.@-]{1,512}/) == nil
            ? "must be a Secrets Manager secret name: letters, digits and / _ + = . @ -" : nil
    }

    /// AWS Backup schedules: `cron(...)` with the characters AWS cron expressions use.
    public static func backupSchedule(_ value: String) -> String? {
        value.wholeMatch(of: /cron\([0-9A-Za-z*?,\/#-]+( [0-9A-Za-z*?,\/#-]+){5}\)/) == nil
            ? "must be an AWS cron expression with six fields, such as cron(0 5 * * ? *)" : nil
    }
}
