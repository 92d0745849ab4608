import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes git objects and refs through a few long-lived git processes, so that
/// publishing a change starts no process at all:
///
/// - `git cat-file --batch` reads commits and trees (and resolves `refs/heads/...`);
/// - blobs, trees and commits are written as loose objects directly (`LooseObjectWriter`);
/// - `git update-ref --stdin` creates branches, one atomic transaction each.
///
/// Only the trees along a changed path are read and written, and trees read are cached by id
/// (an id names its contents, so the cache is never stale). A helper that fails is replaced on
/// next use. Callers run whole operations with `exclusively`, one at a time.
actor GitObjectSession {
    struct RawObject: Sendable {
        var id: ObjectID
        var type: String
        var content: [UInt8]
    }

    let context: GitContext
    private let objectWriter: LooseObjectWriter
    private var helpers: [String: GitHelper] = [:]
    private var trees: [ObjectID: Tree] = [:]
    /// Bytes in a raw object id: 20 (SHA-1), or 32 in a repository of `objectFormat = sha256`.
    private let hashLength: Int
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// How many parsed trees to keep. Publishing reads the same few trees of `main` (the root,
    /// `stacks`, `stacks/<env>`) over and over; more would mostly hold outdated versions.
    private static let treeCacheLimit = 256

    init(context: GitContext) throws(LocalGitError) {
        self.context = context
        objectWriter = LooseObjectWriter(objectsDirectory: context.gitDirectory + "/objects")
        hashLength = Self.objectFormatIsSHA256(gitDirectory: context.gitDirectory) ? 32 : 20
    }

    deinit {
        for helper in helpers.values { helper.close() }
    }

    /// Runs `body` after every operation started before it has finished (first come, first
    /// served), so that one operation's reads and writes are never interleaved with another's.
    func exclusively<T: Sendable>(_ body: @Sendable (isolated GitObjectSession) async throws(LocalGitError) -> T) async throws(LocalGitError) -> T {
        while busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        defer {
            busy = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        return try await body(self)
    }

    /// Stops the helper processes (new ones start if the session is used again).
    func shutdown() {
        for helper in helpers.values { helper.close() }
        helpers.removeAll()
    }

    // MARK: - Reading

    /// The object `name` names (an id, `refs/heads/main`, `<id>:<path>`), or nil if none.
    func object(_ name: String) async throws(LocalGitError) -> RawObject? {
        precondition(!name.contains("\n"), "object names never contain a newline")
        let object = try await helper(["cat-file", "--batch"]).exchange(Array((name + "\n").utf8)) { reader throws(LocalGitError) in
            let header = try await reader.line()
            let fields = header.split(separator: 32)
            if fields.count == 2, fields[1].elementsEqual("missing".utf8) || fields[1].elementsEqual("ambiguous".utf8) {
                return RawObject?.none
            }
            guard fields.count == 3, let size = Int(String(decoding: fields[2], as: UTF8.self)) else {
                throw .gitFailed(
                    command: "git cat-file", message: "unexpected reply \(String(decoding: header.prefix(80), as: UTF8.self))",
                    transient: false)
            }
            let content = try await reader.bytes(size)
            _ = try await reader.bytes(1)  // the newline after the contents
            return RawObject(
                id: ObjectID(hex: String(decoding: fields[0], as: UTF8.self)), type: String(decoding: fields[1], as: UTF8.self),
                content: content)
        }
        return object
    }

    /// The commit `name` names, or nil if there is none.
    func commit(_ name: String) async throws(LocalGitError) -> (id: ObjectID, commit: Commit)? {
        guard let object = try await object(name) else { return nil }
        guard object.type == "commit" else {
            throw .gitFailed(command: "git cat-file", message: "\(name) is a \(object.type), not a commit", transient: false)
        }
        return (object.id, try Commit(parsing: object.content))
    }

    func tree(_ id: ObjectID) async throws(LocalGitError) -> Tree {
        if let cached = trees[id] { return cached }
        guard let object = try await object(id.hex), object.type == "tree" else {
            throw .gitFailed(command: "git cat-file", message: "tree \(id) is missing", transient: false)
        }
        let tree = try Tree(parsing: object.content, hashLength: hashLength)
        if trees.count >= Self.treeCacheLimit { trees.removeAll(keepingCapacity: true) }
        trees[id] = tree
        return tree
    }

    /// The entry at `path` (components) below the tree `root`, or nil if there is none.
    func entry(at path: [String], in root: ObjectID) async throws(LocalGitError) -> TreeEntry? {
        var current = root
        for (index, component) in path.enumerated() {
            guard let entry = try await tree(current).entry(named: Array(component.utf8)) else { return nil }
            if index == path.count - 1 { return entry }
            guard entry.isDirectory else { return nil }
            current = entry.id
        }
        return nil
    }

    // MARK: - Writing

    func writeBlobs(_ contents: [[UInt8]]) async throws(LocalGitError) -> [ObjectID] {
        try await write(contents, type: "blob")
    }

    func writeTree(_ tree: Tree) async throws(LocalGitError) -> ObjectID {
        try await write([tree.bytes], type: "tree")[0]
    }

    func writeCommit(_ bytes: [UInt8]) async throws(LocalGitError) -> ObjectID {
        try await write([bytes], type: "commit")[0]
    }

    /// Writes a directory of files (paths relative to it, already validated); returns its tree.
    /// Files whose paths are in `executables` get mode 100755, the others 100644.
    func writeDirectory(
        _ files: [(path: [String], contents: [UInt8])], executables: Set<[String]> = []
    ) async throws(LocalGitError) -> ObjectID {
        let blobs = try await writeBlobs(files.map(\.contents))
        return try await writeDirectory(zip(files, blobs).map {
            (path: $0.path[...], blob: $1, mode: executables.contains($0.path) ? TreeEntry.Mode.executable : .file)
        })
    }

    private func writeDirectory(
        _ files: [(path: ArraySlice<String>, blob: ObjectID, mode: TreeEntry.Mode)]
    ) async throws(LocalGitError) -> ObjectID {
        var entries = [TreeEntry]()
        var subdirectories = [String: [(path: ArraySlice<String>, blob: ObjectID, mode: TreeEntry.Mode)]]()
        for file in files {
            if file.path.count == 1 {
                entries.append(TreeEntry(mode: file.mode.rawValue, name: Array(file.path.first!.utf8), id: file.blob))
            } else {
                subdirectories[file.path.first!, default: []].append((file.path.dropFirst(), file.blob, file.mode))
            }
        }
        for (name, files) in subdirectories {
            let id = try await writeDirectory(files)
            entries.append(TreeEntry(mode: TreeEntry.Mode.directory.rawValue, name: Array(name.utf8), id: id))
        }
        return try await writeTree(Tree(entries: entries, hashLength: hashLength))
    }

    /// Writes the trees from `root` down to `path`, with the directory `path` set to `directory`,
    /// and returns the new root tree. Every other entry is kept as it is: only the trees along
    /// the path are read and written, whatever the size of the rest of the repository.
    func writeTree(root: ObjectID?, setting path: ArraySlice<String>, to directory: ObjectID) async throws(LocalGitError) -> ObjectID {
        let tree = root == nil ? Tree(entries: [], hashLength: hashLength) : try await self.tree(root!)
        let name = Array(path.first!.utf8)
        let child: ObjectID
        if path.count == 1 {
            child = directory
        } else {
            let existing = tree.entry(named: name)
            if let existing, !existing.isDirectory {
                throw .invalidChange("\(path.first!) is a file in the repository, not a directory")
            }
            child = try await writeTree(root: existing?.id, setting: path.dropFirst(), to: directory)
        }
        return try await writeTree(tree.setting(TreeEntry(mode: TreeEntry.Mode.directory.rawValue, name: name, id: child)))
    }

    /// Creates the ref `name` pointing at `id` unless a ref of that name exists, atomically
    /// (git checks and creates under the ref's lock). Returns false if it existed.
    func createRef(_ name: String, at id: ObjectID) async throws(LocalGitError) -> Bool {
        precondition(!name.contains("\n") && !name.contains(" "), "ref names are validated before use")
        let transaction = Array("start\ncreate \(name) \(id.hex)\nprepare\ncommit\n".utf8)
        do {
            try await helper(["update-ref", "--stdin"]).exchange(transaction) { reader throws(LocalGitError) in
                for expected in ["start: ok", "prepare: ok", "commit: ok"] {
                    let line = String(decoding: try await reader.line(), as: UTF8.self)
                    guard line == expected else {
                        throw .gitFailed(command: "git update-ref", message: "unexpected reply \(line.prefix(80))", transient: true)
                    }
                }
            }
            return true
        } catch {
            // git ends `update-ref --stdin` when a transaction fails; the helper is replaced.
            if case .gitFailed(_, let message, _) = error, message.contains("reference already exists") { return false }
            throw error
        }
    }

    // MARK: - Helpers

    /// The running helper for `arguments`, started if there is none (or it stopped).
    private func helper(_ arguments: [String]) -> GitHelper {
        let key = arguments.joined(separator: " ")
        if let helper = helpers[key], helper.isRunning { return helper }
        let helper = GitHelper(context: context, arguments: arguments)
        helpers[key] = helper
        return helper
    }

    /// Writes objects of one type as loose objects (`LooseObjectWriter`), in the repository's
    /// object format.
    private func write(_ objects: [[UInt8]], type: String) async throws(LocalGitError) -> [ObjectID] {
        var ids = [ObjectID]()
        ids.reserveCapacity(objects.count)
        for object in objects {
            ids.append(try objectWriter.write(object, type: type, hashLength: hashLength))
        }
        return ids
    }

    /// Whether the repository's config sets `extensions.objectFormat = sha256` (git's default,
    /// and every repository rds-provisioner creates, is SHA-1).
    static func objectFormatIsSHA256(gitDirectory: String) -> Bool {
        guard let config = try? String(contentsOfFile: gitDirectory + "/config", encoding: .utf8) else { return false }
        var inExtensions = false
        for line in config.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespaces).lowercased()
            if text.hasPrefix("[") {
                inExtensions = text.hasPrefix("[extensions")
            } else if inExtensions, text.hasPrefix("objectformat") {
                return text.split(separator: "=").last?.trimmingCharacters(in: .whitespaces) == "sha256"
            }
        }
        return false
    }
}
