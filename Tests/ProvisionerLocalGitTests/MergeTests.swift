import Foundation
import ProvisionerCore
import ProvisionerLocalGit
import ProvisionerService
import TestSupport
import Testing

@Suite struct MergeTests {
    @Test func fastForwardsMainAndUpdatesTheCheckout() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let change = Fixture.change("orders")
        _ = try await fixture.publisher.publish(change)
        let head = try fixture.rev("rds/dev/orders")
        // A local edit the merge does not touch is kept, as `git checkout` keeps it.
        let readme = fixture.repository.path.appendingPathComponent("README.md")
        try "# Infrastructure (edited)\n".write(to: readme, atomically: true, encoding: .utf8)

        let result = try await fixture.publisher.merge(1)

        #expect(result.method == .fastForward)
        #expect(result.checkoutUpdated)
        #expect(result.note == nil)
        #expect(result.pullRequest.state == .merged)
        #expect(result.pullRequest.requestId == change.requestId)
        #expect(result.pullRequest.mergeCommit == head)
        #expect(result.pullRequest.mergedAt != nil)
        #expect(try fixture.rev("main") == head)
        // The branch is gone; its commit stays reachable as refs/pull/1/head.
        #expect(try fixture.branches() == ["main"])
        #expect(try fixture.rev("refs/pull/1/head") == head)
        // The checkout now holds the stack, and only the local edit differs from main.
        let files = try fixture.checkoutFiles()
        for file in change.files { #expect(files[file.path] == file.contents) }
        #expect(try fixture.git("status", "--porcelain") == " M README.md\n")
        #expect(try String(contentsOf: readme, encoding: .utf8) == "# Infrastructure (edited)\n")

        await #expect(throws: LocalGitError.pullRequestNotOpen(number: 1, state: .merged)) {
            _ = try await fixture.publisher.merge(1)
        }
        // The stack is on main now: a new request for it is refused.
        await #expect(throws: PublishError.alreadyProvisioned(stackPath: "stacks/dev/orders")) {
            _ = try await fixture.publisher.publish(Fixture.change("orders"))
        }
    }

    @Test func makesAMergeCommitWhenMainHasMoved() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let orders = Fixture.change("orders")
        let billing = Fixture.change("billing", environment: "prod")
        _ = try await fixture.publisher.publish(orders)
        _ = try await fixture.publisher.publish(billing)
        let billingHead = try fixture.rev("rds/prod/billing")
        _ = try await fixture.publisher.merge(1)
        let mainAfterFirst = try fixture.rev("main")

        let result = try await fixture.publisher.merge(2)

        #expect(result.method == .mergeCommit)
        #expect(result.checkoutUpdated)
        let main = try fixture.rev("main")
        #expect(result.pullRequest.mergeCommit == main)
        #expect(try fixture.git("rev-list", "--parents", "-n", "1", "main") == "\(main) \(mainAfterFirst) \(billingHead)\n")
        #expect(try fixture.git("log", "-1", "--format=%an <%ae>|%s", "main") == "\(LocalGitPublisher.identity)|Merge pull request #2 from rds/prod/billing\n")
        // main's tree: the template plus both stacks, nothing else.
        let expected = (Fixture.template.map(\.path) + orders.files.map(\.path) + billing.files.map(\.path)).sorted()
        #expect(try fixture.git("ls-tree", "-r", "--name-only", "main").split(separator: "\n").map(String.init) == expected)
        #expect(try fixture.checkoutFiles().keys.sorted() == expected)
        #expect(try fixture.git("status", "--porcelain") == "")
        try fixture.git("fsck", "--strict", "--no-dangling")
    }

    @Test func refusesWhenTheStackReachedMainAnotherWay() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        _ = try await fixture.publisher.publish(Fixture.change("orders"))
        _ = try await fixture.publisher.publish(Fixture.change("orders", branch: "rds/dev/orders-again"))
        _ = try await fixture.publisher.merge(1)
        let main = try fixture.rev("main")
        await #expect(throws: LocalGitError.stackExistsOnMain(number: 2, stackPath: "stacks/dev/orders")) {
            _ = try await fixture.publisher.merge(2)
        }
        #expect(try fixture.rev("main") == main)
        #expect(try await fixture.publisher.pullRequest(2).state == .open)
    }

    @Test func refusesToOverwriteLocalFilesInTheCheckout() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        _ = try await fixture.publisher.publish(Fixture.change("orders"))
        let main = try fixture.rev("main")
        let stack = fixture.repository.path.appendingPathComponent("stacks/dev/orders")
        try FileManager.default.createDirectory(at: stack, withIntermediateDirectories: true)
        try "local work\n".write(to: stack.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)

        do {
            _ = try await fixture.publisher.merge(1)
            Issue.record("merged over an untracked file")
        } catch {
            guard case .workingTreeConflict = error else {
                Issue.record("expected workingTreeConflict, got \(error)")
                return
            }
        }
        #expect(try fixture.rev("main") == main)
        #expect(try await fixture.publisher.pullRequest(1).state == .open)
        #expect(try String(contentsOf: stack.appendingPathComponent("main.tf"), encoding: .utf8) == "local work\n")

        try FileManager.default.removeItem(at: stack)
        #expect(try await fixture.publisher.merge(1).method == .fastForward)
        #expect(try fixture.git("status", "--porcelain") == "")
    }

    @Test func leavesTheCheckoutAloneWhenAnotherBranchIsCheckedOut() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        _ = try await fixture.publisher.publish(Fixture.change("orders"))
        try fixture.git("checkout", "--quiet", "-b", "work")
        let result = try await fixture.publisher.merge(1)
        #expect(result.checkoutUpdated == false)
        #expect(try fixture.rev("main") == result.pullRequest.headCommit)
        #expect(try fixture.git("status", "--porcelain") == "")
        #expect(try fixture.checkoutFiles()["stacks/dev/orders/main.tf"] == nil)
    }

    @Test func closingDeletesTheBranchAndAllowsANewPullRequest() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        _ = try await fixture.publisher.publish(Fixture.change("orders"))
        let head = try fixture.rev("rds/dev/orders")
        let closed = try await fixture.publisher.close(1)
        #expect(closed.state == .closed)
        #expect(closed.closedAt != nil)
        #expect(try fixture.branches() == ["main"])
        #expect(try fixture.rev("refs/pull/1/head") == head)
        await #expect(throws: LocalGitError.pullRequestNotOpen(number: 1, state: .closed)) {
            _ = try await fixture.publisher.merge(1)
        }

        let retry = Fixture.change("orders")
        let ref = try await fixture.publisher.publish(retry)
        #expect(ref.number == 2)
        #expect(ref.requestId == retry.requestId)
        #expect(try await fixture.publisher.pullRequests(state: .open).map(\.number) == [2])
        #expect(try await fixture.publisher.pullRequests(state: .closed).map(\.number) == [1])
        #expect(try await fixture.publisher.pullRequests().map(\.number) == [1, 2])
    }

    @Test func showsTheFilesAndDiffOfAPullRequest() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.remove() }
        let change = Fixture.change("orders")
        _ = try await fixture.publisher.publish(change)
        let details = try await fixture.publisher.details(1)
        #expect(details.pullRequest.number == 1)
        #expect(details.files.map(\.path) == change.files.map(\.path).sorted())
        #expect(details.files.allSatisfy { $0.status == "A" })
        #expect(details.diff.contains("+++ b/stacks/dev/orders/main.tf\n"))
        #expect(details.diff.contains("+# orders\n"))
        // Still readable once merged (the branch is gone by then).
        _ = try await fixture.publisher.merge(1)
        #expect(try await fixture.publisher.details(1).files == details.files)
        await #expect(throws: LocalGitError.pullRequestNotFound(number: 9)) {
            _ = try await fixture.publisher.details(9)
        }
    }
}
