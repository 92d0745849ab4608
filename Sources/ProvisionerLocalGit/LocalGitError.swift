import Foundation

import ProvisionerService

/// Why an operation on the local infrastructure repository or its pull requests failed.
public enum LocalGitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `git` is not installed or not on `PATH`.
    case gitNotFound
    /// The path holds no usable repository: missing, not a git repository, or without `main`.
    case repositoryUnavailable(path: String, reason: String)
    /// A git command failed; `message` is git's own error, shortened. `transient` when trying
    /// again later may succeed (a lock held by another git process).
    case gitFailed(command: String, message: String, transient: Bool)
    /// The change cannot be written as given (a file outside the stack directory, a bad name).
    case invalidChange(String)
    /// Publishing: the stack directory already exists on `main`.
    case alreadyProvisioned(stackPath: String)
    case pullRequestNotFound(number: Int)
    /// Merging or closing a pull request that is already merged or closed.
    case pullRequestNotOpen(number: Int, state: PullRequestState)
    /// Merging: `main` got the stack directory some other way since the pull request was opened.
    case stackExistsOnMain(number: Int, stackPath: String)
    /// Merging: the checkout of `main` has local changes or untracked files the merge would
    /// overwrite. Nothing was changed.
    case workingTreeConflict(path: String, message: String)
    /// Merging: `main` moved while the merge was being prepared, several times in a row.
    case concurrentUpdate(String)
    /// The pull-request database failed. `transient` for a busy or locked database.
    case database(String, transient: Bool)

    public var description: String {
        switch self {
        case .gitNotFound:
            "git was not found on PATH: install git (2.32 or newer)"
        case .repositoryUnavailable(let path, let reason):
            "no usable infrastructure repository at \(path): \(reason)"
        case .gitFailed(let command, let message, _):
            "\(command) failed: \(message)"
        case .invalidChange(let message):
            "invalid change: \(message)"
        case .alreadyProvisioned(let stackPath):
            "\(stackPath) already exists on main"
        case .pullRequestNotFound(let number):
            "there is no pull request #\(number)"
        case .pullRequestNotOpen(let number, let state):
            "pull request #\(number) is \(state.rawValue), not open"
        case .stackExistsOnMain(let number, let stackPath):
            "cannot merge pull request #\(number): \(stackPath) already exists on main"
        case .workingTreeConflict(let path, let message):
            "cannot merge: the checkout at \(path) has local changes the merge would overwrite (\(message)); "
                + "move them away or commit them, then merge again"
        case .concurrentUpdate(let message):
            message
        case .database(let message, _):
            "pull-request database: \(message)"
        }
    }

    /// Whether trying the same operation again later may succeed.
    public var isTransient: Bool {
        switch self {
        case .gitFailed(_, _, let transient), .database(_, let transient): transient
        case .concurrentUpdate: true
        default: false
        }
    }

    /// The same failure as the publisher protocol reports it.
    var publishError: PublishError {
        switch self {
        case .alreadyProvisioned(let stackPath): .alreadyProvisioned(stackPath: stackPath)
        default: isTransient ? .transient(description, retryAfter: nil) : .permanent(description)
        }
    }

    /// Turns git's stderr into an error: lock contention and resource exhaustion are transient,
    /// a missing or damaged repository is permanent, anything else is treated as transient (the
    /// caller retries a bounded number of times).
    static func classify(command: String, stderr: String) -> LocalGitError {
        let message = summarise(stderr)
        let lower = stderr.lowercased()
        let permanentMarkers = [
            "not a git repository", "does not appear to be a git repository", "bad object", "corrupt",
            "unable to read", "invalid object", "bad tree object", "unknown object type", "object file",
            "missing object", "not a valid object name", "bad revision",
        ]
        if lower.contains(".lock': file exists") || lower.contains("cannot lock ref") || lower.contains("index.lock") {
            return .gitFailed(command: command, message: message, transient: true)
        }
        if permanentMarkers.contains(where: lower.contains) {
            return .gitFailed(command: command, message: message, transient: false)
        }
        return .gitFailed(command: command, message: message, transient: true)
    }

    /// git could not be started in `directory`: permanent if the repository is gone.
    static func launchFailure(command: String, directory: String, error: any Error) -> LocalGitError {
        if !FileManager.default.fileExists(atPath: directory) {
            return .repositoryUnavailable(path: directory, reason: "it does not exist")
        }
        return .gitFailed(command: command, message: "could not run git: \(error)", transient: true)
    }

    /// The first `fatal:`/`error:` line (or the first line), at most 300 characters.
    static func summarise(_ stderr: String) -> String {
        let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let line = lines.first { $0.hasPrefix("fatal:") || $0.hasPrefix("error:") } ?? lines.first ?? "no error message"
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}
