#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A GitHub token. Its value shows up nowhere but the `Authorization` header: `description`,
/// `debugDescription` and `dump` all print a redacted placeholder.
public struct GitHubToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself. Read it only to build the `Authorization` header.
    public let secret: String

    public init(_ secret: String) {
        self.secret = secret
    }

    public var description: String { "GitHubToken(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Supplies the token for GitHub requests.
///
/// The client asks for the token before every request, so a provider that reads a remote
/// secret store should cache it. When GitHub answers 401, the client calls `tokenRejected(_:)`
/// with the token it sent and asks once more: a caching provider drops its copy and fetches the
/// secret again (it may have been rotated); if the fresh token is the same, the 401 is final.
public protocol GitHubTokenProvider: Sendable {
    /// The token to send.
    func token() async throws -> GitHubToken
    /// GitHub refused `token` (401): forget it so the next `token()` reads the source again.
    func tokenRejected(_ token: GitHubToken) async
    /// Where the token comes from, for error messages (`GITHUB_TOKEN`, a secret's name); never the value.
    var source: String { get }
}

extension GitHubTokenProvider {
    public func tokenRejected(_ token: GitHubToken) async {}
}

/// The token from `GITHUB_TOKEN`, read once.
public struct EnvironmentTokenProvider: GitHubTokenProvider, CustomStringConvertible {
    public static let variable = "GITHUB_TOKEN"
    private let value: GitHubToken

    /// Throws when `GITHUB_TOKEN` is missing or blank.
    public init(_ environment: [String: String]) throws(GitHubConfigurationError) {
        guard let raw = environment[Self.variable], !raw.allSatisfy(\.isWhitespace) else {
            throw GitHubConfigurationError(
                "GITHUB_TOKEN is not set: set it to a token that may create branches and pull requests in GITHUB_REPOSITORY.")
        }
        guard !raw.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw GitHubConfigurationError("GITHUB_TOKEN contains whitespace; set it to the bare token (its value is not shown).")
        }
        value = GitHubToken(raw)
    }

    public func token() async throws -> GitHubToken { value }
    public var source: String { Self.variable }
    public var description: String { "EnvironmentTokenProvider(\(Self.variable))" }
}

/// Caches a token fetched from somewhere slow or metered (AWS Secrets Manager: the secret
/// `github-secret`, key `github-token`) and fetches it again after `timeToLive`, or at once
/// when GitHub rejects the cached one. Concurrent callers share one fetch.
public actor CachingTokenProvider: GitHubTokenProvider, CustomStringConvertible {
    public nonisolated let source: String
    private let timeToLive: Duration
    private let fetch: @Sendable () async throws -> GitHubToken
    private var cached: (token: GitHubToken, fetchedAt: ContinuousClock.Instant)?
    private var inFlight: Task<GitHubToken, any Error>?

    /// `fetch` reads the secret; `source` names it in error messages (never the value).
    public init(source: String, timeToLive: Duration = .seconds(900), fetch: @escaping @Sendable () async throws -> GitHubToken) {
        self.source = source
        self.timeToLive = timeToLive
        self.fetch = fetch
    }

    public func token() async throws -> GitHubToken {
        if let cached, ContinuousClock.now - cached.fetchedAt < timeToLive { return cached.token }
        if let inFlight { return try await inFlight.value }
        let task = Task { try await fetch() }
        inFlight = task
        defer { inFlight = nil }
        let token = try await task.value
        cached = (token, ContinuousClock.now)
        return token
    }

    public func tokenRejected(_ token: GitHubToken) async {
        if cached?.token == token { cached = nil }
    }

    public nonisolated var description: String { "CachingTokenProvider(\(source))" }
}
