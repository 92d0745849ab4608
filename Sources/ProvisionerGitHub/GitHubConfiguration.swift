#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProvisionerService

/// Where and how the publisher talks to GitHub (github.com or GitHub Enterprise Server).
///
/// The token is not part of the configuration: a `GitHubTokenProvider` supplies it, so it can
/// come from `GITHUB_TOKEN` locally or from AWS Secrets Manager, and be refreshed on rotation.
public struct GitHubConfiguration: Sendable, Hashable, CustomStringConvertible {
    public static let defaultAPIURL = "https://api.github.com"

    /// The repository owner (user or organisation).
    public var owner: String
    /// The repository name.
    public var repository: String
    /// The REST API root without a trailing slash: `https://api.github.com`, or
    /// `https://ghe.example.com/api/v3` for GitHub Enterprise Server.
    public var apiURL: String
    /// The branch pull requests target; nil means the repository's default branch.
    public var baseBranch: String?
    /// Sent as `User-Agent` (GitHub refuses requests without one).
    public var userAgent: String
    /// Longest wait for one HTTP exchange (connect, send, receive the whole answer).
    public var requestTimeout: Duration
    /// How long the base branch's head (commit and tree) is reused before asking GitHub again.
    /// Longer means fewer calls; a stack added to the base branch meanwhile is noticed later
    /// (the status store's stack claims still stop duplicates from this service).
    public var baseBranchCacheTTL: Duration
    /// Retries of rate-limited, failed (5xx) or timed-out calls.
    public var retry: GitHubRetryPolicy
    /// Minimum spacing between content-creating requests (POST, PATCH, PUT, DELETE). GitHub's
    /// secondary limit allows about 80 per minute: 0.75 s keeps one process just under it.
    public var contentCreationInterval: Duration
    /// Most content-creating requests in any hour (GitHub's secondary limit: about 500). Past
    /// it, `publish` throws `.transient` with the time the next write may go, for the queue.
    public var contentCreationsPerHour: Int
    /// Below this many remaining primary-limit requests, the client waits for the window's reset
    /// instead of spending the last ones.
    public var rateLimitReserve: Int

    /// `repository` is `owner/name`. Throws when a setting is malformed.
    public init(
        repository: String, apiURL: String = GitHubConfiguration.defaultAPIURL, baseBranch: String? = nil,
        userAgent: String = "rds-provisioner", requestTimeout: Duration = .seconds(15),
        baseBranchCacheTTL: Duration = .seconds(30), retry: GitHubRetryPolicy = GitHubRetryPolicy(),
        contentCreationInterval: Duration = .milliseconds(750), contentCreationsPerHour: Int = 480,
        rateLimitReserve: Int = 10
    ) throws(GitHubConfigurationError) {
        let (owner, name) = try Self.parseRepository(repository)
        self.owner = owner
        self.repository = name
        self.apiURL = try Self.parseAPIURL(apiURL)
        if let baseBranch {
            guard GitNames.isValidBranch(baseBranch) else {
                throw GitHubConfigurationError("GITHUB_BASE_BRANCH '\(baseBranch)' is not a valid branch name.")
            }
        }
        self.baseBranch = baseBranch
        self.userAgent = userAgent
        guard requestTimeout > .zero else { throw GitHubConfigurationError("The GitHub request timeout must be positive.") }
        self.requestTimeout = requestTimeout
        self.baseBranchCacheTTL = baseBranchCacheTTL
        self.retry = retry
        self.contentCreationInterval = contentCreationInterval
        self.contentCreationsPerHour = max(1, contentCreationsPerHour)
        self.rateLimitReserve = max(0, rateLimitReserve)
    }

    /// Reads `GITHUB_REPOSITORY` (required, `owner/repo`), `GITHUB_API_URL` (optional, default
    /// `https://api.github.com`), `GITHUB_BASE_BRANCH` (optional, default: the repository's
    /// default branch), `GITHUB_REQUEST_TIMEOUT_SECONDS` (optional, default 15) and
    /// `GITHUB_CONTENT_INTERVAL_MS` (optional, default 750: the spacing of content-creating
    /// requests; GitHub Enterprise Server may allow less, 0 turns pacing off).
    /// `GITHUB_TOKEN` is read by `EnvironmentTokenProvider`, not here.
    public static func fromEnvironment(_ environment: [String: String]) throws(GitHubConfigurationError) -> GitHubConfiguration {
        func value(_ name: String) -> String? {
            guard let raw = environment[name] else { return nil }
            let trimmed = String(raw.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            return trimmed.isEmpty ? nil : trimmed
        }
        guard let repository = value("GITHUB_REPOSITORY") else {
            throw GitHubConfigurationError(
                "GITHUB_REPOSITORY is not set: set it to the infrastructure repository as owner/repo, e.g. acme/infrastructure.")
        }
        var timeout = Duration.seconds(15)
        if let raw = value("GITHUB_REQUEST_TIMEOUT_SECONDS") {
            guard let seconds = Double(raw), seconds > 0, seconds <= 600 else {
                throw GitHubConfigurationError(
                    "GITHUB_REQUEST_TIMEOUT_SECONDS '\(raw)' is not a number of seconds between 0 and 600.")
            }
            timeout = .milliseconds(Int64(seconds * 1000))
        }
        var interval = Duration.milliseconds(750)
        if let raw = value("GITHUB_CONTENT_INTERVAL_MS") {
            guard let milliseconds = Int(raw), (0...60_000).contains(milliseconds) else {
                throw GitHubConfigurationError(
                    "GITHUB_CONTENT_INTERVAL_MS '\(raw)' is not a whole number of milliseconds between 0 and 60000.")
            }
            interval = .milliseconds(milliseconds)
        }
        return try GitHubConfiguration(
            repository: repository, apiURL: value("GITHUB_API_URL") ?? defaultAPIURL,
            baseBranch: value("GITHUB_BASE_BRANCH"), requestTimeout: timeout, contentCreationInterval: interval)
    }

    /// `owner/repo`.
    public var fullName: String { "\(owner)/\(repository)" }

    public var description: String {
        "GitHubConfiguration(repository: \(fullName), apiURL: \(apiURL), baseBranch: \(baseBranch ?? "<default>"))"
    }

    static func parseRepository(_ value: String) throws(GitHubConfigurationError) -> (String, String) {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let ownerCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
        let nameCharacters = ownerCharacters.union("._")
        guard parts.count == 2, let owner = parts.first, let name = parts.last,
            (1...39).contains(owner.count), owner.allSatisfy(ownerCharacters.contains), !owner.hasPrefix("-"),
            (1...100).contains(name.count), name.allSatisfy(nameCharacters.contains), name != ".", name != ".."
        else {
            throw GitHubConfigurationError(
                "GITHUB_REPOSITORY '\(value)' is not owner/repo (owner: letters, digits and '-'; repo: letters, digits, '.', '_' and '-').")
        }
        return (owner, name)
    }

    static func parseAPIURL(_ value: String) throws(GitHubConfigurationError) -> String {
        var trimmed = value
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
            url.query == nil, url.fragment == nil, url.user == nil
        else {
            throw GitHubConfigurationError(
                "GITHUB_API_URL '\(value)' is not an absolute URL such as https://api.github.com or https://ghe.example.com/api/v3.")
        }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw GitHubConfigurationError(
                "GITHUB_API_URL '\(value)' must use https (plain http is accepted only for 127.0.0.1/localhost test servers): the token must not travel in clear text.")
        }
        return trimmed
    }
}

/// How hard the client tries before it hands a transient failure back to the queue.
public struct GitHubRetryPolicy: Sendable, Hashable {
    /// Attempts per API call (the first one included).
    public var maxAttempts: Int
    /// Total time one `publish` (or `verify`) may spend waiting for retries and rate limits.
    /// A longer wait (a primary limit resetting in 40 minutes, say) is returned as
    /// `PublishError.transient(_, retryAfter:)` so the queue redelivers the message later.
    public var waitBudget: Duration
    /// Backoff between retries of 5xx answers and timeouts (exponential, jittered, capped).
    public var backoff: Backoff
    /// The wait after a secondary rate limit that carries no `retry-after` (GitHub: one minute).
    public var secondaryLimitDefaultWait: Duration

    public init(
        maxAttempts: Int = 5, waitBudget: Duration = .seconds(30),
        backoff: Backoff = Backoff(base: .seconds(1), cap: .seconds(16), jitter: 1),
        secondaryLimitDefaultWait: Duration = .seconds(60)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.waitBudget = waitBudget
        self.backoff = backoff
        self.secondaryLimitDefaultWait = secondaryLimitDefaultWait
    }
}

/// A missing or malformed GitHub setting; the message names the setting and what it expects.
public struct GitHubConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Git's rules for names the publisher puts in refs and trees (a subset of `git check-ref-format`).
enum GitNames {
    static func isValidBranch(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 200, !name.hasPrefix("-"), !name.hasPrefix("/"), !name.hasSuffix("/"),
            !name.hasSuffix("."), !name.hasSuffix(".lock"), !name.contains(".."), !name.contains("//"),
            !name.contains("@{"), name != "@"
        else { return false }
        let forbidden = Set(" ~^:?*[\\\u{7f}")
        return name.unicodeScalars.allSatisfy { $0.value > 0x20 && !forbidden.contains(Character($0)) }
            && name.split(separator: "/").allSatisfy { !$0.hasPrefix(".") }
    }

    /// A repository-relative file path: no leading `/`, no empty, `.` or `..` component.
    static func isValidPath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.hasSuffix("/"), !path.contains("\0") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".." && $0 != ".git"
        }
    }
}
