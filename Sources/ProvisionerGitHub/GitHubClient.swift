#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Metrics
import ProvisionerCore
import NIOHTTP1
import ProvisionerService
import ProvisionerTransport
import Synchronization

/// One answer from GitHub, body read in full.
struct GitHubResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var isSuccess: Bool { (200..<300).contains(status) }

    /// GitHub's error body, when there is one.
    var error: ErrorAnswer? { try? ErrorAnswer(jsonBytes: body) }

    func decode<T: JSONReadable>(_ type: T.Type, _ operation: GitHubOperation) throws(PublishError) -> T {
        do {
            return try T(jsonBytes: body)
        } catch {
            // The description promises these fields; an answer without them is not worth retrying.
            throw .permanent("GitHub's answer to \(operation.rawValue) (HTTP \(status)) is not in the documented shape: \(error)")
        }
    }

    func header(_ name: String) -> String? { headers.first(name: name) }
    func intHeader(_ name: String) -> Int? { header(name).flatMap { Int($0) ?? Int($0.trimmingSpaces()) } }
}

/// What one `publish` or `verify` may still spend on waiting, and how many requests it made.
final class CallContext: Sendable {
    private let state: Mutex<(requests: Int, waitLeft: Duration)>

    init(waitBudget: Duration) {
        state = Mutex((0, waitBudget))
    }

    var requests: Int { state.withLock { $0.requests } }

    func countRequest() { state.withLock { $0.requests += 1 } }

    /// Whether `wait` still fits in the budget (nothing taken).
    func fits(_ wait: Duration) -> Bool { state.withLock { wait <= $0.waitLeft } }

    /// Takes `wait` from the budget; false (and nothing taken) when it does not fit.
    func spend(_ wait: Duration) -> Bool {
        state.withLock { state in
            guard wait <= state.waitLeft else { return false }
            state.waitLeft -= wait
            return true
        }
    }
}

/// A minimal GitHub REST client: the headers GitHub asks for, the token from a provider
/// (refreshed once on 401), per-request timeouts, retries with jittered backoff for 5xx answers
/// and network failures, rate limits honoured (`retry-after`, `x-ratelimit-*`), every request
/// counted per operation. It never logs headers, so the token stays out of logs.
final class GitHubClient: Sendable {
    static let apiVersion = "2022-11-28"
    static let accept = "application/vnd.github+json"
    static let maxBodyBytes = 16 * 1024 * 1024
    static let requestsMetric = "rds_provisioner_github_requests_total"

    let configuration: GitHubConfiguration
    let tokens: any GitHubTokenProvider
    let transport: any HTTPTransport
    let logger: Logger
    /// `logger` with each operation's name in its metadata, made once (not on every request).
    private let operationLoggers: [GitHubOperation: Logger]
    let pacer: RequestPacer
    private let counts = Mutex<[String: Int]>([:])
    /// The request counters made so far, per operation and status (making one asks the metrics
    /// factory, under its lock).
    private let counters = Mutex<[CounterKey: Counter]>([:])
    private struct CounterKey: Hashable {
        var operation: GitHubOperation
        var status: Int  // 0: no answer
    }

    init(configuration: GitHubConfiguration, tokens: any GitHubTokenProvider, transport: any HTTPTransport, logger: Logger) {
        self.configuration = configuration
        self.tokens = tokens
        self.transport = transport
        self.logger = logger
        operationLoggers = Dictionary(
            uniqueKeysWithValues: GitHubOperation.allCases.map { operation in
                var logger = logger
                logger[metadataKey: "operation"] = "\(operation.rawValue)"
                return (operation, logger)
            })
        pacer = RequestPacer(
            contentCreationInterval: configuration.contentCreationInterval,
            contentCreationsPerHour: configuration.contentCreationsPerHour, reserve: configuration.rateLimitReserve)
    }

    /// `status`: the answer's, or nil when none came (the metric's `error`).
    private func counter(_ operation: GitHubOperation, status: Int?) -> Counter {
        counters.withLock { counters in
            let key = CounterKey(operation: operation, status: status ?? 0)
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: Self.requestsMetric, dimensions: [("operation", operation.rawValue), ("status", status.map(String.init) ?? "error")])
            counters[key] = counter
            return counter
        }
    }

    /// Requests sent so far, per operation id (every attempt counts: that is what GitHub counts).
    var requestCounts: [String: Int] { counts.withLock { $0 } }

    /// `/repos/{owner}/{repo}` followed by `suffix`.
    var repositoryPath: String {
        "/repos/\(URLEscaping.escape(configuration.owner))/\(URLEscaping.escape(configuration.repository))"
    }

    /// Sends one request. Returns any answer the caller must interpret (2xx, and 4xx other than
    /// 401 and rate limits); retries 5xx answers, timeouts and network failures, and waits out
    /// rate limits, within `context`'s wait budget. Throws `.transient` when the budget or the
    /// attempts are spent, `.permanent` when the token is refused.
    func send(
        _ operation: GitHubOperation, _ path: String, query: [(String, String)] = [], body: (any JSONWritable)? = nil,
        context: CallContext
    ) async throws(PublishError) -> GitHubResponse {
        var url = configuration.apiURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\(URLEscaping.escape($0.0))=\(URLEscaping.escape($0.1))" }.joined(separator: "&")
        }
        let payload = body?.jsonBytes
        let logger = operationLoggers[operation] ?? self.logger

        var attempt = 0
        var refreshedToken = false
        var secondaryLimits = 0
        while true {
            attempt += 1
            let turn = pacer.turn(createsContent: operation.createsContent)
            if turn.wait > .zero {
                if turn.rateLimited, !context.spend(turn.wait) {
                    pacer.abandon(turn)
                    throw .transient(
                        "GitHub rate limit: the next \(operation.rawValue) request may go in \(turn.wait.roundedSeconds), more than this attempt may wait",
                        retryAfter: turn.wait)
                }
                try await Self.sleep(turn.wait, operation)
            }
            // A secondary limit may have come while this request waited for its turn.
            while let block = pacer.remainingBlock() {
                guard context.spend(block) else {
                    throw .transient(
                        "GitHub's secondary rate limit holds requests back for \(block.roundedSeconds), more than this attempt may wait",
                        retryAfter: block)
                }
                try await Self.sleep(block, operation)
            }

            let token = try await currentToken()
            var request = HTTPTransportRequest(method: operation.method, url: url)
            request.headers.add(name: "Accept", value: Self.accept)
            request.headers.add(name: "X-GitHub-Api-Version", value: Self.apiVersion)
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
            request.headers.add(name: "Authorization", value: "Bearer \(token.secret)")
            if let payload {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = payload
            }

            let started = ContinuousClock.now
            let outcome = await perform(request, logger: logger)
            context.countRequest()
            counts.withLock { $0[operation.rawValue, default: 0] += 1 }

            let response: GitHubResponse
            switch outcome {
            case .failure(let error):
                counter(operation, status: nil).increment()
                let problem = "\(operation.rawValue) failed: \(Self.describe(error, timeout: configuration.requestTimeout))"
                logger.warning("GitHub request failed", metadata: ["attempt": "\(attempt)", "error": "\(problem)"])
                try await backOff(problem, attempt: attempt, retryAfter: nil, context: context)
                continue
            case .success(let answer):
                response = answer
            }
            counter(operation, status: response.status).increment()
            pacer.observe(
                limit: response.intHeader("x-ratelimit-limit"), remaining: response.intHeader("x-ratelimit-remaining"),
                resetEpoch: response.intHeader("x-ratelimit-reset"))
            logger.debug(
                "GitHub answered",
                metadata: [
                    "status": "\(response.status)", "attempt": "\(attempt)",
                    "milliseconds": "\((ContinuousClock.now - started).milliseconds)",
                    "rateLimitRemaining": "\(response.header("x-ratelimit-remaining") ?? "?")",
                ])

            let rateLimited = response.status == 403 || response.status == 429
            if response.status == 401 {
                if !refreshedToken {
                    refreshedToken = true
                    await tokens.tokenRejected(token)
                    if let fresh = try? await tokens.token(), fresh != token {
                        logger.info("GitHub refused the token; retrying once with the refreshed one")
                        continue
                    }
                }
                throw .permanent(
                    "GitHub rejected the token from \(tokens.source) (401 \(response.error?.message ?? "Unauthorized")) at \(configuration.apiURL): it is wrong, expired or revoked.")
            } else if rateLimited, response.intHeader("x-ratelimit-remaining") == 0 {
                let now = Int(Date().timeIntervalSince1970)
                let reset = response.intHeader("x-ratelimit-reset") ?? now + 60
                pacer.primaryExhausted(limit: response.intHeader("x-ratelimit-limit"), resetEpoch: reset)
                let wait = Duration.seconds(max(1, reset - now))
                logger.warning("GitHub primary rate limit", metadata: ["waitSeconds": "\(wait.roundedSeconds)"])
                guard attempt < configuration.retry.maxAttempts, context.fits(wait) else {
                    throw .transient(
                        "GitHub's primary rate limit for the token is used up until \(Self.timestamp(reset)) (\(operation.rawValue))",
                        retryAfter: wait)
                }
                continue  // the pacer holds the next turn until the reset
            } else if rateLimited, Self.isSecondaryLimit(response) {
                secondaryLimits += 1
                var wait = configuration.retry.secondaryLimitDefaultWait * (1 << min(secondaryLimits - 1, 4))
                if let seconds = response.intHeader("retry-after") { wait = .seconds(max(0, seconds)) }
                pacer.secondaryLimited(for: wait)
                logger.warning("GitHub secondary rate limit", metadata: ["retryAfterSeconds": "\(wait.roundedSeconds)"])
                guard attempt < configuration.retry.maxAttempts, context.fits(wait) else {
                    throw .transient(
                        "GitHub's secondary rate limit (\(response.status)) on \(operation.rawValue): retry after \(wait.roundedSeconds)",
                        retryAfter: wait)
                }
                continue  // the pacer holds every request back until the wait is over
            } else if response.status >= 500 {
                logger.warning("GitHub server error", metadata: ["attempt": "\(attempt)", "status": "\(response.status)"])
                let retryAfter = response.intHeader("retry-after").map { Duration.seconds($0) }
                try await backOff(
                    "GitHub answered \(response.status) to \(operation.rawValue)", attempt: attempt, retryAfter: retryAfter,
                    context: context)
                continue
            }
            if operation.createsContent, response.isSuccess { pacer.contentCreated() }
            return response
        }
    }

    /// Waits before the next attempt, or throws `.transient` when attempts or budget are spent.
    private func backOff(_ problem: String, attempt: Int, retryAfter: Duration?, context: CallContext) async throws(PublishError) {
        let delay = max(retryAfter ?? .zero, configuration.retry.backoff.delay(afterAttempt: attempt))
        guard attempt < configuration.retry.maxAttempts, context.spend(delay) else {
            throw .transient("\(problem) (\(attempt) attempt\(attempt == 1 ? "" : "s"))", retryAfter: retryAfter)
        }
        try await Self.sleep(delay, nil)
    }

    private func currentToken() async throws(PublishError) -> GitHubToken {
        do {
            return try await tokens.token()
        } catch let error as GitHubConfigurationError {
            throw .permanent("No GitHub token: \(error.message)")
        } catch {
            throw .transient("Could not read the GitHub token from \(tokens.source): \(error)", retryAfter: nil)
        }
    }

    /// One HTTP exchange, the whole answer read, bounded by the configured timeout.
    private func perform(_ request: HTTPTransportRequest, logger: Logger) async -> Result<GitHubResponse, any Error> {
        do {
            let response = try await transport.send(request, timeout: configuration.requestTimeout, maxBodyBytes: Self.maxBodyBytes)
            return .success(GitHubResponse(status: response.status, headers: response.headers, body: response.body))
        } catch {
            return .failure(error)
        }
    }

    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? HTTPTransportError, error.kind == .timedOut { return "no answer within \(timeout.roundedSeconds)" }
        return String(describing: error)
    }

    static func isSecondaryLimit(_ response: GitHubResponse) -> Bool {
        if response.status == 429 || response.header("retry-after") != nil { return true }
        guard let error = response.error else { return false }
        return error.mentions("secondary rate limit") || error.mentions("abuse detection")
    }

    static func sleep(_ duration: Duration, _ operation: GitHubOperation?) async throws(PublishError) {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw .transient("Cancelled while waiting to call GitHub", retryAfter: nil)
        }
    }

    static func timestamp(_ epoch: Int) -> String {
        Date(timeIntervalSince1970: TimeInterval(epoch)).formatted(.iso8601)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
    var milliseconds: Int64 { nanoseconds / 1_000_000 }
    /// `1.5 s`.
    var roundedSeconds: String {
        let tenths = (nanoseconds + 50_000_000) / 100_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

extension String {
    func trimmingSpaces() -> String {
        guard let start = firstIndex(where: { !$0.isWhitespace }), let end = lastIndex(where: { !$0.isWhitespace }) else {
            return ""
        }
        return String(self[start...end])
    }
}
