import ProvisionerCore
@testable import ProvisionerGitHub
import ProvisionerService
import Testing

/// Settings, token handling, the request marker and change checks: no server needed.
struct GitHubConfigurationTests {
    @Test func readsTheEnvironmentWithDefaults() throws {
        let configuration = try GitHubConfiguration.fromEnvironment(["GITHUB_REPOSITORY": "acme/infra-live"])
        #expect(configuration.owner == "acme")
        #expect(configuration.repository == "infra-live")
        #expect(configuration.apiURL == "https://api.github.com")
        #expect(configuration.baseBranch == nil)
        #expect(configuration.requestTimeout == .seconds(15))
        #expect(configuration.contentCreationInterval == .milliseconds(750))
    }

    @Test func readsEnterpriseSettings() throws {
        let configuration = try GitHubConfiguration.fromEnvironment([
            "GITHUB_REPOSITORY": "platform/infra", "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
            "GITHUB_BASE_BRANCH": "release/infra", "GITHUB_REQUEST_TIMEOUT_SECONDS": "2.5",
            "GITHUB_CONTENT_INTERVAL_MS": "250",
        ])
        #expect(configuration.apiURL == "https://ghe.example.com/api/v3")
        #expect(configuration.baseBranch == "release/infra")
        #expect(configuration.requestTimeout == .milliseconds(2500))
        #expect(configuration.contentCreationInterval == .milliseconds(250))
    }

    @Test(arguments: [
        ([:], "GITHUB_REPOSITORY is not set"),
        (["GITHUB_REPOSITORY": "  "], "GITHUB_REPOSITORY is not set"),
        (["GITHUB_REPOSITORY": "acme"], "GITHUB_REPOSITORY 'acme' is not owner/repo"),
        (["GITHUB_REPOSITORY": "acme/infra/extra"], "is not owner/repo"),
        (["GITHUB_REPOSITORY": "ac me/infra"], "is not owner/repo"),
        (["GITHUB_REPOSITORY": "acme/.."], "is not owner/repo"),
        (["GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": "api.github.com"], "GITHUB_API_URL 'api.github.com' is not an absolute URL"),
        (["GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": "http://ghe.example.com/api/v3"], "must use https"),
        (["GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": "https://api.github.com?x=1"], "is not an absolute URL"),
        (["GITHUB_REPOSITORY": "acme/infra", "GITHUB_BASE_BRANCH": "bad..branch"], "GITHUB_BASE_BRANCH 'bad..branch' is not a valid branch name"),
        (["GITHUB_REPOSITORY": "acme/infra", "GITHUB_REQUEST_TIMEOUT_SECONDS": "soon"], "GITHUB_REQUEST_TIMEOUT_SECONDS 'soon'"),
        (["GITHUB_REPOSITORY": "acme/infra", "GITHUB_REQUEST_TIMEOUT_SECONDS": "0"], "between 0 and 600"),
        (["GITHUB_REPOSITORY": "acme/infra", "GITHUB_CONTENT_INTERVAL_MS": "0.5"], "GITHUB_CONTENT_INTERVAL_MS '0.5'"),
        (["GITHUB_REPOSITORY": "acme/infra", "GITHUB_CONTENT_INTERVAL_MS": "60001"], "between 0 and 60000"),
    ] as [([String: String], String)])
    func refusesBadSettingsWithAClearMessage(environment: [String: String], message: String) {
        #expect {
            try GitHubConfiguration.fromEnvironment(environment)
        } throws: { error in
            (error as? GitHubConfigurationError)?.message.contains(message) == true
        }
    }

    @Test func allowsPlainHTTPOnlyForLoopbackTestServers() throws {
        let configuration = try GitHubConfiguration.fromEnvironment([
            "GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": "http://127.0.0.1:8123",
        ])
        #expect(configuration.apiURL == "http://127.0.0.1:8123")
    }

    @Test func theEnvironmentTokenIsRequiredAndRedacted() async throws {
        #expect(throws: GitHubConfigurationError.self) { try EnvironmentTokenProvider([:]) }
        #expect(throws: GitHubConfigurationError.self) { try EnvironmentTokenProvider(["GITHUB_TOKEN": "  "]) }
        #expect(throws: GitHubConfigurationError.self) { try EnvironmentTokenProvider(["GITHUB_TOKEN": "ghp_a b"]) }
        let provider = try EnvironmentTokenProvider(["GITHUB_TOKEN": "ghp_secretvalue"])
        let token = try await provider.token()
        #expect(token.secret == "ghp_secretvalue")
        #expect("\(token)" == "GitHubToken(<redacted>)")
        #expect(!String(reflecting: token).contains("secretvalue"))
        var dumped = ""
        dump(token, to: &dumped)
        #expect(!dumped.contains("secretvalue"))
        #expect(provider.source == "GITHUB_TOKEN")
    }

    @Test func theCachingProviderFetchesOnceUntilTheTokenIsRejected() async throws {
        let store = SecretStore("ghp_first")
        let provider = CachingTokenProvider(source: "test secret") { await store.read() }
        async let first = provider.token()
        async let second = provider.token()
        #expect(try await [first, second] == [GitHubToken("ghp_first"), GitHubToken("ghp_first")])
        #expect(await store.reads == 1)
        await provider.tokenRejected(GitHubToken("ghp_other"))  // not the cached one: kept
        _ = try await provider.token()
        #expect(await store.reads == 1)
        await store.set("ghp_second")
        await provider.tokenRejected(GitHubToken("ghp_first"))
        #expect(try await provider.token() == GitHubToken("ghp_second"))
        #expect(await store.reads == 2)
    }

    @Test(arguments: ["req-1", "0b7f4c1e-58c2-4c4b-9d8e-1f2a3b4c5d6e", "a b-->c", "ünï/cöde"])
    func theRequestMarkerRoundTrips(requestId: String) {
        let body = PullRequestMarker.body("Adds the stack.\n\n<!-- other comment -->", requestId: requestId)
        #expect(body.hasPrefix("Adds the stack."))
        #expect(PullRequestMarker.requestId(in: body) == requestId)
        #expect(!body.dropFirst("Adds the stack.".count).contains("-->c"))
    }

    @Test func aBodyWithoutMarkerHasNoRequestId() {
        #expect(PullRequestMarker.requestId(in: nil) == nil)
        #expect(PullRequestMarker.requestId(in: "opened by hand") == nil)
        #expect(PullRequestMarker.requestId(in: "<!-- rds-provisioner:request-id=bad id -->") == nil)
    }

    @Test func changesWithUnsafeNamesAreRefusedBeforeAnyRequest() {
        var change = sampleChange()
        change.files.append(StackFile(path: "stacks/dev/other/main.tf", contents: ""))
        #expect(throws: PublishError.self) { try GitHubPublisher.check(change) }
        change = sampleChange()
        change.files.append(StackFile(path: "stacks/dev/orders/../../../etc/passwd", contents: ""))
        #expect(throws: PublishError.self) { try GitHubPublisher.check(change) }
        change = sampleChange()
        change.branch = "rds/dev/orders.lock"
        #expect(throws: PublishError.self) { try GitHubPublisher.check(change) }
        change = sampleChange()
        change.files = []
        #expect(throws: PublishError.self) { try GitHubPublisher.check(change) }
        #expect(throws: Never.self) { try GitHubPublisher.check(sampleChange()) }
    }
}
