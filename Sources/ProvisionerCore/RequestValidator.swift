/// Turns a request body into a `ValidatedRequest`, or every problem with it.
///
/// A body is read by a strict JSON reader (no duplicate keys, exact types, bounded nesting),
/// then each field is checked; all problems are collected and reported in the contract's field
/// order (`databaseName`, `databaseEngine`, `environment`, `owner`, then unknown fields), so
/// `RequestErrors.first` is the most useful one-line answer. docs/request-contract.md lists
/// every rule and error code.
public struct RequestValidator: Sendable {
    /// Bodies larger than this are refused with `body_too_large` (HTTP 413).
    public static let maxBodyBytes = 16 * 1024
    /// The longest accepted `owner` (AWS allows 256 for a tag value; we keep PR text readable).
    public static let maxOwnerLength = 128

    public var profiles: ProfileSet

    public init(profiles: ProfileSet) {
        self.profiles = profiles
    }

    /// Decodes and validates a raw body (the bytes of `POST /provision`, or a queue message).
    public func validate(body: some Collection<UInt8>) throws(RequestErrors) -> ValidatedRequest {
        let count = body.count
        guard count <= Self.maxBodyBytes else {
            throw RequestErrors(
                RequestError(
                    .bodyTooLarge, field: nil,
                    "The body is \(count) bytes; the limit is \(Self.maxBodyBytes) bytes. A request is a small JSON object like "
                        + #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}."#))
        }
        let bytes = Array(body)
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) else {
            throw RequestErrors(RequestError(.emptyBody, field: nil, "The body is empty. Send " + Self.example + "."))
        }
        let value: JSONValue
        do {
            value = try StrictJSONReader.parse(bytes)
        } catch {
            throw RequestErrors(
                RequestError(.invalidJSON, field: nil, "The body is not valid JSON: \(error.description). Send " + Self.example + "."))
        }
        guard case .object(let members) = value else {
            throw RequestErrors(
                RequestError(
                    .bodyNotObject, field: nil, "The body must be a JSON object, not \(value.kindDescription). Send " + Self.example + "."))
        }
        return try validate(members: members)
    }

    /// Validates an already decoded request (the CLI builds one from flags). The engine is
    /// typed already; the name, environment and owner get the same checks as in a body.
    public func validate(_ request: ProvisionRequest) throws(RequestErrors) -> ValidatedRequest {
        var problems = Problems()
        let environment = checkEnvironment(request.environment, into: &problems)
        checkDatabaseName(request.databaseName, engine: request.databaseEngine, environment: environment, into: &problems)
        if let owner = request.owner { checkOwner(owner, into: &problems) }
        return try finish(
            problems, name: request.databaseName, engine: request.databaseEngine, environment: environment, owner: request.owner)
    }

    /// Validates raw field values (e.g. the CLI's flags: `["databaseName": "orders",
    /// "databaseEngine": "postgres", "environment": "dev"]`) exactly as if they had arrived as
    /// string members of a body: same spellings, same errors, unknown keys refused.
    public func validate(fields: [String: String]) throws(RequestErrors) -> ValidatedRequest {
        let members = fields.sorted { $0.key < $1.key }.map { JSONMember(key: $0.key, value: .string($0.value), offset: 0) }
        return try validate(members: members)
    }

    // MARK: - Body

    private static let example = #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}"#

    /// Common names for the contract's fields, suggested as the field they stand for.
    private static let fieldAliases: [String: String] = [
        "name": "databaseName", "dbName": "databaseName", "database": "databaseName", "db": "databaseName",
        "engine": "databaseEngine", "dbEngine": "databaseEngine", "databaseType": "databaseEngine", "dbType": "databaseEngine",
        "env": "environment", "stage": "environment", "team": "owner", "ownedBy": "owner",
    ]

    private func validate(members: [JSONMember]) throws(RequestErrors) -> ValidatedRequest {
        var problems = Problems()
        let fieldNames = ProvisionRequest.Field.allCases.map(\.rawValue)

        // Shape: duplicates, unknown fields, types, missing fields.
        var strings: [ProvisionRequest.Field: String] = [:]
        var unknown: [String] = []
        for field in ProvisionRequest.Field.allCases {
            let matches = members.filter { $0.key == field.rawValue }
            if matches.count > 1 {
                problems.add(
                    .duplicateField, field,
                    "`\(field.rawValue)` appears \(matches.count) times in the body; send it once.")
                continue
            }
            guard let member = matches.first else {
                if field.isRequired {
                    var message = "`\(field.rawValue)` is required. " + Self.fieldHelp[field]!
                    let nearMisses = members.filter {
                        !fieldNames.contains($0.key)
                            && Suggestions.closest(to: $0.key, among: fieldNames, aliases: Self.fieldAliases) == field.rawValue
                    }
                    if let nearMiss = nearMisses.first {
                        message += " The body has \(Suggestions.quoted(nearMiss.key) ?? "an unknown field") instead: field names are exact and case-sensitive."
                    }
                    problems.add(.missingField, field, message)
                }
                continue
            }
            guard case .string(let text) = member.value else {
                problems.add(
                    .invalidFieldType, field,
                    "`\(field.rawValue)` must be a string, not \(member.value.kindDescription). " + Self.fieldHelp[field]!
                        + (field == .owner && member.value == .null ? " Leave `owner` out instead of sending null." : ""))
                continue
            }
            strings[field] = text
        }
        for member in members where !fieldNames.contains(member.key) && !unknown.contains(member.key) {
            unknown.append(member.key)
            let display = Suggestions.quoted(member.key) ?? "with this name"
            var message = "Unknown field \(display). The fields are `databaseName`, `databaseEngine`, `environment` and optionally `owner`."
            let suggestion = Suggestions.closest(to: member.key, among: fieldNames, aliases: Self.fieldAliases)
            if let suggestion { message = "Unknown field \(display): did you mean `\(suggestion)`? Field names are exact and case-sensitive." }
            // A near miss is reported next to the field it stands for; others after every known field.
            let rank = suggestion.flatMap { ProvisionRequest.Field(rawValue: $0) }.map { Problems.rank(of: $0) - 1 } ?? Problems.unknownRank
            problems.add(RequestError(.unknownField, field: member.key, message), rank: rank)
        }

        // Values.
        var engine: DatabaseEngine?
        if let spelling = strings[.databaseEngine] { engine = checkEngine(spelling, into: &problems) }
        var environment: EnvironmentProfile?
        if let name = strings[.environment] { environment = checkEnvironment(name, into: &problems) }
        if let name = strings[.databaseName] {
            // With the engine missing or invalid, only engine-independent rules apply.
            checkDatabaseName(name, engine: engine, environment: environment, into: &problems)
        }
        if let owner = strings[.owner] { checkOwner(owner, into: &problems) }

        return try finish(problems, name: strings[.databaseName], engine: engine, environment: environment, owner: strings[.owner])
    }

    private static let fieldHelp: [ProvisionRequest.Field: String] = [
        .databaseName: "Give the database's name, e.g. `orders`: lower-case letters, digits and underscores, beginning with a letter.",
        .databaseEngine: "Give `MySQL` or `PostgreSQL`.",
        .environment: "Give the environment's name, e.g. `Dev` or `Prod`.",
        .owner: "Give a team or person, e.g. `team-payments`.",
    ]

    // MARK: - Fields

    private func checkEngine(_ spelling: String, into problems: inout Problems) -> DatabaseEngine? {
        if spelling.unicodeScalars.allSatisfy(\.isASCII), let engine = DatabaseEngine(userSpelling: spelling) { return engine }
        let accepted = DatabaseEngine.allCases.map { "`\($0.rawValue)`" }.joined(separator: " or ")
        var message = "`databaseEngine` must be \(accepted)"
        if let shown = Suggestions.quoted(spelling) { message += ", not \(shown)" }
        message += " (case-insensitive; `postgres`, `aurora-postgresql` and `aurora-mysql` are accepted too)."
        message += Self.nonASCIINote(spelling)
        let spellings = ["MySQL", "aurora-mysql", "PostgreSQL", "postgres", "aurora-postgresql"]
        let trimmed = String(spelling.unicodeScalars.filter(\.isASCII).map(Character.init)).trimmingSpaces()
        if let near = Suggestions.closest(to: trimmed, among: spellings), let engine = DatabaseEngine(userSpelling: near) {
            message += " Did you mean `\(engine.rawValue)`?"
        }
        problems.add(.unsupportedEngine, .databaseEngine, message)
        return nil
    }

    private func checkEnvironment(_ name: String, into problems: inout Problems) -> EnvironmentProfile? {
        let available = profiles.names.map { "`\($0)`" }.joined(separator: ", ")
        let profile = name.unicodeScalars.allSatisfy(\.isASCII) ? profiles.profile(named: name) : nil
        guard let profile else {
            var message = "`environment` must be one of \(available) (case-insensitive)"
            if let shown = Suggestions.quoted(name) { message += "; there is no environment \(shown)" }
            message += "." + Self.nonASCIINote(name)
            if let near = Suggestions.closest(to: name.trimmingSpaces(), among: profiles.names) {
                message += " Did you mean `\(near)`?"
            }
            problems.add(.unknownEnvironment, .environment, message)
            return nil
        }
        guard NamingRules.isValidEnvironmentSlug(profile.slug) else {
            problems.add(
                .environmentMisconfigured, .environment,
                "The profile of environment `\(profile.name)` has a slug that cannot be used in names (it must be 1–"
                    + "\(NamingRules.maxEnvironmentSlugLength) lower-case letters and digits, beginning with a letter). This is a "
                    + "server configuration problem: ask the platform team to fix the profile.")
            return nil
        }
        return profile
    }

    /// ` The value contains U+0435 (CYRILLIC SMALL LETTER IE) at position 2; only ASCII is accepted.`
    private static func nonASCIINote(_ value: String) -> String {
        guard let offset = value.unicodeScalars.firstIndex(where: { !$0.isASCII }) else { return "" }
        let position = value.unicodeScalars.distance(from: value.unicodeScalars.startIndex, to: offset) + 1
        return " The value contains \(Suggestions.describe(value.unicodeScalars[offset])) at position \(position); only ASCII is accepted."
    }

    private func checkDatabaseName(
        _ name: String, engine: DatabaseEngine?, environment: EnvironmentProfile?, into problems: inout Problems
    ) {
        if let error = NamingRules.databaseNameProblem(name, engine: engine, environment: environment.map { ($0.name, $0.slug) }) {
            problems.add(error, rank: Problems.rank(of: .databaseName))
        }
    }

    /// AWS tag values allow Unicode letters, digits, white space and `_ . : / = + - @`; we keep
    /// to the ASCII part of that set, without leading or trailing spaces, 1–128 characters.
    private func checkOwner(_ owner: String, into problems: inout Problems) {
        let allowed = "ASCII letters, digits, spaces and `. _ : / = + - @`"
        func refuse(_ message: String) { problems.add(.invalidOwner, .owner, message) }
        let scalars = Array(owner.unicodeScalars)
        guard !scalars.isEmpty else {
            return refuse("`owner` is empty; leave the field out, or give a team or person, e.g. `team-payments`.")
        }
        if let offset = scalars.firstIndex(where: { !Self.isOwnerScalar($0) }) {
            let scalar = scalars[offset]
            let ascii = scalar.isASCII ? "" : " (only ASCII is allowed)"
            return refuse(
                "`owner` contains \(Suggestions.describe(scalar)) at position \(offset + 1)\(ascii); use only \(allowed).")
        }
        guard scalars.count <= Self.maxOwnerLength else {
            return refuse("`owner` is \(scalars.count) characters; the limit is \(Self.maxOwnerLength). Use a shorter team or person name.")
        }
        if scalars.first == " " || scalars.last == " " {
            return refuse("`owner` must not begin or end with a space.")
        }
        if owner.lowercased().hasPrefix("aws:") {
            return refuse("`owner` must not begin with `aws:`: AWS reserves that prefix in tags.")
        }
    }

    private static func isOwnerScalar(_ scalar: Unicode.Scalar) -> Bool {
        NamingRules.isLowerLetter(scalar) || NamingRules.isUpperLetter(scalar) || NamingRules.isDigit(scalar)
            || " ._:/=+-@".unicodeScalars.contains(scalar)
    }

    // MARK: - Result

    private func finish(
        _ problems: Problems, name: String?, engine: DatabaseEngine?, environment: EnvironmentProfile?, owner: String?
    ) throws(RequestErrors) -> ValidatedRequest {
        var problems = problems
        if let engine, let environment, !environment.allowedEngines.contains(engine) {
            let allowed = environment.allowedEngines.map { "`\($0.rawValue)`" }.joined(separator: " or ")
            problems.add(
                .engineNotAllowed, .databaseEngine,
                "`\(engine.rawValue)` is not offered in environment `\(environment.name)`; it allows \(allowed).")
        }
        if let errors = problems.sorted() { throw errors }
        guard let name, let engine, let environment else {
            preconditionFailure("a request without problems has a name, an engine and an environment")
        }
        let slug = environment.slug
        let validated = ValidatedRequest(
            request: ProvisionRequest(databaseName: name, databaseEngine: engine, environment: environment.name, owner: owner),
            environmentSlug: slug,
            clusterIdentifier: NamingRules.clusterIdentifier(databaseName: name, environmentSlug: slug),
            stackPath: NamingRules.stackPath(databaseName: name, environmentSlug: slug),
            branch: NamingRules.branch(databaseName: name, environmentSlug: slug))
        // The rules above guarantee this; a failure here is a bug in them, never a bad request.
        precondition(NamingRules.isValidClusterIdentifier(validated.clusterIdentifier), "derived an invalid cluster identifier")
        return validated
    }
}

/// Problems found so far, each with its rank in the contract's field order.
private struct Problems {
    private var entries: [(rank: Int, error: RequestError)] = []

    /// Body-level problems (no field) come first, then fields in contract order, then unknown fields.
    static func rank(of field: ProvisionRequest.Field) -> Int {
        (ProvisionRequest.Field.allCases.firstIndex(of: field)! + 1) * 2
    }

    static let unknownRank = (ProvisionRequest.Field.allCases.count + 1) * 2

    mutating func add(_ code: RequestErrorCode, _ field: ProvisionRequest.Field, _ message: String) {
        add(RequestError(code, field: field.rawValue, message), rank: Self.rank(of: field))
    }

    mutating func add(_ error: RequestError, rank: Int) {
        entries.append((rank, error))
    }

    /// The errors in rank order (stable within a rank), or nil when there are none.
    func sorted() -> RequestErrors? {
        guard !entries.isEmpty else { return nil }
        let ordered = entries.enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
        return RequestErrors(ordered.map(\.element.error))
    }
}

extension String {
    /// Without leading and trailing ASCII spaces, tabs and newlines (no Foundation needed).
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
