import Foundation
import ProvisionerCore
import Testing
import TestSupport

/// `serve --publisher github` against tools/fake-github (GitHub's REST API on 127.0.0.1, backed by
/// a real git repository, validating every request body against GitHub's own description).
@Suite(.serialized)
struct GitHubPublisherEndToEndTests {
    static let token = "ghp_E2EtokenSECRET0123456789abcdef"

    func startFakeGitHub() async throws -> (ServerProcess, String) {
        let fake = try ServerProcess(
            try TestEnvironment.pythonTool("python3"),
            [TestEnvironment.repositoryRoot.appendingPathComponent("tools/fake-github/fake_github.py").path,
             "--repository", "acme/infra", "--token", Self.token])
        guard let line = await fake.waitForLine(containing: "fake-github listening on ") else {
            throw TestSupportError("fake-github did not start:\n" + fake.output.joined(separator: "\n"))
        }
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        return (fake, url)
    }

    @Test func serveOpensThePullRequestOnGitHub() async throws {
        let (fake, apiURL) = try await startFakeGitHub()
        defer { _ = fake.stop() }
        let server = try await RunningServer.start(
            dataDirectory: try TestEnvironment.makeTemporaryDirectory("e2e-github"),
            extraArguments: ["--publisher", "github"],
            environment: ["GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": apiURL, "GITHUB_TOKEN": Self.token])
        defer { _ = server.stop() }
        let response = try await server.provision("orders", environment: "Prod")
        #expect(response.status == 202, "\(response.body)")
        let id = try #require(try response.json()["requestId"] as? String)
        let record = try await server.waitUntilFinal(id)
        #expect(record.status == .prOpened, "\(String(describing: record.reason))")
        #expect(record.pullRequest?.branch == "rds/prod/orders")
        #expect(record.pullRequest?.url.contains("/pull") == true)
        #expect(!server.process.output.joined().contains(Self.token), "the token leaked into serve's output")
    }

    @Test func serveFailsFastWithoutTheGitHubSettings() async throws {
        let process = try ServerProcess(
            ServerProcess.provisionerExecutable,
            ["serve", "--port", "0", "--data-dir", try TestEnvironment.makeTemporaryDirectory("e2e-github-missing").path,
             "--publisher", "github"],
            environment: ["GITHUB_REPOSITORY": "", "GITHUB_TOKEN": ""])
        let status = process.stop(signal: 0)  // wait for it to exit by itself
        #expect(status != 0)
        let output = process.output.joined(separator: "\n")
        #expect(output.contains("GITHUB_REPOSITORY"), "\(output)")
        #expect(!output.contains("listening on"))
    }

    @Test func serveFailsFastWhenTheTokenIsRejected() async throws {
        let (fake, apiURL) = try await startFakeGitHub()
        defer { _ = fake.stop() }
        let wrongToken = "ghp_WRONGtokenSECRET9876543210"
        let process = try ServerProcess(
            ServerProcess.provisionerExecutable,
            ["serve", "--port", "0", "--data-dir", try TestEnvironment.makeTemporaryDirectory("e2e-github-token").path,
             "--publisher", "github"],
            environment: ["GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": apiURL, "GITHUB_TOKEN": wrongToken])
        let status = process.stop(signal: 0)
        #expect(status != 0)
        let output = process.output.joined(separator: "\n")
        #expect(output.localizedCaseInsensitiveContains("token"), "\(output)")
        #expect(!output.contains(wrongToken), "the token leaked: \(output)")
        #expect(!output.contains("listening on"))
    }
}
