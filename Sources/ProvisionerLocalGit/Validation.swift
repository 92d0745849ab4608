import Foundation
import ProvisionerService

/// Rules for the paths and names this module writes into git. The core validates names before
/// they get here; these checks keep the repository safe whatever the caller sends.
enum RepositoryPath {
    /// Splits a relative path into components: no empty, `.` or `..` component, no `.git`,
    /// no control character or backslash, at most 4096 bytes.
    static func components(_ path: String, what: String) throws(LocalGitError) -> [String] {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !path.isEmpty, path.utf8.count <= 4096, !path.hasPrefix("/") else {
            throw .invalidChange("\(what) \(quoted(path)) must be a non-empty relative path")
        }
        for component in components {
            let forbidden = component.isEmpty || component == "." || component == ".."
                || component.lowercased() == ".git"
                || component.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f || $0 == "\\" }
            if forbidden {
                throw .invalidChange("\(what) \(quoted(path)) has an invalid component \(quoted(component))")
            }
        }
        return components
    }

    /// No two files at one path, and no file where another file needs a directory.
    static func checkNoCollisions(_ paths: [[String]]) throws(LocalGitError) {
        var files = Set<[String]>()
        for path in paths where !files.insert(path).inserted {
            throw .invalidChange("\(quoted(path.joined(separator: "/"))) is given twice")
        }
        for path in paths {
            for length in 1..<path.count where files.contains(Array(path[0..<length])) {
                throw .invalidChange("\(quoted(path[0..<length].joined(separator: "/"))) is both a file and a directory")
            }
        }
    }

    /// A branch name git accepts (`git check-ref-format` rules, narrowed to the characters
    /// branch names of this service use: letters, digits, `.`, `_`, `-`, `/`).
    static func checkBranch(_ branch: String) throws(LocalGitError) {
        let allowed = branch.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2e || $0 == 0x5f
                || $0 == 0x2d || $0 == 0x2f
        }
        let components = branch.split(separator: "/", omittingEmptySubsequences: false)
        let wellFormed = !branch.isEmpty && branch.utf8.count <= 200 && !branch.contains("..")
            && components.allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") && !$0.hasSuffix(".lock") && !$0.hasSuffix(".") }
        guard allowed, wellFormed, branch != "main", !branch.hasPrefix("-") else {
            throw .invalidChange("branch \(quoted(branch)) is not a valid branch name for a pull request")
        }
    }

    static func quoted(_ text: String) -> String {
        let shown = text.count > 120 ? String(text.prefix(120)) + "…" : text
        return "'" + shown.unicodeScalars.map { $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined() + "'"
    }
}

/// A `ChangeRequest` checked and split into what publishing writes.
struct ValidatedChange: Sendable {
    var change: ChangeRequest
    var stackComponents: [String]
    /// Files as path components below the stack directory, with their bytes.
    var files: [(path: [String], contents: [UInt8])]

    init(_ change: ChangeRequest) throws(LocalGitError) {
        self.change = change
        try RepositoryPath.checkBranch(change.branch)
        stackComponents = try RepositoryPath.components(change.stackPath, what: "stack path")
        let requestId = change.requestId
        guard !requestId.isEmpty, requestId.utf8.count <= 200,
            requestId.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f })
        else {
            throw .invalidChange("request id \(RepositoryPath.quoted(requestId)) must be 1 to 200 visible characters")
        }
        guard !change.commitMessage.contains("\0"), !change.title.contains("\0") else {
            throw .invalidChange("the commit message and title must not contain NUL characters")
        }
        guard !change.files.isEmpty else {
            throw .invalidChange("the change for \(change.stackPath) has no files")
        }
        let prefix = change.stackPath + "/"
        var files = [(path: [String], contents: [UInt8])]()
        for file in change.files {
            guard file.path.hasPrefix(prefix) else {
                throw .invalidChange("file \(RepositoryPath.quoted(file.path)) is outside the stack directory \(change.stackPath)")
            }
            let relative = try RepositoryPath.components(String(file.path.dropFirst(prefix.count)), what: "file")
            files.append((relative, Array(file.contents.utf8)))
        }
        try RepositoryPath.checkNoCollisions(files.map(\.path))
        self.files = files
    }

    /// The commit message with a `Request-Id:` trailer, which lets a redelivery (or a publisher
    /// that lost a race) learn which request made an existing branch.
    var commitMessage: String {
        var message = change.commitMessage
        while message.hasSuffix("\n") { message.removeLast() }
        let trailer = Commit.requestIdTrailer + change.requestId
        if message.split(separator: "\n").contains(where: { $0 == trailer }) { return message + "\n" }
        if message.isEmpty { return trailer + "\n" }
        let lastLine = message.split(separator: "\n").last ?? ""
        let endsWithTrailers = lastLine.range(of: #"^[A-Za-z0-9-]+: "#, options: .regularExpression) != nil
            && message.contains("\n\n")
        return message + (endsWithTrailers ? "\n" : "\n\n") + trailer + "\n"
    }
}
