import Foundation
import ProvisionerCore
import Testing
import TestSupport

/// `rds-provisioner init-repo`, run as a process.
struct InitRepoCommandTests {
    static func initRepo(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(ServerProcess.provisionerExecutable.path, ["init-repo"] + arguments)
    }

    static func git(_ arguments: [String], in directory: URL) throws -> String {
        let result = try ProcessRunner.run("git", arguments, in: directory)
        guard result.status == 0 else { throw TestSupportError("git \(arguments): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every template file is on disk with its exact bytes and mode.
    static func expectTemplate(in directory: URL) throws {
        for file in InfraRepositoryTemplate.files {
            let url = directory.appendingPathComponent(file.path)
            #expect(try String(contentsOf: url, encoding: .utf8) == file.contents, "\(file.path)")
            let mode = try #require(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
            #expect(mode & 0o777 == (InfraRepositoryTemplate.executablePaths.contains(file.path) ? 0o755 : 0o644), "\(file.path)")
        }
    }

    @Test func newDirectoryBecomesARepositoryWithOneCommitOfTheTemplate() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("init-repo").appendingPathComponent("infra")
        let result = try Self.initRepo([directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("created scripts/changed-stacks"))
        try Self.expectTemplate(in: directory)
        #expect(try Self.git(["rev-list", "--count", "main"], in: directory) == "1")
        #expect(try Self.git(["status", "--porcelain"], in: directory).isEmpty)
        let modes = try Self.git(["ls-tree", "-r", "main", "scripts"], in: directory)
        #expect(modes.split(separator: "\n").allSatisfy { $0.hasPrefix("100755 ") }, "\(modes)")

        // The same tree as the repository `serve` creates (same function, same template).
        let data = try TestEnvironment.makeTemporaryDirectory("init-repo-serve")
        let server = try ServerProcess(ServerProcess.provisionerExecutable, ["serve", "--port", "0", "--data-dir", data.path])
        defer { _ = server.stop() }
        #expect(await server.waitForLine(containing: "listening on http://") != nil, "\(server.output)")
        let served = data.appendingPathComponent("infra")
        #expect(try Self.git(["rev-parse", "main^{tree}"], in: served) == Self.git(["rev-parse", "main^{tree}"], in: directory))
    }

    @Test func existingDirectoryGetsTheFilesWithoutACommitAndKeepsOtherFiles() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("init-repo-existing")
        try "mine\n".write(to: directory.appendingPathComponent("NOTES.md"), atomically: true, encoding: .utf8)
        let result = try Self.initRepo([directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("nothing was committed"))
        try Self.expectTemplate(in: directory)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".git").path))
        #expect(try String(contentsOf: directory.appendingPathComponent("NOTES.md"), encoding: .utf8) == "mine\n")

        // Again: every file unchanged.
        let again = try Self.initRepo([directory.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stdout.contains("created ") && again.stdout.contains("unchanged README.md"))
    }

    @Test func differingFilesAreRefusedByNameUnlessForced() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("init-repo-differs")
        let readme = directory.appendingPathComponent("README.md")
        let config = directory.appendingPathComponent(".circleci/config.yml")
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "my readme\n".write(to: readme, atomically: true, encoding: .utf8)
        try "version: 2.1\n".write(to: config, atomically: true, encoding: .utf8)

        let refused = try Self.initRepo([directory.path])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("these files exist with other contents: .circleci/config.yml, README.md"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"))
        // Nothing was written.
        #expect(try String(contentsOf: readme, encoding: .utf8) == "my readme\n")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("scripts").path))

        let forced = try Self.initRepo(["--force", directory.path])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("replaced README.md") && forced.stdout.contains("replaced .circleci/config.yml"))
        try Self.expectTemplate(in: directory)
    }

    @Test func noGitWritesOnlyTheFiles() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("init-repo-nogit").appendingPathComponent("new")
        let result = try Self.initRepo(["--no-git", directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectTemplate(in: directory)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".git").path))
    }
}
