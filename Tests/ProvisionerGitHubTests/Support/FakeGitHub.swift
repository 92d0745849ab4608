import AsyncHTTPClient
import Foundation
import Logging
import ProvisionerAsyncHTTPClient
import ProvisionerCore
import ProvisionerGitHub
import ProvisionerService
import ProvisionerTransport
import Testing
import TestSupport

/// tools/fake-github, started as a process for one test (its own port and git repository).
final class FakeGitHub: Sendable {
    /// The only token the fake accepts; distinctive, so a leak is easy to find.
    static let token = "ghp_TESTtoken0123456789abcdefSECRETvalue"
    static let script = TestEnvironment.repositoryRoot.appendingPathComponent("tools/fake-github/fake_github.py")

    let server: ServerProcess
    let url: String
    let gitDir: String
    let repository: String

    private init(server: ServerProcess, url: String, gitDir: String, repository: String) {
        self.server = server
        self.url = url
        self.gitDir = gitDir
        self.repository = repository
    }

    /// Starts a fake for `repository` and runs `body` with it; stops it afterwards, whatever happens.
    static func with<T>(
        repository: String = "acme/infra", _ body: (FakeGitHub) async throws -> T
    ) async throws -> T {
        let fake = try await start(repository: repository)
        defer { fake.stop() }
        return try await body(fake)
    }

    static func start(repository: String = "acme/infra") async throws -> FakeGitHub {
        let venvPython = TestEnvironment.repositoryRoot.appendingPathComponent(".venv/bin/python3")
        let (executable, prefix): (URL, [String]) =
            FileManager.default.isExecutableFile(atPath: venvPython.path)
            ? (venvPython, []) : (URL(fileURLWithPath: "/usr/bin/env"), ["python3"])
        let server = try ServerProcess(
            executable, prefix + [script.path, "--repository", repository, "--token", token])
        guard let line = await server.waitForLine(containing: "fake-github listening on ") else {
            throw TestSupportError("fake-github did not start:\n\(server.output.joined(separator: "\n"))")
        }
        let words = line.split(separator: " ")
        guard let url = words.first(where: { $0.hasPrefix("http://") }),
            let gitDir = words.first(where: { $0.hasPrefix("git-dir=") })?.dropFirst("git-dir=".count)
        else { throw TestSupportError("unexpected fake-github start line: \(line)") }
        return FakeGitHub(server: server, url: String(url), gitDir: String(gitDir), repository: repository)
    }

    func stop() {
        server.stop()
    }

    // MARK: - Admin endpoints

    struct Stats: Decodable {
        var total: Int
        var operations: [String: Int]
        var statuses: [String: Int]
        var secondaryLimits: Int
        var primaryLimits: Int
        var faultsServed: Int
        var schemaRejections: Int
        var headerRejections: Int
        var authRejections: Int
    }

    struct Request: Decodable {
        var t: Double
        var method: String
        var path: String
        var operation: String
        var status: Int
    }

    struct Pull: Decodable {
        var number: Int
        var title: String
        var body: String?
        var head: String
        var headSha: String
        var base: String
        var state: String
        var labels: [String]
    }

    func stats() async throws -> Stats { try await admin("GET", "stats") }
    func requests() async throws -> [Request] { try await admin("GET", "requests") }
    func pulls() async throws -> [Pull] { try await admin("GET", "pulls") }

    func resetStats() async throws {
        let _: Stats = try await admin("POST", "reset-stats")
    }

    /// e.g. `["kind": "status", "status": 502, "times": 3]`, `["kind": "secondary", "retry_after": 1]`.
    func inject(_ faults: [[String: any Sendable]]) async throws {
        try await adminRaw("POST", "faults", ["faults": faults])
    }

    func setRateLimit(remaining: Int, resetIn seconds: Double, limit: Int = 5000) async throws {
        try await adminRaw("POST", "rate-limit", ["limit": limit, "remaining": remaining, "reset_in": seconds])
    }

    func setContentLimit(max: Int?, window seconds: Double) async throws {
        try await adminRaw("POST", "content-limit", ["max": max as Any, "window": seconds])
    }

    func rotateToken(_ token: String) async throws {
        try await adminRaw("POST", "token", ["token": token])
    }

    /// Commits `files` on `branch` (created from the default branch when missing).
    @discardableResult
    func commit(_ files: [String: String], on branch: String = "main", message: String = "Commit from a test") async throws -> String {
        struct Answer: Decodable { var sha: String }
        let answer: Answer = try await admin("POST", "commit", ["branch": branch, "files": files, "message": message])
        return answer.sha
    }

    private func admin<T: Decodable>(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> T {
        let data = try await adminRaw(method, path, body)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: data)
    }

    @discardableResult
    private func adminRaw(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: "\(url)/_admin/\(path)")
        request.method = .init(rawValue: method)
        if let body { request.body = .bytes(try JSONSerialization.data(withJSONObject: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        guard response.status.code < 300 else {
            throw TestSupportError("fake-github admin \(path) answered \(response.status): \(String(buffer: bytes))")
        }
        return Data(bytes.readableBytesView)
    }

    // MARK: - The repository behind it

    func git(_ arguments: String...) throws -> String {
        try gitOutput(arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func gitOutput(_ arguments: [String]) throws -> String {
        let result = try ProcessRunner.run("git", ["--git-dir", gitDir] + arguments)
        guard result.status == 0 else { throw TestSupportError("git \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.stdout
    }

    func branches() throws -> [String] {
        try git("for-each-ref", "--format=%(refname:short)", "refs/heads").split(separator: "\n").map(String.init).sorted()
    }

    /// Files a commit adds or changes compared with its first parent, with their contents.
    func filesChanged(by commit: String) throws -> [String: String] {
        let paths = try git("diff-tree", "--no-commit-id", "--name-only", "-r", "\(commit)^", commit)
            .split(separator: "\n").map(String.init)
        var files: [String: String] = [:]
        for path in paths { files[path] = try gitOutput(["show", "\(commit):\(path)"]) }
        return files
    }

    // MARK: - Publishers pointed at this fake

    /// A publisher for this fake, fast settings for tests (no write pacing, short backoff).
    func publisher(
        token: String = FakeGitHub.token, repository: String? = nil, logger: Logger,
        transport: any HTTPTransport = AsyncHTTPClientTransport.shared,
        configure: (inout GitHubConfiguration) -> Void = { _ in }
    ) throws -> GitHubPublisher {
        let environment = ["GITHUB_REPOSITORY": repository ?? self.repository, "GITHUB_API_URL": url, "GITHUB_TOKEN": token]
        var configuration = try GitHubConfiguration.fromEnvironment(environment)
        configuration.contentCreationInterval = .zero
        configuration.requestTimeout = .seconds(10)
        configuration.retry = GitHubRetryPolicy(
            maxAttempts: 5, waitBudget: .seconds(15), backoff: Backoff(base: .milliseconds(20), cap: .milliseconds(200), jitter: 1),
            secondaryLimitDefaultWait: .seconds(1))
        configure(&configuration)
        return GitHubPublisher(
            configuration: configuration, tokenProvider: try EnvironmentTokenProvider(environment), transport: transport,
            logger: logger)
    }
}

/// A change like the renderer makes: two files under the stack, labels, title and body.
func sampleChange(
    _ name: String = "orders", environment: String = "dev", requestId: String = "req-1"
) -> ChangeRequest {
    let stack = "stacks/\(environment)/\(name)"
    let cluster = "\(name)-\(environment)"
    return ChangeRequest(
        requestId: requestId, branch: "rds/\(environment)/\(name)", stackPath: stack,
        files: [
            StackFile(path: "\(stack)/main.tf", contents: "module \"aurora\" {\n  name = \"\(cluster)\"\n}\n"),
            StackFile(path: "\(stack)/terraform.tfvars", contents: "cluster_identifier = \"\(cluster)\"\n"),
        ],
        title: "Provision Aurora cluster \(cluster)", body: "Adds the Terraform stack for \(cluster).",
        labels: ["rds-provisioner", "env:\(environment)"], commitMessage: "Provision \(cluster)")
}

/// The two transports the publisher runs on: the Lambda's and the worker's.
enum TransportChoice: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case socket
    case asyncHTTPClient

    /// A fresh socket transport (its own thread and connections), or the shared AsyncHTTPClient one.
    func make() -> any HTTPTransport {
        switch self {
        case .socket: SocketHTTPTransport()
        case .asyncHTTPClient: AsyncHTTPClientTransport.shared
        }
    }

    var testDescription: String { rawValue }
}
