/// Turns a request body into a `ValidatedRequest`, or every problem with it.
/// STUB: the request-contract work implements it; the API here is what callers use.
public struct RequestValidator: Sendable {
    /// Bodies larger than this are refused with `body_too_large` (HTTP 413).
    public static let maxBodyBytes = 16 * 1024

    public var profiles: ProfileSet

    public init(profiles: ProfileSet) {
        self.profiles = profiles
    }

    /// Decodes and validates a raw body (the bytes of `POST /provision`, or a queue message).
    public func validate(body: some Collection<UInt8>) throws(RequestErrors) -> ValidatedRequest {
        throw RequestErrors(RequestError(.invalidJSON, field: nil, "not implemented"))
    }

    /// Validates an already decoded request (the CLI builds one from flags).
    public func validate(_ request: ProvisionRequest) throws(RequestErrors) -> ValidatedRequest {
        throw RequestErrors(RequestError(.invalidJSON, field: nil, "not implemented"))
    }
}
