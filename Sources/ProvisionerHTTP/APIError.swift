import Foundation
import Hummingbird
import ProvisionerCore

/// One problem, as every error body of the API spells it: a stable machine `code`, the
/// offending `field` (absent when the problem is not about one field) and a sentence for people.
public struct APIErrorDetail: Sendable, Hashable, Codable {
    public var code: String
    public var field: String?
    public var message: String

    public init(code: String, field: String? = nil, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public init(_ error: RequestError) {
        self.init(code: error.code.rawValue, field: error.field, message: error.message)
    }
}

/// The body of every error response:
///
///     {"error": {"code": "…", "field": "…", "message": "…"}, "errors": [ … ]}
///
/// `error` is the first (most important) problem; `errors` lists all of them, `error` included.
public struct APIErrorBody: Sendable, Hashable, Codable {
    public var error: APIErrorDetail
    public var errors: [APIErrorDetail]

    public init(errors: [APIErrorDetail]) {
        precondition(!errors.isEmpty, "an error body needs at least one error")
        self.error = errors[0]
        self.errors = errors
    }
}

/// An error the API answers with: an HTTP status, the error body, and extra headers
/// (`Allow` for 405). Handlers throw it; `APIMiddleware` turns it into the response.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var errors: [APIErrorDetail]
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, errors: [APIErrorDetail], headers: HTTPFields = [:]) {
        precondition(!errors.isEmpty, "an APIError needs at least one error")
        self.status = status
        self.errors = errors
        self.headers = headers
    }

    public init(_ status: HTTPResponse.Status, code: String, field: String? = nil, _ message: String, headers: HTTPFields = [:]) {
        self.init(status, errors: [APIErrorDetail(code: code, field: field, message: message)], headers: headers)
    }

    /// The machine code of the first error.
    public var code: String { errors[0].code }

    public var description: String { "\(status.code) \(code): \(errors[0].message)" }

    /// The answer to a body the validator refused: 413 for `body_too_large`, 400 otherwise.
    public init(_ requestErrors: RequestErrors) {
        let status: HTTPResponse.Status = requestErrors.first.code == .bodyTooLarge ? .contentTooLarge : .badRequest
        self.init(status, errors: requestErrors.errors.map(APIErrorDetail.init))
    }

    func response() -> Response {
        var response = JSONResponse.make(status: status, APIErrorBody(errors: errors))
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// The codes this layer adds to the core's `RequestErrorCode` (all appear in openapi.yaml).
public enum APIErrorCode {
    public static let bodyTooLarge = RequestErrorCode.bodyTooLarge.rawValue
    public static let duplicateRequest = RequestErrorCode.duplicateRequest.rawValue
    public static let unsupportedMediaType = "unsupported_media_type"
    /// The connection failed while the body was being read.
    public static let invalidBody = "invalid_body"
    public static let notFound = "not_found"
    public static let methodNotAllowed = "method_not_allowed"
    public static let invalidRequestId = "invalid_request_id"
    public static let requestNotFound = "request_not_found"
    public static let invalidStatusFilter = "invalid_status_filter"
    public static let invalidEnvironmentFilter = "invalid_environment_filter"
    public static let invalidLimit = "invalid_limit"
    public static let invalidCursor = "invalid_cursor"
    public static let intakeUnavailable = "intake_unavailable"
    public static let statusUnavailable = "status_unavailable"
    public static let internalError = "internal_error"

    /// Every code the API can answer: the core's request codes and the ones above.
    public static let all: [String] =
        RequestErrorCode.allCases.map(\.rawValue) + [
            unsupportedMediaType, invalidBody, notFound, methodNotAllowed, invalidRequestId, requestNotFound,
            invalidStatusFilter, invalidEnvironmentFilter, invalidLimit, invalidCursor, intakeUnavailable,
            statusUnavailable, internalError,
        ]
}

/// JSON responses in the public dialect (`PublicJSON`: sorted keys, ISO 8601 timestamps).
enum JSONResponse {
    static func make(status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        // The API's bodies are plain structs of strings, numbers and dates: encoding cannot fail.
        let data = try! PublicJSON.encoder().encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
