import Foundation
import ProvisionerCore
import ProvisionerService
import Synchronization

/// Opens pull requests on the local infrastructure repository: the embedded stand-in for
/// GitHub. Each change becomes one branch from `main`'s tip holding one commit, written with
/// git plumbing (no checkout, no index), and one pull-request record in SQLite.
///
/// Safe to use from many tasks at once, and from several processes on the same repository:
/// branches are created with an atomic create-only ref update, and records are written in
/// SQLite transactions (numbers without gaps, one open pull request per branch).
///
/// Also the pull-request API of the CLI (`rds-provisioner pulls list|show|merge|close`).
///
/// Keeps a few git processes running while in use (see `docs/local-git.md`); `shutdown()` stops
/// them. The process ignores `SIGPIPE` once one has started, so that a git process that dies is
/// reported as an error instead of ending the service.
public final class LocalGitPublisher: ChangeRequestPublisher {
    /// Author and committer of every commit this service makes.
    public static let identity = "rds-provisioner <rds-provisioner@localhost>"

    public let repository: InfraRepository
    /// Branches are written through a small pool of sessions (each with its own git helper
    /// processes), so two pull requests' objects are hashed and written at once; objects are
    /// content-addressed and refs are created atomically, so sessions never conflict.
    private let sessions: [GitObjectSession]
    private let nextSession = Atomic<Int>(0)
    /// Merges go through one session, one at a time.
    private var session: GitObjectSession { sessions[0] }
    private let store: PullRequestStore
    private let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - repository: the infrastructure repository (`InfraRepository.openOrCreate`).
    ///   - pullsDatabase: the SQLite file of pull-request records; by default
    ///     `<git-dir>/rds-provisioner/pulls.sqlite` (created if missing).
    ///   - clock: the time of commits and records.
    ///   - writers: how many branches are written at once (each has its own git processes).
    public init(
        repository: InfraRepository, pullsDatabase: URL? = nil, clock: @escaping @Sendable () -> Date = { Date() },
        writers: Int = 2
    ) throws(LocalGitError) {
        self.repository = repository
        self.clock = clock
        var sessions = [GitObjectSession]()
        for _ in 0..<max(1, writers) { sessions.append(try GitObjectSession(context: repository.context)) }
        self.sessions = sessions
        store = try PullRequestStore(
            path: (pullsDatabase ?? repository.defaultPullsDatabase).path, repositoryURL: repository.url)
    }

    /// Stops the long-lived git processes (they start again if the publisher is used later).
    public func shutdown() async {
        for session in sessions { await session.shutdown() }
    }

    // MARK: - Publishing

    public func publish(_ change: ChangeRequest) async throws(PublishError) -> PullRequestRef {
        do {
            return try await openPullRequest(change).ref
        } catch {
            throw error.publishError
        }
    }

    /// `publish`, returning the whole record and this module's error.
    ///
    /// - If a pull request is open for `change.branch`, or the branch exists, returns that pull
    ///   request and creates nothing (its `requestId` is the one that made the branch, read
    ///   from the commit's `Request-Id:` trailer).
    /// - Throws `.alreadyProvisioned` if `change.stackPath` exists on `main`.
    public func openPullRequest(_ change: ChangeRequest) async throws(LocalGitError) -> LocalPullRequest {
        let validated = try ValidatedChange(change)
        if let existing = try await store.openPullRequest(branch: change.branch) { return existing }
        let timestamp = Int64(clock().timeIntervalSince1970)
        let writer = sessions[nextSession.wrappingAdd(1, ordering: .relaxed).oldValue % sessions.count]
        let branch = try await writer.exclusively { session throws(LocalGitError) in
            try await Self.writeBranch(validated, timestamp: timestamp, in: session)
        }
        return try await store.open(
            PullRequestStore.NewPullRequest(
                title: change.title, body: change.body, branch: change.branch, baseCommit: branch.base.hex,
                headCommit: branch.head.hex, stackPath: change.stackPath, labels: change.labels,
                requestId: branch.requestId, createdAt: clock()))
    }

    private struct Branch: Sendable {
        var head: ObjectID
        var base: ObjectID
        var requestId: String?
    }

    /// Makes the branch's commit from `main`'s tip, or finds the branch that exists already.
    /// Runs on the session's queue; reads and writes only the trees along the stack's path.
    private static func writeBranch(
        _ validated: ValidatedChange, timestamp: Int64, in session: isolated GitObjectSession
    ) async throws(LocalGitError) -> Branch {
        let change = validated.change
        let ref = "refs/heads/" + change.branch
        guard let main = try await session.commit("refs/heads/main") else {
            throw .repositoryUnavailable(path: session.context.gitDirectory, reason: "it has no main branch")
        }
        if try await session.entry(at: validated.stackComponents, in: main.commit.tree) != nil {
            throw .alreadyProvisioned(stackPath: change.stackPath)
        }
        if let existing = try await session.commit(ref) {
            return Branch(head: existing.id, base: existing.commit.parents.first ?? existing.id, requestId: existing.commit.requestId)
        }
        let directory = try await session.writeDirectory(validated.files)
        let root = try await session.writeTree(root: main.commit.tree, setting: validated.stackComponents[...], to: directory)
        let commit = try await session.writeCommit(
            Commit.format(tree: root, parents: [main.id], identity: identity, timestamp: timestamp, message: validated.commitMessage))
        if try await session.createRef(ref, at: commit) {
            return Branch(head: commit, base: main.id, requestId: change.requestId)
        }
        // Another publisher (another process) created the branch between our check and our
        // ref update: theirs wins, ours is left unreferenced.
        guard let winner = try await session.commit(ref) else {
            throw .gitFailed(command: "git update-ref", message: "\(ref) existed and then vanished", transient: true)
        }
        return Branch(head: winner.id, base: winner.commit.parents.first ?? winner.id, requestId: winner.commit.requestId)
    }

    // MARK: - Pull requests

    /// Pull requests by number, optionally only those in `state`.
    public func pullRequests(state: PullRequestState? = nil) async throws(LocalGitError) -> [LocalPullRequest] {
        try await store.list(state: state)
    }

    public func pullRequest(_ number: Int) async throws(LocalGitError) -> LocalPullRequest {
        guard let pullRequest = try await store.pullRequest(number) else { throw .pullRequestNotFound(number: number) }
        return pullRequest
    }

    /// The record with the files and the unified diff of the pull request (base to head).
    public func details(_ number: Int) async throws(LocalGitError) -> PullRequestDetails {
        let pullRequest = try await pullRequest(number)
        let context = repository.context
        let range = [pullRequest.baseCommit, pullRequest.headCommit]
        let names = try await GitCommand.check(context, ["diff", "--no-renames", "--name-status", "-z"] + range + ["--"])
        let diff = try await GitCommand.check(context, ["diff", "--no-renames", "--no-color", "--no-ext-diff"] + range + ["--"])
        let fields = names.stdout.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
        var files = [PullRequestDetails.File]()
        var index = 0
        while index + 1 < fields.count {
            files.append(PullRequestDetails.File(status: fields[index], path: fields[index + 1]))
            index += 2
        }
        return PullRequestDetails(pullRequest: pullRequest, files: files, diff: diff.text)
    }

    /// Merges an open pull request into `main`: a fast-forward if `main` has not moved since
    /// the branch was made, otherwise a merge commit whose tree is `main`'s tree plus the stack
    /// directory from the branch. Fails if the stack directory exists on `main` by then.
    ///
    /// Updates the checkout when `main` is checked out (refusing, before changing anything, if
    /// local changes would be overwritten), marks the pull request merged, then deletes the
    /// branch and keeps its commit as `refs/pull/<number>/head`.
    public func merge(_ number: Int) async throws(LocalGitError) -> MergeResult {
        let pullRequest = try await pullRequest(number)
        guard pullRequest.state == .open else { throw .pullRequestNotOpen(number: number, state: pullRequest.state) }
        let stack = try RepositoryPath.components(pullRequest.stackPath, what: "stack path")
        let context = repository.context
        let checkout = try await checkoutOfMain()
        for _ in 0..<5 {
            let timestamp = Int64(clock().timeIntervalSince1970)
            let plan = try await session.exclusively { session throws(LocalGitError) in
                try await Self.planMerge(pullRequest, stack: stack, timestamp: timestamp, in: session)
            }
            if plan.stackOnMain {
                // The stack directory is on main already. Merged before, if main holds the branch's
                // commit (a merge interrupted before its record was updated); else it came
                // from elsewhere and this pull request cannot be merged.
                let ancestor = try await GitCommand.run(context, ["merge-base", "--is-ancestor", plan.head.hex, plan.main.hex])
                guard ancestor.succeeded else {
                    throw .stackExistsOnMain(number: number, stackPath: pullRequest.stackPath)
                }
                return try await finishMerge(pullRequest, plan: plan, checkoutUpdated: false, note: nil)
            }
            if checkout {
                let dryRun = try await GitCommand.run(
                    context, ["read-tree", "-n", "-u", "-m", plan.main.hex, plan.merged.hex], workTree: true)
                guard dryRun.succeeded else {
                    throw .workingTreeConflict(path: repository.path.path, message: LocalGitError.summarise(dryRun.stderr))
                }
            }
            let update = try await GitCommand.run(
                context, ["update-ref", "-m", "rds-provisioner: merge pull request #\(number)", "refs/heads/main",
                          plan.merged.hex, plan.main.hex])
            if !update.succeeded {
                // main moved under us (another merge, or a commit in the checkout): plan again.
                if update.stderr.contains("but expected") || update.stderr.contains("is at") { continue }
                throw LocalGitError.classify(command: "git update-ref", stderr: update.stderr)
            }
            var note: String?
            var updated = false
            if checkout {
                let readTree = try await GitCommand.run(
                    context, ["read-tree", "-u", "-m", plan.main.hex, plan.merged.hex], workTree: true)
                updated = readTree.succeeded
                if !updated {
                    note = "main was merged, but the checkout could not be updated ("
                        + LocalGitError.summarise(readTree.stderr) + "); update it with: git -C \(repository.path.path) read-tree -u -m "
                        + "\(plan.main.hex) \(plan.merged.hex)"
                }
            }
            return try await finishMerge(pullRequest, plan: plan, checkoutUpdated: updated, note: note)
        }
        throw .concurrentUpdate("main kept moving while merging pull request #\(number); try again")
    }

    /// Closes an open pull request without merging: deletes the branch (its commit stays
    /// reachable as `refs/pull/<number>/head`) and marks the record closed. A new request for
    /// the same stack can then open a new pull request.
    public func close(_ number: Int) async throws(LocalGitError) -> LocalPullRequest {
        let pullRequest = try await pullRequest(number)
        guard pullRequest.state == .open else { throw .pullRequestNotOpen(number: number, state: pullRequest.state) }
        let head = try await archiveBranch(pullRequest, required: true)
        return try await store.finish(number, as: .closed, at: clock(), headCommit: head.hex)
    }

    // MARK: - Merging

    private struct MergePlan: Sendable {
        var main: ObjectID
        var head: ObjectID
        /// What `main` becomes.
        var merged: ObjectID
        var method: MergeResult.Method
        /// The stack directory exists on `main` (`method` is then `.alreadyOnMain`, if main
        /// holds the head commit; otherwise the merge is refused).
        var stackOnMain = false
    }

    private static func planMerge(
        _ pullRequest: LocalPullRequest, stack: [String], timestamp: Int64, in session: isolated GitObjectSession
    ) async throws(LocalGitError) -> MergePlan {
        guard let main = try await session.commit("refs/heads/main") else {
            throw .repositoryUnavailable(path: session.context.gitDirectory, reason: "it has no main branch")
        }
        // The branch as it is now (a person may have added commits), or the recorded head.
        var head = try await session.commit("refs/heads/" + pullRequest.branch)
        if head == nil { head = try await session.commit(pullRequest.headCommit) }
        guard let head else {
            throw .gitFailed(command: "git cat-file", message: "the head commit \(pullRequest.headCommit) is missing", transient: false)
        }
        guard let stackOnHead = try await session.entry(at: stack, in: head.commit.tree), stackOnHead.isDirectory else {
            throw .invalidChange("the branch \(pullRequest.branch) has no directory \(pullRequest.stackPath)")
        }
        if try await session.entry(at: stack, in: main.commit.tree) != nil {
            return MergePlan(main: main.id, head: head.id, merged: main.id, method: .alreadyOnMain, stackOnMain: true)
        }
        if head.commit.parents == [main.id] {
            return MergePlan(main: main.id, head: head.id, merged: head.id, method: .fastForward)
        }
        let tree = try await session.writeTree(root: main.commit.tree, setting: stack[...], to: stackOnHead.id)
        let message = "Merge pull request #\(pullRequest.number) from \(pullRequest.branch)\n\n\(pullRequest.title)\n"
        let merge = try await session.writeCommit(
            Commit.format(tree: tree, parents: [main.id, head.id], identity: identity, timestamp: timestamp, message: message))
        return MergePlan(main: main.id, head: head.id, merged: merge, method: .mergeCommit)
    }

    private func finishMerge(
        _ pullRequest: LocalPullRequest, plan: MergePlan, checkoutUpdated: Bool, note: String?
    ) async throws(LocalGitError) -> MergeResult {
        let merged = try await store.finish(
            pullRequest.number, as: .merged, at: clock(), headCommit: plan.head.hex, mergeCommit: plan.merged.hex)
        var note = note
        do {
            _ = try await archiveBranch(merged, required: false)
        } catch {
            note = [note, "the branch \(pullRequest.branch) could not be deleted: \(error)"].compactMap { $0 }.joined(separator: "; ")
        }
        // Packs the loose objects publishing leaves behind, when git thinks there are enough
        // (in the background; usually it has nothing to do).
        _ = try? await GitCommand.run(repository.context, ["gc", "--auto", "--quiet"])
        return MergeResult(pullRequest: merged, method: plan.method, checkoutUpdated: checkoutUpdated, note: note)
    }

    /// Points `refs/pull/<number>/head` at the branch's commit and deletes the branch, in one
    /// ref transaction. Returns the commit.
    private func archiveBranch(_ pullRequest: LocalPullRequest, required: Bool) async throws(LocalGitError) -> ObjectID {
        let branchRef = "refs/heads/" + pullRequest.branch
        let context = repository.context
        let tip = try await GitCommand.run(context, ["rev-parse", "--verify", "--quiet", branchRef + "^{commit}"])
        let head = tip.succeeded ? tip.text.trimmingCharacters(in: .whitespacesAndNewlines) : pullRequest.headCommit
        var commands = "update refs/pull/\(pullRequest.number)/head \(head)\n"
        if tip.succeeded { commands += "delete \(branchRef) \(head)\n" }
        let update = try await GitCommand.run(context, ["update-ref", "--stdin"], input: Array(commands.utf8))
        if !update.succeeded && required {
            throw LocalGitError.classify(command: "git update-ref", stderr: update.stderr)
        }
        return ObjectID(hex: head)
    }

    /// Whether this is a non-bare repository with `main` checked out.
    private func checkoutOfMain() async throws(LocalGitError) -> Bool {
        guard !repository.isBare else { return false }
        let head = try await GitCommand.run(repository.context, ["symbolic-ref", "--quiet", "HEAD"])
        return head.succeeded && head.text.trimmingCharacters(in: .whitespacesAndNewlines) == "refs/heads/main"
    }
}

/// What `LocalGitPublisher.merge` did.
public struct MergeResult: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        /// `main` now points at the branch's commit.
        case fastForward = "fast-forward"
        /// `main` moved since the branch was made: a merge commit joins them.
        case mergeCommit = "merge commit"
        /// `main` already held the branch's stack (an interrupted merge): only the record changed.
        case alreadyOnMain = "already on main"
    }

    /// The pull request, now merged; `requestId` says which request to mark `merged`.
    public var pullRequest: LocalPullRequest
    public var method: Method
    /// Whether the checkout of `main` was updated (false for a bare repository, or when another
    /// branch is checked out).
    public var checkoutUpdated: Bool
    /// Something the person merging should know (the checkout could not be updated).
    public var note: String?
}

/// A pull request with its changes, for `pulls show`.
public struct PullRequestDetails: Sendable, Hashable {
    public struct File: Sendable, Hashable {
        /// `A` added, `M` modified, `D` deleted (as `git diff --name-status` prints it).
        public var status: String
        public var path: String
    }

    public var pullRequest: LocalPullRequest
    public var files: [File]
    /// The unified diff from the base commit to the head commit.
    public var diff: String
}
