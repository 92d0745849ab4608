#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The public error body of the HTTP API, also printed by the CLI:
///
///     {"error": {"code": "invalid_database_name", "field": "databaseName", "message": "…"},
///      "errors": [{"code": "invalid_database_name", "field": "databaseName", "message": "…"}, …]}
///
/// `error` is the headline (the first problem); `errors` lists every problem, headline
/// included, in the contract's field order. `field` is null for problems with the body as a
/// whole. Codes are `RequestErrorCode` raw values, or API-level codes such as `not_found`.
public struct ErrorResponse: Sendable, Hashable, Codable {
    /// One problem: a stable code, the field it concerns (nil for the whole body) and a sentence.
    public struct Detail: Sendable, Hashable, Codable {
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

        enum CodingKeys: String, CodingKey { case code, field, message }

        /// `field` is always present, null when absent, so clients see one shape.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(field, forKey: .field)
            try container.encode(message, forKey: .message)
        }
    }

    public var error: Detail
    public var errors: [Detail]

    /// Every problem of a refused request; the first is the headline.
    public init(_ errors: RequestErrors) {
        self.errors = errors.errors.map(Detail.init)
        self.error = self.errors[0]
    }

    /// A single error that is not about the request body (`not_found`, `internal_error`…).
    public init(code: String, field: String? = nil, message: String) {
        self.error = Detail(code: code, field: field, message: message)
        self.errors = [error]
    }

    /// The body as the API sends it (PublicJSON: sorted keys).
    public func encoded() -> String {
        let data = try! PublicJSON.encoder().encode(self)  // strings only: always encodes
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads an error body (the CLI and tests read what the API answered).
    public static func decode(_ body: some Collection<UInt8>) throws -> ErrorResponse {
        try PublicJSON.decoder().decode(ErrorResponse.self, from: Data(body))
    }

    /// The problems as `RequestErrors` when every code is a `RequestErrorCode`; nil otherwise.
    public var requestErrors: RequestErrors? {
        var result: [RequestError] = []
        for detail in errors {
            guard let code = RequestErrorCode(rawValue: detail.code) else { return nil }
            result.append(RequestError(code, field: detail.field, detail.message))
        }
        return result.isEmpty ? nil : RequestErrors(result)
    }
}
