/// The database engine of an Aurora cluster. The raw value is the public spelling of the
/// contract (`"MySQL"`, `"PostgreSQL"`); `terraformEngine` is what `aws_rds_cluster.engine` takes.
public enum DatabaseEngine: String, Sendable, Hashable, CaseIterable, Codable {
    case mysql = "MySQL"
    case postgresql = "PostgreSQL"

    /// The value of `engine` in `aws_rds_cluster`.
    public var terraformEngine: String {
        switch self {
        case .mysql: "aurora-mysql"
        case .postgresql: "aurora-postgresql"
        }
    }

    /// A lower-case token for paths, tags and keys in profile files: `mysql`, `postgresql`.
    public var key: String {
        switch self {
        case .mysql: "mysql"
        case .postgresql: "postgresql"
        }
    }

    /// Parses the spellings users actually send, case-insensitively:
    /// `MySQL`, `mysql`, `aurora-mysql`, `PostgreSQL`, `postgres`, `postgresql`, `aurora-postgresql`.
    public init?(userSpelling: String) {
        switch userSpelling.lowercased() {
        case "mysql", "aurora-mysql", "aurora_mysql", "auroramysql": self = .mysql
        case "postgresql", "postgres", "aurora-postgresql", "aurora_postgresql", "aurorapostgresql": self = .postgresql
        default: return nil
        }
    }
}
