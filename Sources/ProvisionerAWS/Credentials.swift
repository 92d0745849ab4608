#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ProvisionerCore
import ProvisionerTransport

/// An access key pair, with a session token for temporary credentials. The secret key and the
/// token never appear in `description`, `debugDescription` or reflection (`dump`).
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    public var description: String {
        var text = "AWSCredentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>"
        if sessionToken != nil { text += ", sessionToken: <redacted>" }
        if let expiration { text += ", expiration: \(PublicJSON.formatTimestamp(expiration))" }
        return text + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyId": accessKeyId, "secretAccessKey": "<redacted>", "expiration": expiration as Any])
    }
}

/// Where credentials come from. Implementations cache and refresh as they need; callers ask
/// before every request.
public protocol CredentialProvider: Sendable {
    func credentials() async throws -> AWSCredentials
}

/// Fixed credentials (from the environment, or given by a test).
public struct StaticCredentialProvider: CredentialProvider {
    public let value: AWSCredentials
    public init(_ value: AWSCredentials) { self.value = value }
    public func credentials() async throws -> AWSCredentials { value }
}

/// Why no credentials could be had. Messages name variables and URLs, never secrets.
public enum AWSCredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No source in the chain had credentials.
    case notFound
    /// `AWS_ACCESS_KEY_ID` is set without `AWS_SECRET_ACCESS_KEY`, or the reverse.
    case incompleteEnvironment(missing: String)
    /// The container credentials URI is not one the SDKs allow (https, or http to a loopback or
    /// the ECS/EKS link-local addresses).
    case containerEndpointNotAllowed(String)
    case authorizationTokenFile(path: String, problem: String)
    /// The container endpoint answered with an error status, or could not be reached.
    case containerEndpoint(url: String, problem: String)
    /// The answer was not the expected JSON (its content is not repeated: it may hold secrets).
    case invalidContainerResponse(url: String)

    public var description: String {
        switch self {
        case .notFound:
            "No AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or run where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI is set (ECS, EKS)."
        case .incompleteEnvironment(let missing):
            "Incomplete AWS credentials in the environment: \(missing) is not set."
        case .containerEndpointNotAllowed(let url):
            "AWS_CONTAINER_CREDENTIALS_FULL_URI \(url) is not allowed: use https, or http to a loopback address, 169.254.170.2 or 169.254.170.23."
        case .authorizationTokenFile(let path, let problem):
            "Cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(path): \(problem)"
        case .containerEndpoint(let url, let problem):
            "Container credentials endpoint \(url) failed: \(problem)"
        case .invalidContainerResponse(let url):
            "Container credentials endpoint \(url) did not answer with AccessKeyId, SecretAccessKey, Token and Expiration."
        }
    }
}

/// Credentials from the ECS/EKS container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
/// on 169.254.170.2, or `AWS_CONTAINER_CREDENTIALS_FULL_URI`), sent the authorization token
/// from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every fetch: it rotates) or
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`. Cached until `refreshBefore` ahead of their expiry;
/// concurrent callers share one fetch. If a refresh fails while the cached credentials are
/// still valid, those are used (and the failure logged).
public actor ContainerCredentialProvider: CredentialProvider {
    public nonisolated let endpoint: String
    private let authorizationToken: String?
    private let authorizationTokenFile: String?
    private let transport: any HTTPTransport
    private let refreshBefore: Duration
    private let timeout: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger
    private var cached: AWSCredentials?
    private var inFlight: Task<AWSCredentials, any Error>?
    /// Fetches made so far (for tests and diagnostics).
    public private(set) var fetchCount = 0

    public init(
        endpoint: String, authorizationToken: String? = nil, authorizationTokenFile: String? = nil,
        transport: any HTTPTransport, refreshBefore: Duration = .seconds(300), timeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "rds-provisioner.aws"), now: @escaping @Sendable () -> Date = { Date() }
    ) throws(AWSCredentialsError) {
        guard Self.isAllowed(endpoint) else { throw .containerEndpointNotAllowed(endpoint) }
        self.endpoint = endpoint
        self.authorizationToken = authorizationToken
        self.authorizationTokenFile = authorizationTokenFile
        self.transport = transport
        self.refreshBefore = refreshBefore
        self.timeout = timeout
        self.logger = logger
        self.now = now
    }

    /// The link-local address ECS serves `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on.
    public static let ecsHost = "169.254.170.2"

    public func credentials() async throws -> AWSCredentials {
        if let cached, !needsRefresh(cached) { return cached }
        let task: Task<AWSCredentials, any Error>
        if let inFlight {
            task = inFlight
        } else {
            task = Task { try await self.fetch() }
            inFlight = task
        }
        defer { if inFlight == task { inFlight = nil } }
        do {
            let fresh = try await task.value
            cached = fresh
            return fresh
        } catch {
            if let cached, let expiration = cached.expiration, expiration > now() {
                logger.warning(
                    "refreshing container credentials failed; using the cached ones until they expire",
                    metadata: ["error": "\(error)", "expiration": "\(PublicJSON.formatTimestamp(expiration))"])
                return cached
            }
            throw error
        }
    }

    private func needsRefresh(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        let margin = Double(refreshBefore.components.seconds) + Double(refreshBefore.components.attoseconds) / 1e18
        return now().addingTimeInterval(margin) >= expiration
    }

    private struct Response: Decodable {
        var AccessKeyId: String
        var SecretAccessKey: String
        var Token: String?
        var Expiration: String?
    }

    private func fetch() async throws -> AWSCredentials {
        fetchCount += 1
        var request = HTTPTransportRequest(method: .GET, url: endpoint)
        if let token = try authorization() { request.headers.add(name: "Authorization", value: token) }
        let response: HTTPTransportResponse
        do {
            response = try await transport.send(request, timeout: timeout, maxBodyBytes: 1 << 20)
        } catch {
            throw AWSCredentialsError.containerEndpoint(url: endpoint, problem: "\(error)")
        }
        guard (200..<300).contains(response.status) else {
            throw AWSCredentialsError.containerEndpoint(url: endpoint, problem: "HTTP \(response.status)")
        }
        guard let decoded = try? JSONDecoder().decode(Response.self, from: Data(response.body)),
            !decoded.AccessKeyId.isEmpty, !decoded.SecretAccessKey.isEmpty
        else { throw AWSCredentialsError.invalidContainerResponse(url: endpoint) }
        var expiration: Date? = nil
        if let text = decoded.Expiration {
            guard let date = PublicJSON.parseTimestamp(text) else {
                throw AWSCredentialsError.invalidContainerResponse(url: endpoint)
            }
            expiration = date
        }
        logger.debug("fetched container credentials", metadata: ["endpoint": "\(endpoint)"])
        return AWSCredentials(
            accessKeyId: decoded.AccessKeyId, secretAccessKey: decoded.SecretAccessKey, sessionToken: decoded.Token,
            expiration: expiration)
    }

    private func authorization() throws(AWSCredentialsError) -> String? {
        if let path = authorizationTokenFile {
            let data: Data
            do {
                data = try Data(contentsOf: URL(filePath: path))
            } catch {
                throw .authorizationTokenFile(path: path, problem: "\(type(of: error)) reading the file")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingWhitespace()
            guard !token.isEmpty else { throw .authorizationTokenFile(path: path, problem: "the file is empty") }
            return token
        }
        return authorizationToken
    }

    /// https to any host; http only to a loopback address or the ECS/EKS link-local endpoints.
    static func isAllowed(_ endpoint: String) -> Bool {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased()
        else { return false }
        if scheme == "https" { return true }
        guard scheme == "http" else { return false }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare.hasPrefix("127.") || bare == "::1" || bare == ecsHost
            || bare == "169.254.170.23" || bare == "fd00:ec2::23"
    }
}

/// The credential sources the AWS SDKs try, in their order, as far as this service runs:
/// 1. environment variables `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`
///    (Lambda sets these);
/// 2. the container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
///    `AWS_CONTAINER_CREDENTIALS_FULL_URI`; ECS tasks, EKS Pod Identity).
/// Shared config files, web identity and the EC2 instance metadata service are not read.
public enum CredentialChain {
    public static func resolve(
        environment: [String: String], transport: any HTTPTransport,
        logger: Logger = Logger(label: "rds-provisioner.aws")
    ) throws(AWSCredentialsError) -> any CredentialProvider {
        let accessKey = environment["AWS_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secretKey = environment["AWS_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (accessKey, secretKey) {
        case (let accessKey?, let secretKey?):
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return StaticCredentialProvider(
                AWSCredentials(accessKeyId: accessKey, secretAccessKey: secretKey, sessionToken: token))
        case (.some, nil):
            throw .incompleteEnvironment(missing: "AWS_SECRET_ACCESS_KEY")
        case (nil, .some):
            throw .incompleteEnvironment(missing: "AWS_ACCESS_KEY_ID")
        case (nil, nil):
            break
        }
        let endpoint: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            endpoint = "http://\(ContainerCredentialProvider.ecsHost)" + (relative.hasPrefix("/") ? "" : "/") + relative
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            endpoint = full
        } else {
            throw .notFound
        }
        return try ContainerCredentialProvider(
            endpoint: endpoint,
            authorizationToken: environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 },
            authorizationTokenFile: environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"].flatMap {
                $0.isEmpty ? nil : $0
            },
            transport: transport, logger: logger)
    }
}
