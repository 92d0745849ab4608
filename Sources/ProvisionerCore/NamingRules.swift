/// The naming rules of the request contract and the names derived from a database name.
///
/// AWS's rules (RDS API reference, CreateDBCluster / CreateDBInstance):
/// - `DatabaseName` (the initial database): Aurora PostgreSQL 1–63, Aurora MySQL 1–64
///   alphanumeric characters; begins with a letter; then letters, digits or underscores; not a
///   word reserved by the engine.
/// - `DBClusterIdentifier`: 1–63 letters, digits or hyphens (Aurora); begins with a letter;
///   no trailing hyphen and no two consecutive hyphens; stored in lower case.
///
/// Our policy on top, so that one name maps to one cluster identifier and back: database
/// names are lower case, never contain `__` and never end with `_`. The cluster identifier is
/// the name with each `_` replaced by `-`, then `-`, then the environment slug; environment
/// slugs are lower-case letters and digits only. The slug is everything after the last `-`,
/// and the name is the rest with `-` turned back into `_` (names hold no `-`), so no two
/// (name, environment) pairs share a cluster identifier, stack path or branch.
public enum NamingRules {
    /// RDS's limit for Aurora DB cluster identifiers.
    public static let maxClusterIdentifierLength = 63
    /// Environment slugs are limited so that every environment leaves room for a useful name.
    public static let maxEnvironmentSlugLength = 24

    /// The engine's limit for the initial database name: PostgreSQL 63, MySQL 64.
    public static func maxDatabaseNameLength(for engine: DatabaseEngine) -> Int {
        switch engine {
        case .postgresql: 63
        case .mysql: 64
        }
    }

    /// The longest database name whose cluster identifier fits RDS's limit in an environment:
    /// 63 minus the slug and its hyphen (`dev` → 59, `prod` → 58).
    public static func maxDatabaseNameLength(environmentSlug: String) -> Int {
        maxClusterIdentifierLength - 1 - environmentSlug.utf8.count
    }

    /// `orders_eu` in `prod` → `orders-eu-prod`.
    public static func clusterIdentifier(databaseName: String, environmentSlug: String) -> String {
        String(databaseName.map { $0 == "_" ? "-" : $0 }) + "-" + environmentSlug
    }

    /// `stacks/prod/orders_eu`
    public static func stackPath(databaseName: String, environmentSlug: String) -> String {
        "stacks/\(environmentSlug)/\(databaseName)"
    }

    /// `rds/prod/orders_eu`
    public static func branch(databaseName: String, environmentSlug: String) -> String {
        "rds/\(environmentSlug)/\(databaseName)"
    }

    /// RDS's rules for an Aurora DB cluster identifier (checked on the derived value as a
    /// second line of defence; we only produce lower-case identifiers).
    public static func isValidClusterIdentifier(_ identifier: String) -> Bool {
        let scalars = Array(identifier.unicodeScalars)
        guard (1...maxClusterIdentifierLength).contains(scalars.count), isLowerLetter(scalars[0]),
            scalars.last != "-", !identifier.contains("--")
        else { return false }
        return scalars.allSatisfy { isLowerLetter($0) || isDigit($0) || $0 == "-" }
    }

    /// An environment slug: 1–24 lower-case ASCII letters and digits, beginning with a letter.
    /// No `-` (that keeps cluster identifiers unambiguous) and no `_` or `/` (paths, branches).
    public static func isValidEnvironmentSlug(_ slug: String) -> Bool {
        let scalars = Array(slug.unicodeScalars)
        guard (1...maxEnvironmentSlugLength).contains(scalars.count), isLowerLetter(scalars[0]) else { return false }
        return scalars.allSatisfy { isLowerLetter($0) || isDigit($0) }
    }

    /// Whether `name` is a valid database name for `engine` (all rules, reserved words included;
    /// and, given a slug, short enough for the cluster identifier).
    public static func isValidDatabaseName(_ name: String, engine: DatabaseEngine, environmentSlug: String? = nil) -> Bool {
        databaseNameProblem(name, engine: engine, environment: environmentSlug.map { ($0, $0) }) == nil
    }

    // MARK: - Database name checks

    static func isLowerLetter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) }
    static func isUpperLetter(_ scalar: Unicode.Scalar) -> Bool { ("A"..."Z").contains(scalar) }
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private static let field = ProvisionRequest.Field.databaseName.rawValue
    private static let allowed = "lower-case ASCII letters, digits and underscores, beginning with a letter"

    /// The first problem with a database name, or nil. `environment` is the profile's
    /// (name, slug) when the environment is known; `engine` when the engine is known.
    static func databaseNameProblem(
        _ name: String, engine: DatabaseEngine?, environment: (name: String, slug: String)?, suggest: Bool = true
    ) -> RequestError? {
        func invalid(_ message: String, fixable: Bool = true) -> RequestError {
            var message = message
            if suggest, fixable, let fix = suggestion(for: name, engine: engine, environment: environment), fix != name {
                message += " Did you mean `\(fix)`?"
            }
            return RequestError(.invalidDatabaseName, field: field, message)
        }
        let scalars = Array(name.unicodeScalars)
        guard !scalars.isEmpty else {
            return invalid("`databaseName` is empty. Use \(allowed), e.g. `orders`.", fixable: false)
        }
        // Characters, in order of position: the first that is not allowed is reported.
        for (offset, scalar) in scalars.enumerated() {
            let position = offset + 1
            if !scalar.isASCII {
                return invalid(
                    "`databaseName` contains \(Suggestions.describe(scalar)) at position \(position); only ASCII is allowed "
                        + "(\(allowed)). Look-alike letters from other alphabets, fullwidth forms and invisible characters are refused.",
                    fixable: false)
            }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                return invalid(
                    "`databaseName` contains \(Suggestions.describe(scalar)) at position \(position); use only \(allowed).",
                    fixable: false)
            }
            if scalar == "/" || scalar == "\\" || (scalar == "." && (offset == 0 || scalars[offset - 1] == ".")) {
                return invalid(
                    "`databaseName` must be a plain name, not a path: it contains \(Suggestions.describe(scalar)) at position "
                        + "\(position). Use only \(allowed).",
                    fixable: false)
            }
            if (scalar == "$" || scalar == "%"), offset + 1 < scalars.count, scalars[offset + 1] == "{" {
                return invalid(
                    "`databaseName` contains `\(Character(scalar)){` at position \(position), which looks like a template "
                        + "expression; names are used literally, never interpolated. Use only \(allowed).",
                    fixable: false)
            }
            if !(isLowerLetter(scalar) || isUpperLetter(scalar) || isDigit(scalar) || scalar == "_") {
                return invalid(
                    "`databaseName` contains \(Suggestions.describe(scalar)) at position \(position); use only \(allowed).")
            }
        }
        if !(isLowerLetter(scalars[0]) || isUpperLetter(scalars[0])) {
            return invalid("`databaseName` must begin with a letter, not \(Suggestions.describe(scalars[0])).")
        }
        if scalars.contains(where: isUpperLetter) {
            return invalid(
                "`databaseName` must be lower case: each name maps to exactly one cluster identifier, and RDS stores "
                    + "identifiers in lower case.")
        }
        if let offset = scalars.indices.dropFirst().first(where: { scalars[$0] == "_" && scalars[$0 - 1] == "_" }) {
            return invalid(
                "`databaseName` must not contain two underscores in a row (position \(offset)): each `_` becomes `-` in the "
                    + "cluster identifier, and RDS does not allow `--`.")
        }
        if scalars.last == "_" {
            let example = environment.map { " (`\(name)` in \($0.name) would give `\(clusterIdentifier(databaseName: name, environmentSlug: $0.slug))`)" } ?? ""
            return invalid(
                "`databaseName` must not end with `_`: each `_` becomes `-` in the cluster identifier, and RDS does not allow "
                    + "`--`\(example).")
        }
        if let environment, scalars.count > maxDatabaseNameLength(environmentSlug: environment.slug) {
            let maximum = maxDatabaseNameLength(environmentSlug: environment.slug)
            return RequestError(
                .databaseNameTooLong, field: field,
                "`databaseName` is \(scalars.count) characters; in \(environment.name) it may be at most \(maximum), because "
                    + "the cluster identifier (the name with `_` → `-`, then `-\(environment.slug)`) must fit RDS's limit of "
                    + "\(maxClusterIdentifierLength) characters. Use a shorter name.")
        }
        let engineMaximum = engine.map(maxDatabaseNameLength(for:)) ?? DatabaseEngine.allCases.map(maxDatabaseNameLength(for:)).max()!
        if scalars.count > engineMaximum {
            let limit = engine.map { "\($0.rawValue) allows at most \(engineMaximum)" } ?? "no engine allows more than \(engineMaximum)"
            return RequestError(
                .databaseNameTooLong, field: field,
                "`databaseName` is \(scalars.count) characters; \(limit). Use a shorter name.")
        }
        if let reason = ReservedWords.reason(for: name, engine: engine) {
            var message = "`databaseName` cannot be `\(name)`: \(reason). Choose another name"
            let alternative = name + "_db"
            if suggest, databaseNameProblem(alternative, engine: engine, environment: environment, suggest: false) == nil {
                message += ", e.g. `\(alternative)`"
            }
            return RequestError(.reservedDatabaseName, field: field, message + ".")
        }
        return nil
    }

    /// A mechanical fix for a near-valid name (`Orders-EU` → `orders_eu`), if the fix is valid.
    private static func suggestion(for name: String, engine: DatabaseEngine?, environment: (name: String, slug: String)?) -> String? {
        var scalars: [Unicode.Scalar] = []
        for scalar in name.unicodeScalars {
            let mapped: Unicode.Scalar
            if isUpperLetter(scalar) {
                mapped = Unicode.Scalar(scalar.value + 0x20)!
            } else if scalar == "-" || scalar == " " || scalar == "." {
                mapped = "_"
            } else {
                mapped = scalar
            }
            if mapped == "_", scalars.last == "_" || scalars.isEmpty { continue }
            scalars.append(mapped)
        }
        while scalars.last == "_" { scalars.removeLast() }
        let fix = String(String.UnicodeScalarView(scalars))
        guard !fix.isEmpty, databaseNameProblem(fix, engine: engine, environment: environment, suggest: false) == nil else {
            return nil
        }
        return fix
    }
}
