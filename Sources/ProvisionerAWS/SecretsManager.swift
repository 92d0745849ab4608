#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// AWS Secrets Manager over the AWS JSON 1.1 protocol (`X-Amz-Target: secretsmanager.<Operation>`).
public struct SecretsManagerClient: Sendable {
    public let client: AWSClient

    public init(configuration: AWSConfiguration) throws {
        client = try AWSClient(service: .secretsManager, configuration: configuration)
    }

    /// A secret's value. `description` never shows the value.
    public struct SecretValue: Sendable, Hashable, Decodable, CustomStringConvertible, CustomReflectable {
        public var name: String
        public var arn: String
        public var versionId: String?
        public var secretString: String?

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case arn = "ARN"
            case versionId = "VersionId"
            case secretString = "SecretString"
        }

        public var description: String {
            "SecretValue(name: \(name), versionId: \(versionId ?? "-"), secretString: <redacted>)"
        }

        public var customMirror: Mirror {
            Mirror(self, children: ["name": name, "arn": arn, "versionId": versionId as Any, "secretString": "<redacted>"])
        }
    }

    struct GetInput: Encodable, Sendable {
        var SecretId: String
        var VersionStage: String?
    }

    /// `GetSecretValue` of the `AWSCURRENT` version (or `versionStage`).
    public func getSecretValue(secretId: String, versionStage: String? = nil) async throws -> SecretValue {
        try await client.json(
            target: "secretsmanager.GetSecretValue", input: GetInput(SecretId: secretId, VersionStage: versionStage),
            output: SecretValue.self, jsonVersion: "1.1")
    }
}

/// Why a secret could not be read from the cache's answer. Never carries the secret's text.
public enum SecretError: Error, Sendable, Hashable, CustomStringConvertible {
    case noSecretString(secretId: String)
    case notJSONObject(secretId: String)
    case missingKey(secretId: String, key: String)
    case notAString(secretId: String, key: String)

    public var description: String {
        switch self {
        case .noSecretString(let id): "Secret \(id) has no SecretString (binary secrets are not supported)."
        case .notJSONObject(let id): "Secret \(id) is not a JSON object."
        case .missingKey(let id, let key): "Secret \(id) has no key \(key)."
        case .notAString(let id, let key): "Secret \(id): the value of \(key) is not a string."
        }
    }
}

/// Reads secrets through Secrets Manager and keeps them for `ttl`, so a warm Lambda or a busy
/// worker asks once per `ttl` rather than once per use. Concurrent readers of the same secret
/// share one request.
public actor SecretCache {
    public typealias Fetch = @Sendable (String) async throws -> SecretsManagerClient.SecretValue

    private let fetch: Fetch
    private let ttl: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private var entries: [String: (value: SecretsManagerClient.SecretValue, fetchedAt: ContinuousClock.Instant)] = [:]
    private var inFlight: [String: Task<SecretsManagerClient.SecretValue, any Error>] = [:]

    public init(
        client: SecretsManagerClient, ttl: Duration = .seconds(300),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.init(ttl: ttl, now: now) { id in try await client.getSecretValue(secretId: id) }
    }

    public init(
        ttl: Duration = .seconds(300), now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        fetch: @escaping Fetch
    ) {
        self.fetch = fetch
        self.ttl = ttl
        self.now = now
    }

    /// The secret (from the cache while younger than `ttl`).
    public func value(_ secretId: String) async throws -> SecretsManagerClient.SecretValue {
        if let entry = entries[secretId], now() - entry.fetchedAt < ttl { return entry.value }
        if let task = inFlight[secretId] { return try await task.value }
        let fetch = self.fetch
        let task = Task { try await fetch(secretId) }
        inFlight[secretId] = task
        defer { inFlight[secretId] = nil }
        let value = try await task.value
        entries[secretId] = (value, now())
        return value
    }

    /// The secret's `SecretString`.
    public func string(_ secretId: String) async throws -> String {
        guard let text = try await value(secretId).secretString else { throw SecretError.noSecretString(secretId: secretId) }
        return text
    }

    /// One string field of a JSON secret (`{"github-token": "…"}`).
    public func string(_ secretId: String, key: String) async throws -> String {
        let text = try await string(secretId)
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8)) else {
            throw SecretError.notJSONObject(secretId: secretId)
        }
        guard let field = object[key] else { throw SecretError.missingKey(secretId: secretId, key: key) }
        guard let string = field.stringValue else { throw SecretError.notAString(secretId: secretId, key: key) }
        return string
    }

    /// Forgets a secret (after the service reported it invalid, say).
    public func invalidate(_ secretId: String) {
        entries[secretId] = nil
    }
}
