#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ProvisionerTransport

/// One AWS service this package talks to: its signing name, endpoint prefix and the suffix of
/// its `AWS_ENDPOINT_URL_<SERVICE>` variable (the SDKs' service id, upper-cased, spaces as `_`).
public struct AWSService: Sendable, Hashable, CustomStringConvertible {
    public var signingName: String
    public var endpointPrefix: String
    public var environmentSuffix: String

    public init(signingName: String, endpointPrefix: String, environmentSuffix: String) {
        self.signingName = signingName
        self.endpointPrefix = endpointPrefix
        self.environmentSuffix = environmentSuffix
    }

    public static let sqs = AWSService(signingName: "sqs", endpointPrefix: "sqs", environmentSuffix: "SQS")
    public static let sns = AWSService(signingName: "sns", endpointPrefix: "sns", environmentSuffix: "SNS")
    public static let dynamoDB = AWSService(
        signingName: "dynamodb", endpointPrefix: "dynamodb", environmentSuffix: "DYNAMODB")
    public static let secretsManager = AWSService(
        signingName: "secretsmanager", endpointPrefix: "secretsmanager", environmentSuffix: "SECRETS_MANAGER")

    public var description: String { signingName }
}

/// Why the AWS configuration could not be built.
public enum AWSConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingRegion
    case invalidEndpoint(variable: String, value: String)

    public var description: String {
        switch self {
        case .missingRegion:
            "No AWS region: set AWS_REGION (Lambda sets it) or AWS_DEFAULT_REGION."
        case .invalidEndpoint(let variable, let value):
            "\(variable) is not an http(s) URL: \(value)"
        }
    }
}

/// Region, credentials, endpoints, HTTP client and retry policy shared by the service clients.
///
/// Resolution, as the AWS SDKs do it (`fromEnvironment`):
/// - region: `AWS_REGION`, then `AWS_DEFAULT_REGION`;
/// - credentials: `CredentialChain` (environment keys, then the container endpoint);
/// - endpoint of a service: an override given in code, then `AWS_ENDPOINT_URL_<SERVICE>`
///   (`AWS_ENDPOINT_URL_SQS`, `_SNS`, `_DYNAMODB`, `_SECRETS_MANAGER`), then
///   `AWS_ENDPOINT_URL`, then `https://<prefix>.<region>.amazonaws.com` (`.amazonaws.com.cn` in
///   China regions). `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` ignores the two variables.
public struct AWSConfiguration: Sendable {
    public var region: String
    public var credentials: any CredentialProvider
    /// Endpoints given in code; they win over the environment.
    public var endpointOverrides: [AWSService: String]
    /// `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL` as read from the environment.
    public var environmentEndpoints: [String: String]
    /// How requests are sent: `SocketHTTPTransport` in the Lambda, `AsyncHTTPClientTransport` in
    /// the worker and server.
    public var transport: any HTTPTransport
    public var retry: AWSRetryPolicy
    public var logger: Logger

    public init(
        region: String, credentials: any CredentialProvider, endpointOverrides: [AWSService: String] = [:],
        environmentEndpoints: [String: String] = [:], transport: any HTTPTransport,
        retry: AWSRetryPolicy = AWSRetryPolicy(), logger: Logger = Logger(label: "rds-provisioner.aws")
    ) {
        self.region = region
        self.credentials = credentials
        self.endpointOverrides = endpointOverrides
        self.environmentEndpoints = environmentEndpoints
        self.transport = transport
        self.retry = retry
        self.logger = logger
    }

    /// Everything from the environment (pass `ProcessInfo.processInfo.environment`).
    public static func fromEnvironment(
        _ environment: [String: String], transport: any HTTPTransport, retry: AWSRetryPolicy = AWSRetryPolicy(),
        logger: Logger = Logger(label: "rds-provisioner.aws")
    ) throws -> AWSConfiguration {
        guard let region = regionFromEnvironment(environment) else { throw AWSConfigurationError.missingRegion }
        var endpoints: [String: String] = [:]
        if environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() != "true" {
            for (name, value) in environment where name.hasPrefix("AWS_ENDPOINT_URL") && !value.isEmpty {
                guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                    throw AWSConfigurationError.invalidEndpoint(variable: name, value: value)
                }
                endpoints[name] = value
            }
        }
        let credentials = try CredentialChain.resolve(environment: environment, transport: transport, logger: logger)
        return AWSConfiguration(
            region: region, credentials: credentials, environmentEndpoints: endpoints, transport: transport,
            retry: retry, logger: logger)
    }

    /// `AWS_REGION`, then `AWS_DEFAULT_REGION`.
    public static func regionFromEnvironment(_ environment: [String: String]) -> String? {
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return nil
    }

    /// The base URL requests to `service` go to (no trailing slash).
    public func endpoint(for service: AWSService) -> String {
        let chosen =
            endpointOverrides[service] ?? environmentEndpoints["AWS_ENDPOINT_URL_\(service.environmentSuffix)"]
            ?? environmentEndpoints["AWS_ENDPOINT_URL"]
            ?? "https://\(service.endpointPrefix).\(region).\(region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com")"
        return chosen.hasSuffix("/") ? String(chosen.dropLast()) : chosen
    }
}

/// Retries of throttled and failed (5xx, connection) calls: exponential backoff with full
/// jitter, at most `maxAttempts` attempts and at most `budget` spent waiting between them.
public struct AWSRetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration
    /// Total time the retries of one call may wait.
    public var budget: Duration

    public init(maxAttempts: Int = 4, base: Duration = .milliseconds(100), cap: Duration = .seconds(5), budget: Duration = .seconds(15)) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
        self.budget = budget
    }

    /// No retries (tests that want to see the first error).
    public static let none = AWSRetryPolicy(maxAttempts: 1)

    /// The wait before attempt `attempt + 1` (attempt is 1-based): uniform in [0, min(cap, base·2^(attempt-1))].
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let ceiling = min(base * (1 << exponent), cap)
        return ceiling * Double.random(in: 0...1)
    }
}
