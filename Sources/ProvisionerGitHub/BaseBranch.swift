#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProvisionerService

/// What the publisher knows about the base branch: its name (configured, or the repository's
/// default branch), and its head: commit, root tree and every path in it (one recursive tree
/// listing), reused for `baseBranchCacheTTL`. After that one `GET git/ref` tells whether the head
/// moved; only then are the commit and the listing read again. Should GitHub truncate the
/// listing (over 100,000 entries), existence checks walk the tree one directory at a time
/// instead, with listings kept by tree sha (a tree never changes).
actor BaseBranch {
    struct Snapshot: Sendable, Hashable {
        var branch: String
        var commit: String
        var tree: String
        /// Every path in the tree; nil when GitHub truncated the listing.
        var paths: Set<String>?
        var fetchedAt: ContinuousClock.Instant
    }

    private let client: GitHubClient
    private let timeToLive: Duration
    private var name: String?
    private var snapshot: Snapshot?
    private var loading: Task<Result<Snapshot, PublishError>, Never>?
    private var listings: [String: [String: GitTreeAnswer.Entry]] = [:]
    private static let maxListings = 512

    init(client: GitHubClient, configuredName: String?, timeToLive: Duration) {
        self.client = client
        self.name = configuredName
        self.timeToLive = timeToLive
    }

    var currentSnapshot: Snapshot? { snapshot }

    /// The base branch's name; asks GitHub for the repository's default branch the first time.
    func branchName(_ context: CallContext) async throws(PublishError) -> String {
        if let name { return name }
        let repository = try await client.repository(context)
        name = name ?? repository.defaultBranch
        return repository.defaultBranch
    }

    /// Learns the default branch from a repository answer `verify` already has.
    func adoptDefaultBranch(_ branch: String) {
        if name == nil { name = branch }
    }

    /// The base branch's head, from the cache while it is fresh. Concurrent callers share one refresh.
    func current(_ context: CallContext, refresh: Bool = false) async throws(PublishError) -> Snapshot {
        if !refresh, let snapshot, ContinuousClock.now - snapshot.fetchedAt < timeToLive { return snapshot }
        let task: Task<Result<Snapshot, PublishError>, Never>
        if let loading {
            task = loading
        } else {
            task = Task { await self.load(context) }
            loading = task
        }
        let result = await task.value
        if loading == task { loading = nil }
        return try result.get()
    }

    /// Forget the head (a tree or commit GitHub refused may come from a rewritten branch).
    func invalidate() {
        snapshot = nil
    }

    private func load(_ context: CallContext) async -> Result<Snapshot, PublishError> {
        do throws(PublishError) {
            let branch = try await branchName(context)
            let ref = try await client.send(
                .getRef, "\(client.repositoryPath)/git/ref/heads/\(URLEscaping.escape(branch, keepingSlashes: true))",
                context: context)
            guard ref.status != 404 else {
                throw .permanent(
                    "The base branch '\(branch)' does not exist in \(client.configuration.fullName): set GITHUB_BASE_BRANCH to an existing branch.")
            }
            guard ref.isSuccess else { throw client.unexpected(ref, "read the base branch '\(branch)'") }
            let head = try ref.decode(GitRefAnswer.self, .getRef).objectSHA
            if var unchanged = snapshot, unchanged.branch == branch, unchanged.commit == head {
                unchanged.fetchedAt = .now  // the head did not move: nothing else to read
                snapshot = unchanged
                return .success(unchanged)
            }
            let commit = try await client.send(.getCommit, "\(client.repositoryPath)/git/commits/\(head)", context: context)
            guard commit.isSuccess else { throw client.unexpected(commit, "read the base branch's head commit \(head)") }
            let tree = try commit.decode(GitCommitAnswer.self, .getCommit).treeSHA
            let listing = try await client.send(
                .getTree, "\(client.repositoryPath)/git/trees/\(tree)", query: [("recursive", "1")], context: context)
            guard listing.isSuccess else { throw client.unexpected(listing, "list the base branch's files") }
            let answer = try listing.decode(GitTreeAnswer.self, .getTree)
            let paths = answer.truncated ? nil : Set(answer.tree.map(\.path))
            let fresh = Snapshot(branch: branch, commit: head, tree: tree, paths: paths, fetchedAt: .now)
            snapshot = fresh
            return .success(fresh)
        } catch {
            return .failure(error)
        }
    }

    /// Whether `path` (a directory or file) exists in the snapshot's tree.
    func contains(_ path: String, in snapshot: Snapshot, _ context: CallContext) async throws(PublishError) -> Bool {
        if let paths = snapshot.paths { return paths.contains(path) }
        var tree = snapshot.tree
        let components = path.split(separator: "/").map(String.init)
        for (index, component) in components.enumerated() {
            guard let entry = try await listing(tree, context)[component] else { return false }
            if index == components.count - 1 { return true }
            guard entry.type == "tree" else { return false }
            tree = entry.sha
        }
        return false
    }

    private func listing(_ tree: String, _ context: CallContext) async throws(PublishError) -> [String: GitTreeAnswer.Entry] {
        if let cached = listings[tree] { return cached }
        let response = try await client.send(.getTree, "\(client.repositoryPath)/git/trees/\(tree)", context: context)
        guard response.isSuccess else { throw client.unexpected(response, "list the tree \(tree) of the base branch") }
        let answer = try response.decode(GitTreeAnswer.self, .getTree)
        if answer.truncated {
            throw .permanent("GitHub truncated the listing of tree \(tree) (over 100,000 entries): too large to check for existing stacks.")
        }
        if listings.count >= Self.maxListings { listings.removeAll(keepingCapacity: true) }
        let entries = Dictionary(answer.tree.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        listings[tree] = entries
        return entries
    }
}
