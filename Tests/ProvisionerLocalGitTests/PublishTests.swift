import Foundation
import ProvisionerCore
import ProvisionerLocalGit
import ProvisionerService
import TestSupport
import Testing

@Suite struct RepositoryCreationTests {
    @Test func createsMainWithOneCommitHoldingTheTemplate() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        #expect(fixture.repository.isBare == false)
        #expect(try fixture.git("rev-list", "--count", "main") == "1\n")
        #expect(try fixture.git("symbolic-ref", "HEAD") == "refs/heads/main\n")
        let tracked = try fixture.git("ls-tree", "-r", "--name-only", "main").split(separator: "\n").map(String.init)
        #expect(tracked == Fixture.template.map(\.path).sorted())
        #expect(try fixture.git("show", "main:README.md") == "# Infrastructure\n")
        #expect(try fixture.git("log", "-1", "--format=%an <%ae>|%cn <%ce>", "main") == "\(LocalGitPublisher.identity)|\(LocalGitPublisher.identity)\n")
        // The checkout holds the template and is clean.
        #expect(try fixture.checkoutFiles() == Dictionary(uniqueKeysWithValues: Fixture.template.map { ($0.path, $0.contents) }))
        #expect(try fixture.git("status", "--porcelain") == "")
        try fixture.git("fsck", "--strict", "--no-dangling")
    }

    @Test func concurrentCreationsShareOneRepository() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("localgit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("infra")
        let repositories = try await withThrowingTaskGroup(of: InfraRepository.self) { group in
            for _ in 0..<4 {
                group.addTask { try await InfraRepository.openOrCreate(at: path, template: Fixture.template) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(repositories.map(\.path)).count == 1)
        #expect(try Git.run(["rev-list", "--count", "main"], in: path) == "1\n")
        // No staging directory is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["infra"])
        // Opening again keeps the repository as it is.
        let main = try Git.run(["rev-parse", "main"], in: path)
        _ = try await InfraRepository.openOrCreate(at: path, template: [StackFile(path: "other.md", contents: "x")])
        #expect(try Git.run(["rev-parse", "main"], in: path) == main)
    }

    @Test func refusesADirectoryThatIsNotARepository() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("localgit")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "x".write(to: directory.appendingPathComponent("file.txt"), atomically: true, encoding: .utf8)
        await #expect(throws: LocalGitError.self) {
            _ = try await InfraRepository.openOrCreate(at: directory, template: Fixture.template)
        }
        await #expect(throws: LocalGitError.self) {
            _ = try await InfraRepository.open(at: directory.appendingPathComponent("missing"))
        }
    }
}

@Suite struct PublishTests {
    @Test func opensOneBranchWithOneCommitAndLeavesMainAndTheCheckoutAlone() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let mainBefore = try fixture.rev("main")
        let checkoutBefore = try fixture.checkoutFiles()
        let indexBefore = try Data(contentsOf: fixture.repository.gitDirectory.appendingPathComponent("index"))
        let change = Fixture.change("orders")

        let ref = try await fixture.publisher.publish(change)

        #expect(ref.number == 1)
        #expect(ref.branch == "rds/dev/orders")
        #expect(ref.requestId == change.requestId)
        #expect(ref.url == fixture.repository.url + "#pull/1")
        #expect(ref.url.hasPrefix("file:///"))
        // Exactly one commit on top of main, holding exactly the change's files.
        #expect(try fixture.rev("main") == mainBefore)
        #expect(try fixture.rev("rds/dev/orders^") == mainBefore)
        #expect(try fixture.git("rev-list", "--count", "main..rds/dev/orders") == "1\n")
        #expect(try fixture.git("diff", "--name-status", "main", "rds/dev/orders") == "A\tstacks/dev/orders/README.md\nA\tstacks/dev/orders/main.tf\n")
        for file in change.files {
            #expect(try fixture.git("show", "rds/dev/orders:\(file.path)") == file.contents)
        }
        #expect(try fixture.git("log", "-1", "--format=%an <%ae>|%cn <%ce>", "rds/dev/orders") == "\(LocalGitPublisher.identity)|\(LocalGitPublisher.identity)\n")
        #expect(try fixture.git("log", "-1", "--format=%B", "rds/dev/orders") == "Add stacks/dev/orders\n\nRequest-Id: \(change.requestId)\n\n")
        // Nothing outside the branch changed: not the checkout, not the index.
        #expect(try fixture.checkoutFiles() == checkoutBefore)
        #expect(try Data(contentsOf: fixture.repository.gitDirectory.appendingPathComponent("index")) == indexBefore)
        #expect(try fixture.git("status", "--porcelain") == "")
        #expect(try fixture.branches().sorted() == ["main", "rds/dev/orders"])
        try fixture.git("fsck", "--strict", "--no-dangling")

        let record = try await fixture.publisher.pullRequest(1)
        #expect(record.state == .open)
        #expect(record.title == change.title)
        #expect(record.body == change.body)
        #expect(record.labels == change.labels)
        #expect(record.base == "main")
        #expect(record.baseCommit == mainBefore)
        #expect(record.headCommit == (try fixture.rev("rds/dev/orders")))
        #expect(record.stackPath == "stacks/dev/orders")
        #expect(record.requestId == change.requestId)
    }

    @Test func writesNestedFilesInGitsTreeOrder() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        // Names whose order differs between "directory" and "file" comparisons.
        let names = ["a.tf", "a/b.tf", "a-b.tf", "a0.tf", "b/c/d.tf", "b.tf", "Z.md"]
        var change = Fixture.change("orders")
        change.files = names.map { StackFile(path: "stacks/dev/orders/\($0)", contents: "# \($0)\n") }
        _ = try await fixture.publisher.publish(change)
        let listed = try fixture.git("ls-tree", "-r", "--name-only", "rds/dev/orders", "stacks/dev/orders")
        #expect(listed.split(separator: "\n").map(String.init).sorted() == names.map { "stacks/dev/orders/\($0)" }.sorted())
        // fsck --strict rejects trees that are not sorted the way git sorts them.
        try fixture.git("fsck", "--strict", "--no-dangling")
    }

    @Test func redeliveryReturnsTheSamePullRequest() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let change = Fixture.change("orders")
        let first = try await fixture.publisher.publish(change)
        let head = try fixture.rev("rds/dev/orders")
        let again = try await fixture.publisher.publish(change)
        #expect(again == first)
        // Another request for the same branch gets the pull request of the first one.
        let other = try await fixture.publisher.publish(Fixture.change("orders"))
        #expect(other.number == first.number)
        #expect(other.requestId == change.requestId)
        #expect(try fixture.rev("rds/dev/orders") == head)
        #expect(try await fixture.publisher.pullRequests().count == 1)
        #expect(try fixture.branches().count == 2)
    }

    @Test func racingPublishersOfOneBranchOpenOnePullRequest() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let publishers = [fixture.publisher, try fixture.secondPublisher()]
        let refs = try await withThrowingTaskGroup(of: PullRequestRef.self) { group in
            for index in 0..<8 {
                let change = Fixture.change("orders", requestId: "request-\(index)")
                group.addTask { try await publishers[index % 2].publish(change) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(refs.count == 8)
        #expect(Set(refs.map(\.number)) == [1])
        #expect(Set(refs.map(\.requestId)).count == 1)
        let pulls = try await fixture.publisher.pullRequests()
        #expect(pulls.count == 1)
        // The recorded request is the one whose commit the branch holds.
        let message = try fixture.git("log", "-1", "--format=%B", "rds/dev/orders")
        #expect(message.contains("Request-Id: \(pulls[0].requestId ?? "none")\n"))
        #expect(try fixture.git("rev-list", "--count", "main..rds/dev/orders") == "1\n")
        #expect(try fixture.branches().sorted() == ["main", "rds/dev/orders"])
    }

    @Test func concurrentPublishersNumberPullRequestsWithoutGaps() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let publishers = [fixture.publisher, try fixture.secondPublisher()]
        let mainBefore = try fixture.rev("main")
        let refs = try await withThrowingTaskGroup(of: PullRequestRef.self) { group in
            for index in 0..<50 {
                let change = Fixture.change("db\(index)", environment: index % 3 == 0 ? "prod" : "dev")
                group.addTask { try await publishers[index % 2].publish(change) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(refs.map(\.number).sorted() == Array(1...50))
        #expect(Set(refs.map(\.branch)).count == 50)
        let pulls = try await fixture.publisher.pullRequests(state: .open)
        #expect(pulls.map(\.number) == Array(1...50))
        #expect(try fixture.branches().count == 51)
        #expect(try fixture.rev("main") == mainBefore)
        for pull in pulls {
            #expect(try fixture.rev(pull.branch + "^") == mainBefore)
            #expect(try fixture.rev(pull.branch) == pull.headCommit)
        }
        try fixture.git("fsck", "--strict", "--no-dangling")
    }

    @Test func refusesAStackThatIsAlreadyOnMain() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        await #expect(throws: PublishError.alreadyProvisioned(stackPath: "stacks/dev/existing")) {
            _ = try await fixture.publisher.publish(Fixture.change("existing"))
        }
        #expect(try fixture.branches() == ["main"])
        #expect(try await fixture.publisher.pullRequests().isEmpty)
    }

    @Test func recordsAPullRequestForABranchThatHasNone() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        // A publisher with another database makes the branch: as if the process had stopped
        // between creating the branch and recording the pull request.
        let elsewhere = try LocalGitPublisher(
            repository: fixture.repository, pullsDatabase: fixture.directory.appendingPathComponent("other.sqlite"))
        let original = Fixture.change("orders")
        _ = try await elsewhere.publish(original)
        let head = try fixture.rev("rds/dev/orders")

        let ref = try await fixture.publisher.publish(Fixture.change("orders"))
        #expect(ref.number == 1)
        #expect(ref.requestId == original.requestId)
        #expect(try fixture.rev("rds/dev/orders") == head)
        let record = try await fixture.publisher.pullRequest(1)
        #expect(record.headCommit == head)
        #expect(record.baseCommit == (try fixture.rev("main")))

        // A branch a person made (no Request-Id trailer) is recorded with no request id.
        try fixture.git("branch", "rds/dev/manual", "main")
        let manual = try await fixture.publisher.publish(Fixture.change("manual"))
        #expect(manual.number == 2)
        #expect(manual.requestId == nil)
    }

    @Test func lockContentionIsTransientAndPassesOnceTheLockIsGone() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let refs = fixture.repository.gitDirectory.appendingPathComponent("refs/heads/rds/dev")
        try FileManager.default.createDirectory(at: refs, withIntermediateDirectories: true)
        let lock = refs.appendingPathComponent("orders.lock")
        try Data().write(to: lock)
        let change = Fixture.change("orders")
        do {
            _ = try await fixture.publisher.publish(change)
            Issue.record("publishing succeeded although the ref was locked")
        } catch {
            guard case .transient(let message, _) = error else {
                Issue.record("expected a transient error, got \(error)")
                return
            }
            #expect(message.contains("orders.lock"))
        }
        try FileManager.default.removeItem(at: lock)
        let ref = try await fixture.publisher.publish(change)
        #expect(ref.number == 1)
    }

    @Test func aMissingRepositoryIsPermanent() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let publisher = try LocalGitPublisher(
            repository: fixture.repository, pullsDatabase: fixture.directory.appendingPathComponent("pulls.sqlite"))
        try FileManager.default.removeItem(at: fixture.repository.path)
        do {
            _ = try await publisher.publish(Fixture.change("orders"))
            Issue.record("publishing succeeded without a repository")
        } catch {
            guard case .permanent = error else {
                Issue.record("expected a permanent error, got \(error)")
                return
            }
        }
    }

    @Test func refusesInvalidChanges() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        var outside = Fixture.change("orders")
        outside.files.append(StackFile(path: "modules/aurora/main.tf", contents: "overwritten"))
        var traversal = Fixture.change("orders")
        traversal.files = [StackFile(path: "stacks/dev/orders/../../../README.md", contents: "x")]
        var badBranch = Fixture.change("orders")
        badBranch.branch = "rds/dev/orders..x"
        var empty = Fixture.change("orders")
        empty.files = []
        for change in [outside, traversal, badBranch, empty] {
            do {
                _ = try await fixture.publisher.publish(change)
                Issue.record("published an invalid change: \(change.files.map(\.path)) on \(change.branch)")
            } catch {
                guard case .permanent = error else {
                    Issue.record("expected a permanent error, got \(error)")
                    continue
                }
            }
        }
        #expect(try fixture.branches() == ["main"])
    }
}
