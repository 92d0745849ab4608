import Foundation
import Hummingbird
import ProvisionerCore

/// An error the API answers with: an HTTP status, the public error body (`ErrorResponse`:
/// `{"error": {"code", "field", "message"}, "errors": [...]}`) and extra headers (`Allow` for
/// 405). Handlers throw it; `APIMiddleware` turns it into the response.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var body: ErrorResponse
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, body: ErrorResponse, headers: HTTPFields = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    public init(_ status: HTTPResponse.Status, code: String, field: String? = nil, _ message: String, headers: HTTPFields = [:]) {
        self.init(status, body: ErrorResponse(code: code, field: field, message: message), headers: headers)
    }

    /// The answer to a body the validator refused, with the status its headline code calls
    /// for (`RequestErrorCode.httpStatus`: 400, or 413, 409, 500).
    public init(_ requestErrors: RequestErrors) {
        self.init(HTTPResponse.Status(code: requestErrors.first.code.httpStatus), body: ErrorResponse(requestErrors))
    }

    /// The machine code of the headline error.
    public var code: String { body.error.code }

    public var description: String { "\(status.code) \(code): \(body.error.message)" }

    func response() -> Response {
        var response = JSONResponse.make(status: status, body)
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
        return make(status: status, body: ByteBuffer(bytes: data), headers: headers)
    }

    /// A body already written as JSON (hot paths: see `PublicJSON.object`).
    static func make(status: HTTPResponse.Status, json: String, headers: HTTPFields = [:]) -> Response {
        make(status: status, body: ByteBuffer(string: json), headers: headers)
    }

    private static func make(status: HTTPResponse.Status, body: ByteBuffer, headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }
}
