import Foundation
import ProvisionerCore

/// The infrastructure repository: a local git repository standing in for the GitHub one.
///
/// Created as an ordinary (non-bare) repository with `main` checked out, so that a person can
/// `cd` into it and use plain git (`git log --all`, `git show rds/dev/orders`). Publishing never
/// touches its checkout or index: branches are written with plumbing only. Merging a pull
/// request updates `main`, and the checkout too when `main` is checked out (local edits that do
/// not collide with the merge are kept, as `git checkout` keeps them). A bare repository at the
/// path is also accepted; it has no checkout to update.
///
/// Layout inside the git directory: `rds-provisioner/pulls.sqlite` (pull-request records).
public struct InfraRepository: Sendable, Hashable {
    /// The directory a person looks at: the checkout, or the repository itself if bare.
    public let path: URL
    /// `<path>/.git`, or `path` for a bare repository.
    public let gitDirectory: URL
    public let isBare: Bool

    /// `file:///…/infra`: what pull-request URLs start with (and what `git clone` accepts).
    public var url: String {
        "file://" + (path.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path.path)
    }

    /// Where the pull-request records are kept unless the caller chooses another file.
    public var defaultPullsDatabase: URL {
        gitDirectory.appendingPathComponent("rds-provisioner/pulls.sqlite")
    }

    var context: GitContext {
        GitContext(gitDirectory: gitDirectory.path, workTree: isBare ? nil : path.path)
    }

    /// Opens the repository at `path`, creating it first if nothing is there (or an empty
    /// directory): `git init` with branch `main` and one commit holding `template` (the paths in
    /// `executablePaths` with mode 100755, e.g. `InfraRepositoryTemplate.executablePaths`).
    ///
    /// Creation happens in a sibling directory that is renamed into place, so a half-made
    /// repository is never seen, and two processes creating it at once end up sharing one.
    public static func openOrCreate(
        at path: URL, template: [StackFile], executablePaths: Set<String> = []
    ) async throws(LocalGitError) -> InfraRepository {
        let path = path.standardizedFileURL
        if layout(of: path) != nil { return try await open(at: path) }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: path.path), !entries.isEmpty {
            throw .repositoryUnavailable(path: path.path, reason: "the directory is not empty and is not a git repository")
        }
        let files = try validatedTemplate(template)
        let parent = path.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(path.lastPathComponent).creating-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw .repositoryUnavailable(path: path.path, reason: "cannot create \(parent.path): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        let initialised = try await GitCommand.run(
            ["init", "--quiet", "--initial-branch=main", staging.path], describing: "git init", in: parent.path)
        guard initialised.succeeded else { throw LocalGitError.classify(command: "git init", stderr: initialised.stderr) }

        let repository = InfraRepository(path: staging, gitDirectory: staging.appendingPathComponent(".git"), isBare: false)
        let session = try GitObjectSession(context: repository.context)
        let timestamp = Int64(Date().timeIntervalSince1970)
        try await session.exclusively { session throws(LocalGitError) in
            let executables = Set(files.map(\.path).filter { executablePaths.contains($0.joined(separator: "/")) })
            let tree = try await session.writeDirectory(files, executables: executables)
            let commit = try await session.writeCommit(
                Commit.format(
                    tree: tree, parents: [], identity: LocalGitPublisher.identity, timestamp: timestamp,
                    message: "Initial commit: infrastructure repository\n"))
            guard try await session.createRef("refs/heads/main", at: commit) else {
                throw LocalGitError.repositoryUnavailable(path: staging.path, reason: "main appeared while creating it")
            }
        }
        await session.shutdown()
        // Fill the checkout and index from main (nothing to lose: the directory is new).
        _ = try await GitCommand.check(repository.context, ["read-tree", "-m", "-u", "HEAD"], workTree: true)

        // rename(2) replaces an empty directory and fails on a non-empty one: whoever renames
        // first wins, and the others open the winner's repository.
        if rename(staging.path, path.path) != 0, layout(of: path) == nil {
            throw .repositoryUnavailable(path: path.path, reason: "cannot move the new repository into place: \(String(cString: strerror(errno)))")
        }
        return try await open(at: path)
    }

    /// Opens an existing repository; it must have a `main` branch.
    public static func open(at path: URL) async throws(LocalGitError) -> InfraRepository {
        let path = path.standardizedFileURL
        guard let isBare = layout(of: path) else {
            let exists = FileManager.default.fileExists(atPath: path.path)
            throw .repositoryUnavailable(path: path.path, reason: exists ? "not a git repository" : "it does not exist")
        }
        let repository = InfraRepository(
            path: path, gitDirectory: isBare ? path : path.appendingPathComponent(".git"), isBare: isBare)
        let main = try await GitCommand.run(repository.context, ["rev-parse", "--verify", "--quiet", "refs/heads/main^{commit}"])
        guard main.succeeded else {
            throw .repositoryUnavailable(path: path.path, reason: "it has no main branch")
        }
        return repository
    }

    /// nil: no repository; false: a checkout with `.git`; true: a bare repository.
    static func layout(of path: URL) -> Bool? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path.appendingPathComponent(".git/HEAD").path) { return false }
        if manager.fileExists(atPath: path.appendingPathComponent("HEAD").path),
            manager.fileExists(atPath: path.appendingPathComponent("objects").path, isDirectory: &isDirectory), isDirectory.boolValue
        {
            return true
        }
        return nil
    }

    /// Template files as path components below the root; paths follow `RepositoryPath`'s rules.
    static func validatedTemplate(_ template: [StackFile]) throws(LocalGitError) -> [(path: [String], contents: [UInt8])] {
        let files = try template.map { file throws(LocalGitError) in
            (path: try RepositoryPath.components(file.path, what: "template file"), contents: Array(file.contents.utf8))
        }
        try RepositoryPath.checkNoCollisions(files.map(\.path))
        return files
    }
}
