import Foundation
import Logging
import ProvisionerCore
import ProvisionerAsyncHTTPClient
import ProvisionerGitHub
import ProvisionerService
import Testing
import TestSupport

/// The publisher against tools/fake-github: real HTTP on 127.0.0.1, a real git repository behind
/// it, every request body checked against GitHub's REST description by the fake.
struct GitHubPublisherTests {
    static let happyPathOperations = [
        "git/create-tree": 1, "git/create-commit": 1, "git/create-ref": 1, "pulls/create": 1, "issues/add-labels": 1,
    ]

    @Test(arguments: TransportChoice.allCases) func opensOneBranchWithOneCommitAndALabelledPullRequestInFiveRequests(_ transport: TransportChoice) async throws {
        try await FakeGitHub.with { fake in
            let logs = LogCapture()
            let publisher = try fake.publisher(logger: logs.logger(), transport: transport.make())
            let status = try await publisher.verify()
            #expect(status.baseBranch == "main")
            #expect(status.repository == "acme/infra")
            let main = try fake.git("rev-parse", "main")
            #expect(status.baseCommit == main)
            try await fake.resetStats()
            let before = publisher.statistics

            let change = sampleChange()
            let pull = try await publisher.publish(change)

            // One branch, one commit on top of main, holding exactly the files.
            #expect(try fake.branches() == ["main", "rds/dev/orders"])
            #expect(try fake.git("rev-list", "--count", "main..rds/dev/orders") == "1")
            #expect(try fake.git("rev-parse", "rds/dev/orders^") == main)
            let head = try fake.git("rev-parse", "rds/dev/orders")
            #expect(try fake.filesChanged(by: head) == Dictionary(uniqueKeysWithValues: change.files.map { ($0.path, $0.contents) }))
            #expect(try fake.git("log", "-1", "--format=%s", head) == change.commitMessage)

            // One pull request: title, body with the request marker, base, labels.
            let pulls = try await fake.pulls()
            #expect(pulls.count == 1)
            let opened = try #require(pulls.first)
            #expect(opened.title == change.title)
            #expect(opened.head == "rds/dev/orders")
            #expect(opened.base == "main")
            #expect(opened.state == "open")
            #expect(opened.headSha == head)
            #expect(opened.labels == change.labels)
            #expect(opened.body?.hasPrefix(change.body) == true)
            #expect(PullRequestMarker.requestId(in: opened.body) == "req-1")
            #expect(pull == PullRequestRef(number: 1, url: "\(fake.url)/acme/infra/pull/1", branch: "rds/dev/orders", requestId: "req-1"))

            // Five requests, counted alike by the fake and by the publisher, and reported.
            let stats = try await fake.stats()
            #expect(stats.total <= 5)
            #expect(stats.operations == Self.happyPathOperations)
            #expect(stats.schemaRejections == 0)
            #expect(stats.headerRejections == 0)
            let after = publisher.statistics
            #expect(after.requests - before.requests == stats.total)
            #expect(after.requestsByOperation["pulls/create"] == 1)
            #expect(after.pullRequestsOpened == 1)
            #expect(after.published == 1)
            #expect(logs.all.contains { $0.contains("opened pull request") && $0.contains("requests=5") })
        }
    }

    @Test func withoutVerifyTheFirstPullRequestAlsoReadsTheBaseBranch() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            _ = try await publisher.publish(sampleChange())
            let stats = try await fake.stats()
            // repository (default branch), base ref, base commit, recursive tree, then the five.
            #expect(
                stats.operations
                    == Self.happyPathOperations.merging(["repos/get": 1, "git/get-ref": 1, "git/get-commit": 1, "git/get-tree": 1]) { $0 + $1 })
            _ = try await publisher.publish(sampleChange("payments", requestId: "req-2"))
            #expect(try await fake.stats().total == stats.total + 5)
        }
    }

    @Test(arguments: TransportChoice.allCases) func redeliveryReturnsTheSamePullRequestAndCreatesNothing(_ transport: TransportChoice) async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger(), transport: transport.make())
            try await publisher.verify()
            let first = try await publisher.publish(sampleChange())
            try await fake.resetStats()

            let second = try await publisher.publish(sampleChange())
            #expect(second == first)
            // A worker that restarted (a fresh publisher) finds it too.
            let restarted = try fake.publisher(logger: LogCapture().logger(), transport: transport.make())
            #expect(try await restarted.publish(sampleChange()) == first)

            #expect(try await fake.pulls().count == 1)
            #expect(try fake.branches() == ["main", "rds/dev/orders"])
            #expect(try fake.git("rev-list", "--count", "main..rds/dev/orders") == "1")
            let redelivery = try await fake.stats().operations
            #expect(redelivery["git/create-ref"] == 2)
            #expect(redelivery["pulls/list"] == 2)
            #expect(redelivery["pulls/create"] == nil)
            #expect(redelivery["issues/add-labels"] == nil)
            #expect(publisher.statistics.pullRequestsOpened == 1)
        }
    }

    @Test func anotherRequestForTheSameBranchLearnsWhoOpenedIt() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            _ = try await publisher.publish(sampleChange(requestId: "req-1"))
            let found = try await publisher.publish(sampleChange(requestId: "req-2"))
            #expect(found.requestId == "req-1")
            #expect(try await fake.pulls().count == 1)
        }
    }

    @Test func concurrentPublishersOfTheSameChangeEndWithOneBranchAndOnePullRequest() async throws {
        try await FakeGitHub.with { fake in
            let workers = try (0..<2).map { _ in try fake.publisher(logger: LogCapture().logger()) }
            for worker in workers { try await worker.verify() }
            let names = ["orders", "payments", "ledger"]
            let results = try await withThrowingTaskGroup(of: (String, PullRequestRef).self) { group in
                for name in names {
                    for worker in workers {
                        group.addTask { (name, try await worker.publish(sampleChange(name, requestId: "req-\(name)"))) }
                    }
                }
                return try await group.reduce(into: [String: [PullRequestRef]]()) { $0[$1.0, default: []].append($1.1) }
            }
            let pulls = try await fake.pulls()
            #expect(pulls.count == names.count)
            for name in names {
                let refs = try #require(results[name])
                #expect(refs.count == 2)
                #expect(refs.first == refs.last)
                #expect(refs.first?.requestId == "req-\(name)")
                #expect(pulls.filter { $0.head == "rds/dev/\(name)" }.count == 1)
                #expect(try fake.git("rev-list", "--count", "main..rds/dev/\(name)") == "1")
                #expect(pulls.first { $0.head == "rds/dev/\(name)" }?.labels == ["rds-provisioner", "env:dev"])
            }
            #expect(try fake.branches() == ["main"] + names.map { "rds/dev/\($0)" }.sorted())
        }
    }

    @Test func aBranchWithoutPullRequestGetsOne() async throws {
        try await FakeGitHub.with { fake in
            // A worker crashed after creating the branch and before opening the pull request.
            let change = sampleChange()
            let branchHead = try await fake.commit(
                Dictionary(uniqueKeysWithValues: change.files.map { ($0.path, $0.contents) }), on: change.branch)
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()

            let pull = try await publisher.publish(change)
            #expect(pull.requestId == "req-1")
            let pulls = try await fake.pulls()
            #expect(pulls.count == 1)
            #expect(pulls.first?.head == change.branch)
            #expect(pulls.first?.headSha == branchHead)
            #expect(pulls.first?.labels == change.labels)
            #expect(try fake.git("rev-parse", change.branch) == branchHead)
            #expect(publisher.statistics.pullRequestsOpened == 1)
        }
    }

    @Test func aStackOnTheBaseBranchIsAlreadyProvisioned() async throws {
        try await FakeGitHub.with { fake in
            try await fake.commit(["stacks/dev/orders/main.tf": "# provisioned by hand\n"])
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()
            try await fake.resetStats()

            await #expect(throws: PublishError.alreadyProvisioned(stackPath: "stacks/dev/orders")) {
                try await publisher.publish(sampleChange())
            }
            #expect(try await fake.stats().total == 0)  // known from the cached listing
            #expect(try fake.branches() == ["main"])
            #expect(try await fake.pulls().isEmpty)
            // A neighbour whose name starts alike is not taken for it.
            _ = try await publisher.publish(sampleChange("order"))
        }
    }

    @Test func aStackMergedAfterTheCacheExpiredIsNoticed() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger()) { $0.baseBranchCacheTTL = .zero }
            try await publisher.verify()
            try await fake.commit(["stacks/prod/orders/main.tf": "# merged meanwhile\n"])
            try await fake.resetStats()
            await #expect(throws: PublishError.alreadyProvisioned(stackPath: "stacks/prod/orders")) {
                try await publisher.publish(sampleChange(environment: "prod"))
            }
            // The head moved: ref, commit and listing are read again; nothing is created.
            #expect(try await fake.stats().operations == ["git/get-ref": 1, "git/get-commit": 1, "git/get-tree": 1])
            // An unchanged head costs one request.
            try await fake.resetStats()
            _ = try await publisher.publish(sampleChange("payments", environment: "prod"))
            #expect(try await fake.stats().operations == Self.happyPathOperations.merging(["git/get-ref": 1]) { $0 + $1 })
        }
    }

    @Test(arguments: TransportChoice.allCases) func burstsOf502AreRetried(_ transport: TransportChoice) async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger(), transport: transport.make())
            try await publisher.verify()
            try await fake.resetStats()
            try await fake.inject([
                ["kind": "status", "status": 502, "times": 3, "operation": "git/create-tree"],
                ["kind": "status", "status": 503, "times": 1, "operation": "pulls/create"],
            ])
            let pull = try await publisher.publish(sampleChange())
            #expect(pull.number == 1)
            let stats = try await fake.stats()
            #expect(stats.faultsServed == 4)
            #expect(stats.operations["git/create-tree"] == 4)
            #expect(stats.operations["pulls/create"] == 2)
            #expect(try await fake.pulls().count == 1)
        }
    }

    @Test func endless5xxBecomeATransientErrorWithinTheAttempts() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()
            try await fake.resetStats()
            try await fake.inject([["kind": "status", "status": 502, "times": 100]])
            let error = await #expect(throws: PublishError.self) { try await publisher.publish(sampleChange()) }
            guard case .transient(let message, _)? = error else {
                Issue.record("expected a transient error, got \(String(describing: error))")
                return
            }
            #expect(message.contains("502"))
            #expect(try await fake.stats().total == 5)  // maxAttempts
            #expect(try fake.branches() == ["main"])
        }
    }

    @Test(arguments: TransportChoice.allCases) func slowAnswersTimeOutAndAreRetried(_ transport: TransportChoice) async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger(), transport: transport.make()) { $0.requestTimeout = .milliseconds(500) }
            try await publisher.verify()
            try await fake.resetStats()
            try await fake.inject([["kind": "delay", "seconds": 3, "times": 1, "operation": "git/create-commit"]])
            _ = try await publisher.publish(sampleChange())
            #expect(try await fake.stats().operations["git/create-commit"] == 2)
            #expect(try await fake.pulls().count == 1)
        }
    }

    @Test func aSecondaryRateLimitIsWaitedOutAsRetryAfterSays() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()
            try await fake.resetStats()
            try await fake.inject([["kind": "secondary", "status": 403, "retry_after": 1, "times": 1, "operation": "pulls/create"]])
            _ = try await publisher.publish(sampleChange())
            let log = try await fake.requests()
            let limited = try #require(log.first { $0.status == 403 })
            let next = try #require(log.first { $0.t > limited.t })
            #expect(next.t - limited.t >= 1.0)
            #expect(try await fake.stats().secondaryLimits == 1)
            #expect(try await fake.pulls().count == 1)
        }
    }

    @Test func aBurstSlowsDownUnderTheSecondaryLimitInsteadOfFailing() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger()) { $0.retry.waitBudget = .seconds(30) }
            try await publisher.verify()
            try await fake.setContentLimit(max: 4, window: 2)
            let names = ["a1", "b2", "c3"]
            try await withThrowingTaskGroup(of: PullRequestRef.self) { group in
                for name in names { group.addTask { try await publisher.publish(sampleChange(name, requestId: name)) } }
                try await group.waitForAll()
            }
            let stats = try await fake.stats()
            #expect(stats.secondaryLimits >= 1)
            #expect(try await fake.pulls().count == names.count)
        }
    }

    @Test func aSecondaryLimitLongerThanTheBudgetGoesBackToTheQueue() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()
            try await fake.inject([["kind": "secondary", "status": 429, "retry_after": 120, "times": 1]])
            let error = await #expect(throws: PublishError.self) { try await publisher.publish(sampleChange()) }
            guard case .transient(let message, let retryAfter)? = error else {
                Issue.record("expected a transient error, got \(String(describing: error))")
                return
            }
            #expect(retryAfter == .seconds(120))
            #expect(message.contains("secondary rate limit"))
        }
    }

    @Test func theHourlyWriteBudgetIsKept() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger()) { $0.contentCreationsPerHour = 6 }
            try await publisher.verify()
            _ = try await publisher.publish(sampleChange())
            try await fake.resetStats()
            let error = await #expect(throws: PublishError.self) { try await publisher.publish(sampleChange("payments")) }
            guard case .transient(_, let retryAfter)? = error, let retryAfter else {
                Issue.record("expected a transient error with retryAfter, got \(String(describing: error))")
                return
            }
            #expect(retryAfter > .seconds(3500))
            // The sixth write went out; the seventh waits for the hour to pass.
            #expect(try await fake.stats().operations == ["git/create-tree": 1])
            #expect(try fake.branches() == ["main", "rds/dev/orders"])
        }
    }

    @Test func anExhaustedPrimaryLimitIsWaitedOutUntilTheReset() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()
            try await fake.setRateLimit(remaining: 0, resetIn: 1)
            _ = try await publisher.publish(sampleChange())
            let stats = try await fake.stats()
            #expect(stats.primaryLimits == 1)
            #expect(try await fake.pulls().count == 1)
        }
    }

    @Test func theClientSlowsDownBeforeThePrimaryLimitRunsOut() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()
            try await fake.resetStats()
            try await fake.setRateLimit(remaining: 3, resetIn: 2)
            _ = try await publisher.publish(sampleChange())
            let stats = try await fake.stats()
            #expect(stats.primaryLimits == 0)  // waited for the reset instead of spending the last ones
            #expect(stats.total == 5)
            let log = try await fake.requests()
            #expect(log[1].t - log[0].t >= 0.5)
        }
    }

    @Test func aPrimaryResetFarAwayGoesBackToTheQueue() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger())
            try await publisher.verify()
            try await fake.setRateLimit(remaining: 0, resetIn: 3600)
            let error = await #expect(throws: PublishError.self) { try await publisher.publish(sampleChange()) }
            guard case .transient(let message, let retryAfter)? = error, let retryAfter else {
                Issue.record("expected a transient error with retryAfter, got \(String(describing: error))")
                return
            }
            #expect(retryAfter >= .seconds(3500))
            #expect(message.contains("primary rate limit"))
        }
    }

    @Test func aRejectedTokenFailsFastAndPermanently() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(token: "ghp_wrongTOKEN", logger: LogCapture().logger())
            let error = await #expect(throws: PublishError.self) { try await publisher.verify() }
            guard case .permanent(let message)? = error else {
                Issue.record("expected a permanent error, got \(String(describing: error))")
                return
            }
            #expect(message.contains("GitHub rejected the token from GITHUB_TOKEN (401 Bad credentials)"))
            #expect(try await fake.stats().total == 1)  // no retries with the same token
            await #expect(throws: PublishError.self) { try await publisher.publish(sampleChange()) }
            #expect(try fake.branches() == ["main"])
        }
    }

    @Test func aRotatedTokenIsFetchedAgainAfterA401() async throws {
        try await FakeGitHub.with { fake in
            let store = SecretStore(FakeGitHub.token)
            let tokens = CachingTokenProvider(source: "Secrets Manager secret github-secret (github-token)") {
                await store.read()
            }
            var configuration = try GitHubConfiguration(repository: fake.repository, apiURL: fake.url)
            configuration.contentCreationInterval = .zero
            let publisher = GitHubPublisher(
                configuration: configuration, tokenProvider: tokens, transport: AsyncHTTPClientTransport.shared,
                logger: LogCapture().logger())
            try await publisher.verify()
            #expect(await store.reads == 1)

            let rotated = "ghp_ROTATEDtoken9876543210"
            try await fake.rotateToken(rotated)
            await store.set(rotated)
            _ = try await publisher.publish(sampleChange())
            #expect(await store.reads == 2)
            #expect(try await fake.stats().authRejections == 1)
            #expect(try await fake.pulls().count == 1)
        }
    }

    @Test func aMissingRepositoryIsPermanent() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(repository: "acme/missing", logger: LogCapture().logger())
            let error = await #expect(throws: PublishError.self) { try await publisher.verify() }
            guard case .permanent(let message)? = error else {
                Issue.record("expected a permanent error, got \(String(describing: error))")
                return
            }
            #expect(message.contains("acme/missing does not exist"))
            let publishError = await #expect(throws: PublishError.self) { try await publisher.publish(sampleChange()) }
            guard case .permanent? = publishError else {
                Issue.record("expected a permanent error, got \(String(describing: publishError))")
                return
            }
        }
    }

    @Test func aMissingBaseBranchIsPermanent() async throws {
        try await FakeGitHub.with { fake in
            let publisher = try fake.publisher(logger: LogCapture().logger()) { $0.baseBranch = "production" }
            let error = await #expect(throws: PublishError.self) { try await publisher.verify() }
            guard case .permanent(let message)? = error else {
                Issue.record("expected a permanent error, got \(String(describing: error))")
                return
            }
            #expect(message.contains("The base branch 'production' does not exist in acme/infra"))
        }
    }

    @Test(arguments: TransportChoice.allCases) func theTokenNeverAppearsInLogsOrErrors(_ transport: TransportChoice) async throws {
        try await FakeGitHub.with { fake in
            let logs = LogCapture()
            var texts: [String] = []
            let publisher = try fake.publisher(logger: logs.logger(), transport: transport.make())
            try await publisher.verify()
            _ = try await publisher.publish(sampleChange())
            _ = try await publisher.publish(sampleChange())  // redelivery path
            try await fake.inject([
                ["kind": "status", "status": 502, "times": 2],
                ["kind": "secondary", "retry_after": 1, "times": 1],
            ])
            _ = try await publisher.publish(sampleChange("payments"))
            try await fake.inject([["kind": "status", "status": 500, "times": 100]])
            do {
                _ = try await publisher.publish(sampleChange("ledger"))
            } catch {
                texts += ["\(error)", String(reflecting: error)]
            }
            // The fake now wants another token: every error carries GitHub's 401.
            try await fake.rotateToken("ghp_someOtherToken")
            for attempt in [{ try await publisher.verify() }, { _ = try await publisher.publish(sampleChange("audit")) }] as [@Sendable () async throws -> Void] {
                do { try await attempt() } catch { texts += ["\(error)", String(reflecting: error), error.localizedDescription] }
            }
            let environment = ["GITHUB_TOKEN": FakeGitHub.token, "GITHUB_REPOSITORY": "acme/infra"]
            let provider = try EnvironmentTokenProvider(environment)
            let token = try await provider.token()
            var dumped = ""
            dump(token, to: &dumped)
            dump(provider, to: &dumped)
            texts += [
                "\(token)", String(reflecting: token), "\(provider)", String(reflecting: provider), dumped,
                "\(publisher.configuration)", String(reflecting: publisher.configuration),
            ]

            #expect(token.secret == FakeGitHub.token)  // the search below looks for the real thing
            #expect(logs.all.count > 10)
            #expect(texts.count > 10)
            let leaks = (logs.all + texts).filter { $0.contains(FakeGitHub.token) || $0.contains("ghp_someOtherToken") }
            #expect(leaks.isEmpty, "token found in: \(leaks.map { String($0.prefix(200)) })")
        }
    }
}

/// A stand-in for a secret store whose value a test rotates.
actor SecretStore {
    private var value: String
    private(set) var reads = 0

    init(_ value: String) { self.value = value }

    func read() -> GitHubToken {
        reads += 1
        return GitHubToken(value)
    }

    func set(_ value: String) { self.value = value }
}
