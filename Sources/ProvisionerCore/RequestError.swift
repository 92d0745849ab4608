/// A stable, machine-readable reason why a request was refused. The raw value is the `code`
/// of the public error body and never changes once published.
public enum RequestErrorCode: String, Sendable, Hashable, Codable, CaseIterable {
    // Body shape.
    case bodyTooLarge = "body_too_large"
    case emptyBody = "empty_body"
    case invalidJSON = "invalid_json"
    case bodyNotObject = "body_not_object"
    case duplicateField = "duplicate_field"
    case unknownField = "unknown_field"
    case missingField = "missing_field"
    case invalidFieldType = "invalid_field_type"
    // Field values.
    case invalidDatabaseName = "invalid_database_name"
    case reservedDatabaseName = "reserved_database_name"
    case databaseNameTooLong = "database_name_too_long"
    case unsupportedEngine = "unsupported_engine"
    case unknownEnvironment = "unknown_environment"
    case invalidOwner = "invalid_owner"
    /// The environment's profile is unusable (its slug breaks the naming rules): a server-side
    /// configuration problem, not the caller's.
    case environmentMisconfigured = "environment_misconfigured"
    // Policy.
    case engineNotAllowed = "engine_not_allowed"
    case duplicateRequest = "duplicate_request"
    case alreadyProvisioned = "already_provisioned"

    /// The HTTP status an API answers with when this is the headline error: 413 for an
    /// oversized body, 409 for conflicts with existing requests or stacks, 500 for a server
    /// misconfiguration, 400 for everything the caller can fix in the body.
    public var httpStatus: Int {
        switch self {
        case .bodyTooLarge: 413
        case .duplicateRequest, .alreadyProvisioned: 409
        case .environmentMisconfigured: 500
        default: 400
        }
    }
}

/// One problem with a request: the code, the offending field (`nil` for the body as a whole)
/// and a sentence that tells the developer what to do about it.
public struct RequestError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: RequestErrorCode
    public var field: String?
    public var message: String

    public init(_ code: RequestErrorCode, field: String?, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(code.rawValue) (\(field)): \(message)" }
        return "\(code.rawValue): \(message)"
    }
}

/// Every problem found in one request, in the order of the fields of the contract.
/// `first` is what a one-line answer (CLI, status reason) shows.
public struct RequestErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [RequestError]

    public init(_ errors: [RequestError]) {
        precondition(!errors.isEmpty, "RequestErrors needs at least one error")
        self.errors = errors
    }

    public init(_ error: RequestError) { self.errors = [error] }

    public var first: RequestError { errors[0] }

    public var description: String { errors.map(\.description).joined(separator: "; ") }
}
