#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ProvisionerCore
import ProvisionerService
import ProvisionerTransport
import Synchronization

/// Opens the pull request for a change on GitHub (or GitHub Enterprise Server): one branch, one
/// commit holding every file, one pull request, labelled.
///
/// The happy path takes 5 requests (docs/github.md): `POST git/trees` (base tree + inline file
/// contents), `POST git/commits`, `POST git/refs`, `POST pulls`, `POST issues/{n}/labels`. The base
/// branch's head and its file listing (to check that the stack does not exist yet) are cached
/// for `baseBranchCacheTTL`: 1 request per TTL while the base is unchanged, 3 after it moved,
/// shared by every pull request opened meanwhile.
///
/// Idempotent: when the branch exists already (a redelivery, a crash after creating it, a racing
/// worker) it looks for the open pull request of that branch and returns it, with the request id
/// read from the marker in its body; it opens the pull request only if there is none.
public final class GitHubPublisher: ChangeRequestPublisher, Sendable {
    public let configuration: GitHubConfiguration
    let client: GitHubClient
    let base: BaseBranch
    let logger: Logger
    private let tallies = Mutex<(published: Int, opened: Int)>((0, 0))

    /// `transport`: `SocketHTTPTransport` in the Lambda, `AsyncHTTPClientTransport` elsewhere.
    public init(
        configuration: GitHubConfiguration, tokenProvider: any GitHubTokenProvider, transport: any HTTPTransport,
        logger: Logger = Logger(label: "rds-provisioner.github")
    ) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "repository"] = "\(configuration.fullName)"
        self.logger = logger
        client = GitHubClient(configuration: configuration, tokens: tokenProvider, transport: transport, logger: logger)
        base = BaseBranch(client: client, configuredName: configuration.baseBranch, timeToLive: configuration.baseBranchCacheTTL)
    }

    /// Startup check: the token is accepted, the repository exists and may be pushed to, and the
    /// base branch exists. Also warms the base branch cache. Throws `.permanent` with a message
    /// that says what to fix, or `.transient` when GitHub could not be reached.
    @discardableResult
    public func verify() async throws(PublishError) -> GitHubRepositoryStatus {
        let context = CallContext(waitBudget: configuration.retry.waitBudget)
        let repository = try await client.repository(context)
        if repository.canPush == false {
            throw .permanent(
                "The token from \(client.tokens.source) can read \(configuration.fullName) but may not push to it: it needs write access to contents and pull requests.")
        }
        await base.adoptDefaultBranch(repository.defaultBranch)
        let snapshot = try await base.current(context, refresh: true)
        let status = GitHubRepositoryStatus(
            repository: repository.fullName, apiURL: configuration.apiURL, baseBranch: snapshot.branch,
            baseCommit: snapshot.commit)
        logger.info(
            "GitHub publisher ready",
            metadata: [
                "apiURL": "\(configuration.apiURL)", "baseBranch": "\(snapshot.branch)", "baseCommit": "\(snapshot.commit)",
                "requests": "\(context.requests)",
            ])
        return status
    }

    public func publish(_ change: ChangeRequest) async throws(PublishError) -> PullRequestRef {
        try Self.check(change)
        var logger = self.logger
        logger[metadataKey: "requestId"] = "\(change.requestId)"
        logger[metadataKey: "branch"] = "\(change.branch)"
        let context = CallContext(waitBudget: configuration.retry.waitBudget)
        do {
            let (pull, opened) = try await open(change, context: context, logger: logger)
            tallies.withLock {
                $0.published += 1
                if opened { $0.opened += 1 }
            }
            logger.info(
                opened ? "opened pull request" : "found the open pull request",
                metadata: [
                    "pullRequest": "\(pull.number)", "url": "\(pull.url)", "openedBy": "\(pull.requestId ?? "unknown")",
                    "requests": "\(context.requests)",
                ])
            return pull
        } catch {
            logger.info("publishing did not succeed", metadata: ["error": "\(error)", "requests": "\(context.requests)"])
            throw error
        }
    }

    /// Requests sent and pull requests published so far.
    public var statistics: GitHubStatistics {
        let counts = client.requestCounts
        let tallies = tallies.withLock { $0 }
        return GitHubStatistics(
            requests: counts.values.reduce(0, +), requestsByOperation: counts, published: tallies.published,
            pullRequestsOpened: tallies.opened)
    }

    // MARK: - The sequence

    private func open(_ change: ChangeRequest, context: CallContext, logger: Logger) async throws(PublishError) -> (PullRequestRef, Bool) {
        let snapshot = try await base.current(context)
        if try await base.contains(change.stackPath, in: snapshot, context) {
            throw .alreadyProvisioned(stackPath: change.stackPath)
        }
        let tree = try await createTree(change.files, base: snapshot.tree, context)
        let commit = try await createCommit(change.commitMessage, tree: tree, parent: snapshot.commit, context)
        if try await createBranch(change.branch, at: commit, context) == false {
            logger.info("branch exists already; looking for its pull request")
            if let existing = try await openPull(for: change.branch, context) {
                return (try await adopt(existing, change, context), false)
            }
            logger.info("branch has no open pull request; opening it")
        }
        return try await createPull(change, base: snapshot.branch, context)
    }

    private func createTree(_ files: [StackFile], base tree: String, _ context: CallContext) async throws(PublishError) -> String {
        let body = CreateTreeBody(baseTree: tree, tree: files.map { CreateTreeBody.Entry(path: $0.path, content: $0.contents) })
        let response = try await client.send(.createTree, "\(client.repositoryPath)/git/trees", body: body, context: context)
        guard response.status == 201 else { throw await staleBase(response, "create the tree for the stack files") }
        return try response.decode(CreatedObjectAnswer.self, .createTree).sha
    }

    private func createCommit(_ message: String, tree: String, parent: String, _ context: CallContext) async throws(PublishError) -> String {
        let body = CreateCommitBody(message: message, tree: tree, parents: [parent])
        let response = try await client.send(.createCommit, "\(client.repositoryPath)/git/commits", body: body, context: context)
        guard response.status == 201 else { throw await staleBase(response, "create the commit") }
        return try response.decode(CreatedObjectAnswer.self, .createCommit).sha
    }

    /// true: created; false: the branch exists already.
    private func createBranch(_ branch: String, at commit: String, _ context: CallContext) async throws(PublishError) -> Bool {
        let body = CreateRefBody(ref: "refs/heads/\(branch)", sha: commit)
        let response = try await client.send(.createRef, "\(client.repositoryPath)/git/refs", body: body, context: context)
        if response.status == 201 { return true }
        if response.status == 422, response.error?.mentions("reference already exists") == true { return false }
        throw client.unexpected(response, "create the branch \(branch)")
    }

    private func createPull(_ change: ChangeRequest, base: String, _ context: CallContext) async throws(PublishError) -> (PullRequestRef, Bool) {
        let body = CreatePullBody(
            title: change.title, head: change.branch, base: base,
            body: PullRequestMarker.body(change.body, requestId: change.requestId))
        let response = try await client.send(.createPull, "\(client.repositoryPath)/pulls", body: body, context: context)
        if response.status == 201 {
            let pull = try response.decode(PullRequestAnswer.self, .createPull)
            if !change.labels.isEmpty { try await addLabels(change.labels, to: pull.number, context) }
            return (PullRequestRef(number: pull.number, url: pull.htmlUrl, branch: change.branch, requestId: change.requestId), true)
        }
        if response.status == 422, response.error?.mentions("a pull request already exists") == true {
            // Another worker opened it a moment ago; the listing may lag behind by a moment.
            for attempt in 1...3 {
                if let existing = try await openPull(for: change.branch, context) {
                    return (try await adopt(existing, change, context), false)
                }
                let pause = Duration.milliseconds(250 << attempt)
                guard attempt < 3, context.spend(pause) else { break }
                try await GitHubClient.sleep(pause, .listPulls)
            }
            throw .transient(
                "GitHub says a pull request for \(change.branch) exists but does not list it yet", retryAfter: .seconds(5))
        }
        throw client.unexpected(response, "open the pull request for \(change.branch)")
    }

    private func openPull(for branch: String, _ context: CallContext) async throws(PublishError) -> PullRequestAnswer? {
        let query = [("head", "\(configuration.owner):\(branch)"), ("state", "open"), ("per_page", "10")]
        let response = try await client.send(.listPulls, "\(client.repositoryPath)/pulls", query: query, context: context)
        guard response.status == 200 else { throw client.unexpected(response, "list the pull requests for \(branch)") }
        return try response.decode([PullRequestAnswer].self, .listPulls).first { $0.headRef == branch }
    }

    /// An open pull request found for the branch: add any missing label (a crash may have come
    /// between opening and labelling) and report who opened it.
    private func adopt(_ pull: PullRequestAnswer, _ change: ChangeRequest, _ context: CallContext) async throws(PublishError) -> PullRequestRef {
        let present = Set(pull.labels)
        let missing = change.labels.filter { !present.contains($0) }
        if !missing.isEmpty { try await addLabels(missing, to: pull.number, context) }
        return PullRequestRef(
            number: pull.number, url: pull.htmlUrl, branch: change.branch, requestId: PullRequestMarker.requestId(in: pull.body))
    }

    private func addLabels(_ labels: [String], to number: Int, _ context: CallContext) async throws(PublishError) {
        let response = try await client.send(
            .addLabels, "\(client.repositoryPath)/issues/\(number)/labels", body: AddLabelsBody(labels: labels), context: context)
        guard response.status == 200 else { throw client.unexpected(response, "label pull request #\(number)") }
    }

    /// A refused tree or commit may come from a cached base that was rewritten (force-push):
    /// forget it and let the queue try again with a fresh one.
    private func staleBase(_ response: GitHubResponse, _ what: String) async -> PublishError {
        guard [404, 409, 422].contains(response.status) else { return client.unexpected(response, what) }
        await base.invalidate()
        return .transient(
            "GitHub refused to \(what) (\(response.status): \(response.error?.summary ?? "no details")); the base branch will be read again",
            retryAfter: nil)
    }

    /// Refuses changes whose names would not make a valid branch or tree before any request.
    static func check(_ change: ChangeRequest) throws(PublishError) {
        func refuse(_ problem: String) -> PublishError {
            .permanent("The change for request \(change.requestId) cannot be published: \(problem).")
        }
        guard GitNames.isValidBranch(change.branch) else { throw refuse("'\(change.branch)' is not a valid branch name") }
        guard GitNames.isValidPath(change.stackPath) else { throw refuse("'\(change.stackPath)' is not a valid stack path") }
        guard !change.files.isEmpty else { throw refuse("it has no files") }
        guard !change.title.allSatisfy(\.isWhitespace) else { throw refuse("it has no title") }
        var seen = Set<String>()
        for file in change.files {
            guard GitNames.isValidPath(file.path), file.path.hasPrefix(change.stackPath + "/") else {
                throw refuse("the file '\(file.path)' is not a valid path under \(change.stackPath)")
            }
            guard seen.insert(file.path).inserted else { throw refuse("the file '\(file.path)' appears twice") }
        }
    }
}

/// What `verify()` found.
public struct GitHubRepositoryStatus: Sendable, Hashable {
    /// `owner/repo` as GitHub spells it.
    public var repository: String
    public var apiURL: String
    /// The branch pull requests target.
    public var baseBranch: String
    /// Its head commit.
    public var baseCommit: String
}

/// Requests and pull requests counted by a publisher since it was created.
public struct GitHubStatistics: Sendable, Hashable {
    /// HTTP requests sent to GitHub, every attempt included (what GitHub's rate limits count).
    public var requests: Int
    /// The same per operation, keyed by the `operationId` of GitHub's REST description
    /// (`git/create-tree`, `pulls/create`, `issues/add-labels`, …).
    public var requestsByOperation: [String: Int]
    /// `publish` calls that returned a pull request (opened now, or found open).
    public var published: Int
    /// Pull requests this publisher opened itself.
    public var pullRequestsOpened: Int
}

extension GitHubClient {
    /// `GET /repos/{owner}/{repo}`, with the messages `verify()` promises.
    func repository(_ context: CallContext) async throws(PublishError) -> RepositoryAnswer {
        let response = try await send(.getRepository, repositoryPath, context: context)
        switch response.status {
        case 200:
            return try response.decode(RepositoryAnswer.self, .getRepository)
        case 404:
            throw .permanent(
                "The repository \(configuration.fullName) does not exist at \(configuration.apiURL), or the token from \(tokens.source) cannot see it: check GITHUB_REPOSITORY and the token's repository access.")
        default:
            throw unexpected(response, "read the repository")
        }
    }

    /// The error for an answer the sequence did not expect; 4xx are permanent.
    func unexpected(_ response: GitHubResponse, _ what: String) -> PublishError {
        let detail = response.error?.summary ?? "no details"
        let repository = configuration.fullName
        switch response.status {
        case 403:
            return .permanent(
                "GitHub refused to \(what) in \(repository) (403: \(detail)): the token from \(tokens.source) needs write access to contents and pull requests.")
        case 404:
            return .permanent(
                "GitHub answered 404 when asked to \(what): \(repository) does not exist at \(configuration.apiURL) or the token from \(tokens.source) cannot see it (\(detail)).")
        case 422:
            return .permanent("GitHub rejected the request to \(what) in \(repository) (422: \(detail)).")
        case 400..<500:
            return .permanent("GitHub answered \(response.status) when asked to \(what) in \(repository): \(detail).")
        default:
            return .transient("GitHub answered \(response.status) when asked to \(what) in \(repository): \(detail).", retryAfter: nil)
        }
    }
}
