import Foundation
import ProvisionerCore
import ProvisionerLocalGit
import ProvisionerService
import TestSupport

/// A fresh infrastructure repository in a temporary directory, with a publisher on it.
struct Fixture {
    static let template = [
        StackFile(path: "README.md", contents: "# Infrastructure\n"),
        StackFile(path: ".github/workflows/ci.yml", contents: "name: ci\non: [pull_request]\n"),
        StackFile(path: "modules/aurora/main.tf", contents: "variable \"name\" {}\n"),
        StackFile(path: "stacks/dev/existing/main.tf", contents: "module \"db\" {}\n"),
    ]

    let directory: URL
    let repository: InfraRepository
    let publisher: LocalGitPublisher

    static func make(template: [StackFile] = Fixture.template) async throws -> Fixture {
        let directory = try TestEnvironment.makeTemporaryDirectory("localgit")
        let repository = try await InfraRepository.openOrCreate(at: directory.appendingPathComponent("infra"), template: template)
        return Fixture(directory: directory, repository: repository, publisher: try LocalGitPublisher(repository: repository))
    }

    /// Another publisher on the same repository and database, with its own git processes and
    /// database connections: what a second process would have.
    func secondPublisher() throws -> LocalGitPublisher {
        try LocalGitPublisher(repository: repository)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs git in the repository and returns its stdout; throws if git fails.
    @discardableResult
    func git(_ arguments: String...) throws -> String {
        try Git.run(arguments, in: repository.path)
    }

    func gitSucceeds(_ arguments: String...) throws -> Bool {
        try Git.result(arguments, in: repository.path).status == 0
    }

    func rev(_ name: String) throws -> String {
        try git("rev-parse", "--verify", name).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func branches() throws -> [String] {
        try git("for-each-ref", "--format=%(refname:short)", "refs/heads/").split(separator: "\n").map(String.init)
    }

    /// Every file of the checkout (outside `.git`), relative to its root, with its contents.
    func checkoutFiles() throws -> [String: String] {
        var files = [String: String]()
        let root = repository.path.standardizedFileURL.path
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            if relative == ".git" {
                enumerator?.skipDescendants()
                continue
            }
            var isDirectory: ObjCBool = false
            let full = root + "/" + relative
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = try String(contentsOfFile: full, encoding: .utf8)
            }
        }
        return files
    }

    static func change(
        _ name: String, environment: String = "dev", requestId: String = UUID().uuidString.lowercased(),
        branch: String? = nil, stackPath: String? = nil
    ) -> ChangeRequest {
        let stackPath = stackPath ?? "stacks/\(environment)/\(name)"
        return ChangeRequest(
            requestId: requestId, branch: branch ?? "rds/\(environment)/\(name)", stackPath: stackPath,
            files: [
                StackFile(path: "\(stackPath)/main.tf", contents: "module \"\(name)\" {\n  source = \"../../../modules/aurora\"\n}\n"),
                StackFile(path: "\(stackPath)/README.md", contents: "# \(name)\n"),
            ],
            title: "Add Aurora PostgreSQL cluster \(name)-\(environment)", body: "Requested by the \(name) team.",
            labels: ["rds-provisioner", "env:\(environment)"], commitMessage: "Add \(stackPath)")
    }
}

/// git for assertions, with the user's configuration ignored.
enum Git {
    static let environment = ["GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"]

    static func result(_ arguments: [String], in directory: URL, input: String? = nil) throws -> ProcessResult {
        try ProcessRunner.run("git", arguments, in: directory, environment: environment, input: input)
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL, input: String? = nil) throws -> String {
        let result = try result(arguments, in: directory, input: input)
        guard result.status == 0 else {
            throw TestSupportError("git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result.stdout
    }
}
