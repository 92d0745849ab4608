/// An AWS call that failed: the service's error code and message, the HTTP status, the request
/// id, and what kind of failure it is. Transport failures (no answer) have no status.
public struct AWSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the caller can do about it.
    public enum Kind: Sendable, Hashable {
        /// Slow down and retry (`Throttling`, `ThrottlingException`,
        /// `ProvisionedThroughputExceededException`, `RequestLimitExceeded`, SQS `OverLimit`, HTTP 429…).
        case throttling
        /// The service failed (HTTP 5xx, `InternalError`, `ServiceUnavailable`…): retry.
        case serverError
        /// No answer: connection refused or reset, timeout. Retry.
        case transport
        /// Credentials or permissions (`AccessDenied`, `UnrecognizedClientException`,
        /// `SignatureDoesNotMatch`, `ExpiredToken`…, HTTP 401/403). Permanent.
        case accessDenied
        /// The request is wrong (`ValidationException`, `InvalidParameterValue`…). Permanent.
        case validation
        /// A DynamoDB `ConditionExpression` did not hold. Permanent (re-read and decide).
        case conditionalCheckFailed
        /// The table, queue, topic or secret does not exist. Permanent.
        case notFound
        /// Any other 4xx. Permanent.
        case client
    }

    /// The error code without namespace (`ThrottlingException`, not
    /// `com.amazonaws.dynamodb.v20120810#ThrottlingException`).
    public var code: String
    public var message: String
    /// The HTTP status; nil when there was no answer.
    public var statusCode: Int?
    public var requestId: String?
    /// `sqs`, `dynamodb`…
    public var service: String
    /// `ReceiveMessage`, `PutItem`…
    public var operation: String

    public init(code: String, message: String, statusCode: Int?, requestId: String?, service: String, operation: String) {
        self.code = Self.normalize(code)
        self.message = message
        self.statusCode = statusCode
        self.requestId = requestId
        self.service = service
        self.operation = operation
    }

    public var kind: Kind { Self.classify(code: code, statusCode: statusCode) }

    /// Throttling, server errors and transport failures are worth retrying.
    public var isRetryable: Bool {
        switch kind {
        case .throttling, .serverError, .transport: true
        default: false
        }
    }

    public var description: String {
        var text = "\(service) \(operation) failed: \(code)"
        if let statusCode { text += " (HTTP \(statusCode))" }
        if !message.isEmpty { text += ": \(message)" }
        if let requestId { text += " [request id \(requestId)]" }
        return text
    }

    /// Strips `namespace#` prefixes and `:url` suffixes (`x-amzn-ErrorType` style).
    static func normalize(_ code: String) -> String {
        var code = Substring(code)
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        return code.trimmingCharacters()
    }

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException", "OverLimit", "RequestThrottledException",
        "ThrottlingError", "KMSThrottlingException",
    ]
    static let serverCodes: Set<String> = [
        "InternalError", "InternalFailure", "InternalServerError", "InternalServiceError", "ServiceUnavailable",
        "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException", "InternalErrorException",
    ]
    static let accessCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId",
        "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken", "ExpiredToken",
        "ExpiredTokenException", "InvalidSignatureException", "AuthorizationError", "AuthFailure",
        "KMSAccessDeniedException", "MissingAuthenticationTokenException", "InvalidAccessKeyId",
    ]
    static let validationCodes: Set<String> = [
        "ValidationException", "ValidationError", "InvalidParameterValue", "InvalidParameterException",
        "InvalidParameter", "InvalidParameterValueException", "MissingParameter", "InvalidAction",
        "InvalidQueryParameter", "SerializationException", "InvalidRequestException", "MalformedQueryString",
        "InvalidParameterCombination", "InvalidAttributeName", "InvalidAttributeValue", "ReceiptHandleIsInvalid",
        "InvalidMessageContents", "InvalidBatchEntryId", "InvalidIdFormat",
    ]
    static let notFoundCodes: Set<String> = [
        "ResourceNotFoundException", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NotFound",
        "NotFoundException",
    ]

    static func classify(code: String, statusCode: Int?) -> Kind {
        if throttlingCodes.contains(code) { return .throttling }
        if code == "ConditionalCheckFailedException" { return .conditionalCheckFailed }
        if accessCodes.contains(code) { return .accessDenied }
        if notFoundCodes.contains(code) { return .notFound }
        if validationCodes.contains(code) { return .validation }
        if serverCodes.contains(code) { return .serverError }
        guard let statusCode else { return .transport }
        switch statusCode {
        case 429: return .throttling
        case 401, 403: return .accessDenied
        case 404: return .notFound
        case 500...599: return .serverError
        default: return .client
        }
    }
}

extension Substring {
    func trimmingCharacters() -> String { String(self).trimmingWhitespace() }
}
