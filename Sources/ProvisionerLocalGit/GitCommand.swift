import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// How every git process of this module is started: which repository (always explicit, never
/// discovered from the current directory), and an environment that ignores the user's and the
/// system's git configuration and any `GIT_*` variable inherited from the caller (a hook's
/// `GIT_DIR` or `GIT_INDEX_FILE` must not redirect us to another repository).
struct GitContext: Sendable {
    var gitDirectory: String
    /// The checkout, for a non-bare repository (only the commands that update it use it).
    var workTree: String?

    /// `git --git-dir=<dir> [--work-tree=<dir>] <arguments>`.
    func arguments(_ arguments: [String], config: [String] = [], workTree useWorkTree: Bool = false) -> [String] {
        var result = ["--git-dir=\(gitDirectory)"]
        if useWorkTree, let workTree { result.append("--work-tree=\(workTree)") }
        for item in config { result += ["-c", item] }
        return result + arguments
    }

    static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        // Stable (English) messages: errors are classified by their text.
        environment["LC_ALL"] = "C"
        environment["LANGUAGE"] = "C"
        return environment
    }()
}

/// What a finished one-shot git command printed.
struct GitOutput: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String

    var succeeded: Bool { status == 0 }
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// One-shot git commands (repository creation, merges, diffs): rare, so one process each.
/// The per-request path of publishing uses `GitObjectSession`'s long-lived processes instead.
enum GitCommand {
    /// `GitContext.environment` as Subprocess takes it.
    static let environment = Environment.custom(
        Dictionary(uniqueKeysWithValues: GitContext.environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))

    /// Output larger than this is an error (a diff of a stack is a few kilobytes).
    static let outputLimit = 64 * 1024 * 1024

    /// Runs `git --git-dir=... <arguments>` and returns whatever it printed; a non-zero exit is
    /// a result, not an error. Throws only when git cannot be started.
    static func run(
        _ context: GitContext, _ arguments: [String], config: [String] = [], workTree: Bool = false,
        input: [UInt8] = []
    ) async throws(LocalGitError) -> GitOutput {
        try await run(
            context.arguments(arguments, config: config, workTree: workTree), describing: describe(arguments),
            in: context.workTree ?? context.gitDirectory, input: input)
    }

    /// Runs `git <arguments>` exactly as given, in `directory` (`git init`, before there is a
    /// repository to name).
    static func run(
        _ fullArguments: [String], describing command: String, in directory: String, input: [UInt8] = []
    ) async throws(LocalGitError) -> GitOutput {
        do {
            let result = try await Subprocess.run(
                .name("git"), arguments: Arguments(fullArguments), environment: environment,
                workingDirectory: FilePath(directory),
                input: .array(input), output: .bytes(limit: outputLimit), error: .string(limit: 64 * 1024))
            let status: Int32
            switch result.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = 128 + signal
            }
            return GitOutput(status: status, stdout: result.standardOutput, stderr: result.standardError)
        } catch let error as SubprocessError where error.code == .executableNotFound {
            throw .gitNotFound
        } catch {
            throw LocalGitError.launchFailure(command: command, directory: directory, error: error)
        }
    }

    /// Runs git and returns its output, or throws a `LocalGitError` summarising its stderr.
    static func check(
        _ context: GitContext, _ arguments: [String], config: [String] = [], workTree: Bool = false,
        input: [UInt8] = []
    ) async throws(LocalGitError) -> GitOutput {
        let output = try await run(context, arguments, config: config, workTree: workTree, input: input)
        guard output.succeeded else {
            throw LocalGitError.classify(command: describe(arguments), stderr: output.stderr)
        }
        return output
    }

    /// `git read-tree` rather than the whole argument list.
    static func describe(_ arguments: [String]) -> String {
        "git " + (arguments.first ?? "")
    }
}
