import ArgumentParser
import Foundation
import ProvisionerCore
import ProvisionerLocalGit

/// `rds-provisioner init-repo DIR`: lays out a new infrastructure repository (the module, README,
/// CODEOWNERS, CircleCI pipeline and its scripts): the same files, bytes and modes as the local
/// publisher's repository.
struct InitRepo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-repo",
        abstract: "Write the infrastructure repository template (module, README, CODEOWNERS, CircleCI pipeline) into a directory.",
        discussion: """
            A missing or empty DIR becomes a git repository on branch main with one commit holding the \
            template, exactly as `serve` creates its local repository (unless --no-git). Into an existing \
            directory (e.g. a clone) the files are written and nothing is committed; a file that exists \
            with other contents is an error unless --force replaces it.
            """)

    @Argument(help: "The directory to write into (created if missing).") var directory: String
    @Flag(help: "Replace existing files whose contents differ from the template.") var force = false
    @Flag(help: "Only write the files: no git init and no commit, even for a new directory.") var noGit = false

    func run() async throws {
        let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        let manager = FileManager.default
        let entries = (try? manager.contentsOfDirectory(atPath: root.path)) ?? []
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: root.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CLIError("\(root.path) is a file, not a directory.")
        }
        if entries.isEmpty, !noGit {
            do {
                _ = try await InfraRepository.openOrCreate(
                    at: root, template: InfraRepositoryTemplate.files, executablePaths: InfraRepositoryTemplate.executablePaths)
            } catch {
                throw CLIError("Cannot create the repository \(root.path): \(error)")
            }
            for file in InfraRepositoryTemplate.files { print("created \(file.path)") }
            print("Created the git repository \(root.path) (branch main, one commit). Next: add a remote and push main.")
            return
        }
        try write(into: root)
    }

    /// Writes the files into `root`, after checking that none would replace different contents.
    func write(into root: URL) throws {
        let files = InfraRepositoryTemplate.files
        var existing = [String: Data]()
        for file in files {
            let url = root.appendingPathComponent(file.path)
            if let data = FileManager.default.contents(atPath: url.path) { existing[file.path] = data }
        }
        let differing = files.filter { file in existing[file.path].map { $0 != Data(file.contents.utf8) } ?? false }.map(\.path)
        if !differing.isEmpty, !force {
            throw CLIError(
                "Not writing into \(root.path): these files exist with other contents: \(differing.joined(separator: ", ")). "
                    + "Use --force to replace them.")
        }
        for file in files {
            let url = root.appendingPathComponent(file.path)
            let executable = InfraRepositoryTemplate.executablePaths.contains(file.path)
            let status = existing[file.path] == nil ? "created" : differing.contains(file.path) ? "replaced" : "unchanged"
            do {
                if status != "unchanged" {
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(file.contents.utf8).write(to: url, options: .atomic)
                }
                try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
            } catch {
                throw CLIError("Cannot write \(url.path): \(error.localizedDescription)")
            }
            print("\(status) \(file.path)")
        }
        print("Wrote the template into \(root.path); nothing was committed. Review the files, then commit them.")
    }
}
