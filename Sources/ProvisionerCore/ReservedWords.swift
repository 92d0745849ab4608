/// Names a database may not have. RDS refuses "a word reserved by the database engine" as the
/// initial database name of an Aurora cluster (CreateDBCluster / CreateDBInstance `DBName`);
/// the engines' own system databases are refused as well, for both engines.
///
/// Sources (checked when written; see docs/request-contract.md):
/// - PostgreSQL: Appendix C "SQL Key Words", every word the PostgreSQL column marks
///   "reserved" or "reserved (can be function or type)" (`RESERVED_KEYWORD` and
///   `TYPE_FUNC_NAME_KEYWORD` in the parser's kwlist.h), up to PostgreSQL 17.
/// - MySQL: "Keywords and Reserved Words in MySQL 8.0", every word marked (R) in the latest
///   8.0 release (words reserved only in early 8.0 releases, such as PERSIST, are not listed).
public enum ReservedWords {
    /// Why `name` (lower case) is reserved for `engine`, or nil when it is free. With no engine
    /// (it was invalid) only the engine-independent system names are checked.
    public static func reason(for name: String, engine: DatabaseEngine?) -> String? {
        if systemDatabaseNames.contains(name) {
            return "`\(name)` is the name of a system database of Aurora MySQL or Aurora PostgreSQL"
        }
        if name.hasPrefix("rdsadmin") || name.hasPrefix("rds_") {
            return "names beginning with `rdsadmin` or `rds_` are reserved for Amazon RDS's own databases and roles"
        }
        if name.hasPrefix("pg_") {
            return "names beginning with `pg_` are reserved for PostgreSQL system objects"
        }
        switch engine {
        case .postgresql? where postgreSQLKeywords.contains(name):
            return "`\(name)` is a reserved key word in PostgreSQL"
        case .mysql? where mySQLKeywords.contains(name):
            return "`\(name)` is a reserved word in MySQL 8.0"
        default:
            return nil
        }
    }

    /// System databases of either engine, and RDS's administrative database.
    public static let systemDatabaseNames: Set<String> = [
        // Aurora PostgreSQL
        "postgres", "template0", "template1", "rdsadmin",
        // Aurora MySQL
        "mysql", "sys", "information_schema", "performance_schema", "tmp", "innodb",
    ]

    /// PostgreSQL key words classed "reserved" or "reserved (can be function or type)".
    public static let postgreSQLKeywords: Set<String> = [
        // reserved
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
        "check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
        "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
        "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
        "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
        "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select",
        "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union",
        "unique", "user", "using", "variadic", "when", "where", "window", "with",
        // reserved (can be function or type)
        "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full",
        "ilike", "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps",
        "right", "similar", "tablesample", "verbose",
    ]

    /// MySQL 8.0 reserved words (marked (R)), lower case.
    public static let mySQLKeywords: Set<String> = [
        "accessible", "add", "all", "alter", "analyze", "and", "as", "asc", "asensitive",
        "before", "between", "bigint", "binary", "blob", "both", "by",
        "call", "cascade", "case", "change", "char", "character", "check", "collate", "column", "condition",
        "constraint", "continue", "convert", "create", "cross", "cube", "cume_dist", "current_date", "current_time",
        "current_timestamp", "current_user", "cursor",
        "database", "databases", "day_hour", "day_microsecond", "day_minute", "day_second", "dec", "decimal",
        "declare", "default", "delayed", "delete", "dense_rank", "desc", "describe", "deterministic", "distinct",
        "distinctrow", "div", "double", "drop", "dual",
        "each", "else", "elseif", "empty", "enclosed", "escaped", "except", "exists", "exit", "explain",
        "false", "fetch", "first_value", "float", "float4", "float8", "for", "force", "foreign", "from", "fulltext",
        "function",
        "generated", "get", "grant", "group", "grouping", "groups",
        "having", "high_priority", "hour_microsecond", "hour_minute", "hour_second",
        "if", "ignore", "in", "index", "infile", "inner", "inout", "insensitive", "insert", "int", "int1", "int2",
        "int3", "int4", "int8", "integer", "intersect", "interval", "into", "io_after_gtids", "io_before_gtids", "is",
        "iterate",
        "join", "json_table",
        "key", "keys", "kill",
        "lag", "last_value", "lateral", "lead", "leading", "leave", "left", "like", "limit", "linear", "lines",
        "load", "localtime", "localtimestamp", "lock", "long", "longblob", "longtext", "loop", "low_priority",
        "master_bind", "master_ssl_verify_server_cert", "match", "maxvalue", "mediumblob", "mediumint",
        "mediumtext", "middleint", "minute_microsecond", "minute_second", "mod", "modifies",
        "natural", "not", "no_write_to_binlog", "nth_value", "ntile", "null", "numeric",
        "of", "on", "optimize", "optimizer_costs", "option", "optionally", "or", "order", "out", "outer",
        "outfile", "over",
        "partition", "percent_rank", "precision", "primary", "procedure", "purge",
        "range", "rank", "read", "reads", "read_write", "real", "recursive", "references", "regexp", "release",
        "rename", "repeat", "replace", "require", "resignal", "restrict", "return", "revoke", "right", "rlike",
        "row", "rows", "row_number",
        "schema", "schemas", "second_microsecond", "select", "sensitive", "separator", "set", "show", "signal",
        "smallint", "spatial", "specific", "sql", "sqlexception", "sqlstate", "sqlwarning", "sql_big_result",
        "sql_calc_found_rows", "sql_small_result", "ssl", "starting", "stored", "straight_join", "system",
        "table", "terminated", "then", "tinyblob", "tinyint", "tinytext", "to", "trailing", "trigger", "true",
        "undo", "union", "unique", "unlock", "unsigned", "update", "usage", "use", "using", "utc_date", "utc_time",
        "utc_timestamp",
        "values", "varbinary", "varchar", "varcharacter", "varying", "virtual",
        "when", "where", "while", "window", "with", "write",
        "xor",
        "year_month",
        "zerofill",
    ]
}
