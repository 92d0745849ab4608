import Foundation
import ProvisionerCore
import Testing
import TestSupport

/// The infrastructure repository's pipeline (infra-repo-template/, embedded in the core and
/// drift-tested in RenderTests): scripts/changed-stacks against real git histories, the CircleCI
/// configs against CircleCI's schema, scripts/post-plan-comment against a recording HTTP server
/// on 127.0.0.1, scripts/terraform-stacks with stand-in terraform and checkov.
struct InfraPipelineTests {
    static let template = TestEnvironment.repositoryRoot.appendingPathComponent("infra-repo-template")
    static let changedStacks = template.appendingPathComponent("scripts/changed-stacks").path

    /// A real git repository in a temporary directory, changed with the git CLI.
    struct Repository {
        let path: URL
        static let identity = [
            "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
        ]

        /// A repository whose first commit on main holds the module and the given stacks.
        init(stacks: [String]) throws {
            path = try TestEnvironment.makeTemporaryDirectory("changed-stacks")
            try git("init", "--quiet", "--initial-branch=main")
            try write("README.md", "# infra\n")
            try write("terraform/modules/aurora-cluster/main.tf", "# module\n")
            for stack in stacks { try addStack(stack) }
            try commit("initial")
        }

        @discardableResult
        func git(_ arguments: String...) throws -> String {
            let result = try ProcessRunner.run("git", arguments, in: path, environment: Self.identity)
            guard result.status == 0 else { throw TestSupportError("git \(arguments.joined(separator: " ")): \(result.stderr)") }
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func write(_ file: String, _ contents: String) throws {
            let url = path.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }

        func addStack(_ stack: String) throws {
            for file in ["versions.tf", "main.tf", "outputs.tf"] { try write("\(stack)/\(file)", "# \(stack)/\(file)\n") }
            try write("\(stack)/stack.json", "{\"stack\": \"\(stack)\"}\n")
        }

        func commit(_ message: String) throws {
            try git("add", "--all")
            try git("commit", "--quiet", "--allow-empty", "-m", message)
        }

        /// The script's output for BASE..HEAD; fails the test on a non-zero exit.
        func changedStacks(_ base: String = "HEAD^", _ head: String = "HEAD") throws -> String {
            let result = try ProcessRunner.run(InfraPipelineTests.changedStacks, [base, head], in: path)
            #expect(result.status == 0, "changed-stacks \(base) \(head): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(result.stderr)")
            return result.stdout
        }
    }

    // MARK: scripts/changed-stacks

    @Test func addedStackIsPlanned() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders"])
        try repository.addStack("stacks/prod/billing")
        try repository.commit("add billing")
        #expect(try repository.changedStacks() == "plan stacks/prod/billing\n")
    }

    @Test func changedStackIsPlannedAndNoOtherStack() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders", "stacks/dev/billing", "stacks/prod/orders"])
        try repository.write("stacks/dev/orders/main.tf", "# changed\n")
        try repository.commit("change orders")
        #expect(try repository.changedStacks() == "plan stacks/dev/orders\n")
    }

    @Test func stackJSONOnlyChangeSelectsItsStack() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders", "stacks/prod/orders"])
        try repository.write("stacks/prod/orders/stack.json", "{\"changed\": true}\n")
        try repository.commit("stack.json only")
        #expect(try repository.changedStacks() == "plan stacks/prod/orders\n")
    }

    @Test func removedStackIsDestroyed() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders", "stacks/dev/legacy"])
        try repository.git("rm", "-r", "--quiet", "stacks/dev/legacy")
        try repository.commit("remove legacy")
        #expect(try repository.changedStacks() == "destroy stacks/dev/legacy\n")
    }

    @Test func movedStackIsDestroyedAtTheOldPathAndPlannedAtTheNew() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders"])
        try repository.git("mv", "stacks/dev/orders", "stacks/dev/orders2")
        try repository.commit("move")
        #expect(try repository.changedStacks() == "plan stacks/dev/orders2\ndestroy stacks/dev/orders\n")
    }

    @Test func moduleChangePlansEveryStackButNotRemovedOnes() throws {
        let repository = try Repository(stacks: ["stacks/prod/orders", "stacks/dev/orders", "stacks/dev/billing", "stacks/dev/legacy"])
        try repository.write("terraform/modules/aurora-cluster/main.tf", "# module, changed\n")
        try repository.git("rm", "-r", "--quiet", "stacks/dev/legacy")
        try repository.commit("module change and a removal")
        #expect(try repository.changedStacks() == """
            module terraform/modules/aurora-cluster
            plan stacks/dev/billing
            plan stacks/dev/orders
            plan stacks/prod/orders
            destroy stacks/dev/legacy

            """)
    }

    @Test func changesOutsideStacksAndModulesSelectNothing() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders"])
        try repository.write("README.md", "# infra, edited\n")
        try repository.write(".circleci/config.yml", "version: 2.1\n")
        try repository.write("stacks/README.md", "stacks, explained\n")
        try repository.write("stacks/dev/notes.md", "not a stack\n")
        try repository.write("terraform/README.md", "not a module\n")
        try repository.commit("docs")
        #expect(try repository.changedStacks() == "")
        #expect(try repository.changedStacks("HEAD", "HEAD") == "", "no change at all")
    }

    @Test func pullRequestAgainstItsMergeBaseIgnoresWhatMainDidMeanwhile() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders"])
        try repository.git("checkout", "--quiet", "-b", "rds/dev/billing")
        try repository.addStack("stacks/dev/billing")
        try repository.commit("add billing")
        try repository.git("checkout", "--quiet", "main")
        try repository.write("stacks/dev/orders/main.tf", "# changed on main\n")
        try repository.commit("change orders on main")
        let base = try repository.git("merge-base", "main", "rds/dev/billing")
        #expect(try repository.changedStacks(base, "rds/dev/billing") == "plan stacks/dev/billing\n")
        // On main after the merge: the merge commit against its first parent.
        try repository.git("merge", "--quiet", "--no-ff", "-m", "merge billing", "rds/dev/billing")
        #expect(try repository.changedStacks("HEAD^1", "HEAD") == "plan stacks/dev/billing\n")
    }

    @Test func firstCommitAgainstTheEmptyTreePlansEverything() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders"])
        let empty = try repository.git("hash-object", "-t", "tree", "/dev/null")
        #expect(try repository.changedStacks(empty, "HEAD") == "module terraform/modules/aurora-cluster\nplan stacks/dev/orders\n")
    }

    @Test func unknownRevisionIsAnErrorNotAnEmptyList() throws {
        let repository = try Repository(stacks: ["stacks/dev/orders"])
        let result = try ProcessRunner.run(Self.changedStacks, ["no-such-revision", "HEAD"], in: repository.path)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("'no-such-revision' is not a commit or tree"), "\(result.stderr)")
        let usage = try ProcessRunner.run(Self.changedStacks, ["HEAD"], in: repository.path)
        #expect(usage.status == 2 && usage.stderr.contains("usage"), "\(usage.stderr)")
    }

    // MARK: CircleCI configuration

    static func validate(_ configs: [URL]) throws -> ProcessResult {
        let python = try TestEnvironment.pythonTool("python")
        let schema = TestEnvironment.sharedTestData.appendingPathComponent("circleci/circleciconfig.schema.json")
        let tool = TestEnvironment.repositoryRoot.appendingPathComponent("tools/validate_circleci.py")
        return try ProcessRunner.run(python.path, [tool.path, schema.path] + configs.map(\.path))
    }

    @Test func setupAndContinuedConfigsMatchCircleCIsSchema() throws {
        let configs = ["config.yml", "continue.yml"].map { Self.template.appendingPathComponent(".circleci/\($0)") }
        let result = try Self.validate(configs)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n").filter { $0.hasSuffix(": valid") }.count == 2, "\(result.stdout)")

        // The check can fail: a broken copy is rejected, naming the problem.
        let broken = try TestEnvironment.makeTemporaryDirectory("circleci-broken").appendingPathComponent("continue.yml")
        let text = try String(contentsOf: configs[1], encoding: .utf8)
        try text.replacingOccurrences(of: "version: 2.1", with: "version: 2").write(to: broken, atomically: true, encoding: .utf8)
        let rejected = try Self.validate([broken])
        #expect(rejected.status == 1)
        #expect(rejected.stdout.contains("version: 2 is not one of"), "\(rejected.stdout)")
    }

    @Test func pipelineWiringIsConsistent() throws {
        let setup = try String(contentsOf: Self.template.appendingPathComponent(".circleci/config.yml"), encoding: .utf8)
        let continued = try String(contentsOf: Self.template.appendingPathComponent(".circleci/continue.yml"), encoding: .utf8)
        #expect(setup.contains("setup: true") && setup.contains("configuration_path: .circleci/continue.yml"))
        // Every parameter the setup job passes is declared by the continued config, and back.
        let passed = Set(setup.matches(of: /"([a-z-]+)": \$/).map { String($0.1) })
        let declared = Set(continued.matches(of: /\n  ([a-z-]+):\n    type:/).map { String($0.1) })
        let used = Set(continued.matches(of: /pipeline\.parameters\.([a-z-]+)/).map { String($0.1) })
        #expect(passed == ["mode", "base-revision", "plan-stacks", "destroy-stacks", "module-changed"])
        #expect(passed == declared, "passed \(passed.sorted()), declared \(declared.sorted())")
        #expect(used == declared, "used \(used.sorted()), declared \(declared.sorted())")
        // Every script the pipeline runs is in the template and executable.
        let scripts = Set((setup + continued).matches(of: /scripts\/([a-z-]+)/).map { "scripts/" + String($0.1) })
        #expect(scripts == ["scripts/changed-stacks", "scripts/terraform-stacks", "scripts/post-plan-comment"])
        #expect(scripts.isSubset(of: InfraRepositoryTemplate.executablePaths))
        // Destroys and module-wide applies wait for a person; plain applies do not.
        #expect(continued.contains("approve-destroy:\n          type: approval"))
        #expect(continued.contains("approve-module-change:\n          type: approval"))
        #expect(continued.contains("- approve-destroy\n"))
    }

    @Test func scriptsAreValidShell() throws {
        for script in ["changed-stacks", "terraform-stacks"] {
            let result = try ProcessRunner.run("bash", ["-n", Self.template.appendingPathComponent("scripts/\(script)").path])
            #expect(result.status == 0, "\(script): \(result.stderr)")
        }
    }
}
