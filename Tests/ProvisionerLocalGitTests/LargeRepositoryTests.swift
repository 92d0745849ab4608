import Foundation
import ProvisionerCore
import ProvisionerLocalGit
import ProvisionerService
import TestSupport
import Testing

/// A bare repository with `stacks` stacks already on main (half dev, half prod), made in one
/// `git fast-import` run.
enum LargeRepository {
    static func make(in directory: URL, stacks: Int) throws -> URL {
        let path = directory.appendingPathComponent("infra.git")
        try Git.run(["init", "--quiet", "--bare", "--initial-branch=main", path.path], in: directory)
        var stream = "commit refs/heads/main\ncommitter \(LocalGitPublisher.identity) 1700000000 +0000\n"
        func data(_ text: String) { stream += "data \(text.utf8.count)\n\(text)\n" }
        data("Initial commit with \(stacks) stacks")
        for file in Fixture.template {
            stream += "M 100644 inline \(file.path)\n"
            data(file.contents)
        }
        for index in 0..<stacks {
            let environment = index % 2 == 0 ? "dev" : "prod"
            stream += "M 100644 inline stacks/\(environment)/db\(index)/main.tf\n"
            data("module \"db\(index)\" {\n  source = \"../../../modules/aurora\"\n}\n")
        }
        stream += "done\n"
        try Git.run(["fast-import", "--quiet", "--done"], in: path, input: stream)
        return path
    }
}

@Suite struct LargeRepositoryTests {
    @Test func publishesAndMergesBeside10000Stacks() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("localgit-large")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try LargeRepository.make(in: directory, stacks: 10_000)
        let repository = try await InfraRepository.openOrCreate(at: path, template: [])
        #expect(repository.isBare)
        let publisher = try LocalGitPublisher(repository: repository)
        let main = try Git.run(["rev-parse", "main"], in: path).trimmingCharacters(in: .newlines)
        let devBefore = try Git.run(["ls-tree", "main:stacks/dev"], in: path)

        let changes = [Fixture.change("orders"), Fixture.change("billing", environment: "prod"), Fixture.change("zeta")]
        for change in changes { _ = try await publisher.publish(change) }
        await #expect(throws: PublishError.alreadyProvisioned(stackPath: "stacks/dev/db42")) {
            _ = try await publisher.publish(Fixture.change("db42"))
        }
        for change in changes {
            #expect(try Git.run(["rev-parse", change.branch + "^"], in: path).trimmingCharacters(in: .newlines) == main)
            #expect(try Git.run(["diff", "--name-only", "main", change.branch], in: path)
                == change.files.map { $0.path + "\n" }.sorted().joined())
        }

        let first = try await publisher.merge(1)
        #expect(first.method == .fastForward)
        #expect(first.checkoutUpdated == false)
        let second = try await publisher.merge(3)
        #expect(second.method == .mergeCommit)
        // stacks/dev holds every stack it held before (5,000 and the template's), plus the two merged.
        let devAfter = try Git.run(["ls-tree", "main:stacks/dev"], in: path).split(separator: "\n")
        #expect(devBefore.split(separator: "\n").count == 5_001)
        #expect(devAfter.count == 5_003)
        let before = Set(devBefore.split(separator: "\n"))
        #expect(devAfter.filter { !before.contains($0) }.map { $0.split(separator: "\t").last.map(String.init) ?? "" } == ["orders", "zeta"])
        #expect(try Git.run(["diff", "--name-only", main, "main"], in: path)
            == ["stacks/dev/orders/README.md", "stacks/dev/orders/main.tf", "stacks/dev/zeta/README.md", "stacks/dev/zeta/main.tf"]
            .map { $0 + "\n" }.joined())
        try Git.run(["fsck", "--strict", "--no-dangling"], in: path)
    }
}
