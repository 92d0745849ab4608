import Foundation

/// The hexadecimal name of a git object (40 characters in a SHA-1 repository).
struct ObjectID: Hashable, Sendable, CustomStringConvertible {
    var hex: String

    init(hex: String) { self.hex = hex }

    /// From the raw bytes of a tree entry.
    init(raw: ArraySlice<UInt8>) {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(raw.count * 2)
        for byte in raw {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        hex = String(decoding: text, as: UTF8.self)
    }

    /// Whether `text` looks like an object name (hexadecimal, 40 or 64 digits).
    static func isValid(_ text: some StringProtocol) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    var raw: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for char in hex.utf8 {
            let value = char <= 57 ? char - 48 : char - 87
            if let h = high {
                bytes.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }

    var description: String { hex }

    /// The all-zero name git uses for "no object" (`update-ref` old value of a ref to create).
    static func zero(length: Int) -> ObjectID { ObjectID(hex: String(repeating: "0", count: length)) }
}

/// One entry of a tree object.
struct TreeEntry: Hashable, Sendable {
    enum Mode: String, Sendable {
        case file = "100644"
        case executable = "100755"
        case symlink = "120000"
        case directory = "40000"
        case submodule = "160000"
    }

    var mode: String
    var name: [UInt8]
    var id: ObjectID

    var isDirectory: Bool { mode == Mode.directory.rawValue }
    var nameString: String { String(decoding: name, as: UTF8.self) }

    /// Git's order of tree entries: by name bytes, a directory's name read as if it ended in `/`.
    static func precedes(_ a: TreeEntry, _ b: TreeEntry) -> Bool {
        compare(a.name[...], a.isDirectory, b.name[...], b.isDirectory) < 0
    }

    static func compare(_ a: ArraySlice<UInt8>, _ aIsDirectory: Bool, _ b: ArraySlice<UInt8>, _ bIsDirectory: Bool) -> Int {
        var i = a.startIndex
        var j = b.startIndex
        while i < a.endIndex && j < b.endIndex {
            if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
            i += 1
            j += 1
        }
        let nextA: UInt8 = i < a.endIndex ? a[i] : (aIsDirectory ? 47 : 0)
        let nextB: UInt8 = j < b.endIndex ? b[j] : (bIsDirectory ? 47 : 0)
        return nextA == nextB ? 0 : (nextA < nextB ? -1 : 1)
    }
}

/// A tree object kept as git stores it (`<mode> <name>\0<raw id>` per entry, in git's order),
/// with the offset of each entry. Looking a name up is a binary search, and setting an entry
/// copies the bytes once: cheap even for a `stacks/<env>` tree of thousands of entries.
struct Tree: Sendable {
    /// The raw contents of the tree object.
    private(set) var bytes: [UInt8]
    /// Where each entry starts in `bytes`.
    private var offsets: [Int]
    private let hashLength: Int

    /// A tree of `entries` (in any order).
    init(entries: [TreeEntry], hashLength: Int) {
        self.hashLength = hashLength
        bytes = []
        offsets = []
        for entry in entries.sorted(by: TreeEntry.precedes) {
            offsets.append(bytes.count)
            bytes += Tree.encode(entry)
        }
    }

    /// Parses the raw contents of a tree object.
    init(parsing bytes: [UInt8], hashLength: Int) throws(LocalGitError) {
        self.bytes = bytes
        self.hashLength = hashLength
        offsets = []
        var index = 0
        while index < bytes.count {
            guard let nul = bytes[index...].firstIndex(of: 0), nul + 1 + hashLength <= bytes.count,
                bytes[index..<nul].contains(32)
            else {
                throw .gitFailed(command: "git cat-file", message: "malformed tree object", transient: false)
            }
            offsets.append(index)
            index = nul + 1 + hashLength
        }
    }

    var count: Int { offsets.count }

    subscript(index: Int) -> TreeEntry {
        let (mode, name, idStart) = fields(index)
        return TreeEntry(
            mode: String(decoding: bytes[mode], as: UTF8.self), name: Array(bytes[name]),
            id: ObjectID(raw: bytes[idStart..<(idStart + hashLength)]))
    }

    var entries: [TreeEntry] { (0..<count).map { self[$0] } }

    func entry(named name: [UInt8]) -> TreeEntry? {
        // A directory and a file of the same name sort differently: look for either.
        if let index = find(name, isDirectory: true) ?? find(name, isDirectory: false) { return self[index] }
        return nil
    }

    /// The same tree with `entry` added, or replacing the entry of the same name.
    func setting(_ entry: TreeEntry) -> Tree {
        var tree = self
        if let existing = find(entry.name, isDirectory: true) ?? find(entry.name, isDirectory: false) {
            tree.remove(at: existing)
        }
        // The first entry that sorts after the new one.
        var low = 0
        var high = tree.count
        while low < high {
            let mid = (low + high) / 2
            if tree.compare(mid, entry.name, entry.isDirectory) < 0 { low = mid + 1 } else { high = mid }
        }
        let encoded = Tree.encode(entry)
        let offset = low < tree.count ? tree.offsets[low] : tree.bytes.count
        tree.bytes.insert(contentsOf: encoded, at: offset)
        for index in low..<tree.count { tree.offsets[index] += encoded.count }
        tree.offsets.insert(offset, at: low)
        return tree
    }

    // MARK: - Entries in place

    /// The byte ranges of entry `index`: mode, name, and where the raw id starts.
    private func fields(_ index: Int) -> (mode: Range<Int>, name: Range<Int>, id: Int) {
        let start = offsets[index]
        let space = bytes[start...].firstIndex(of: 32)!
        let nul = bytes[space...].firstIndex(of: 0)!
        return (start..<space, (space + 1)..<nul, nul + 1)
    }

    private func compare(_ index: Int, _ name: [UInt8], _ isDirectory: Bool) -> Int {
        let (mode, entryName, _) = fields(index)
        let entryIsDirectory = bytes[mode].elementsEqual(TreeEntry.Mode.directory.rawValue.utf8)
        return TreeEntry.compare(bytes[entryName], entryIsDirectory, name[...], isDirectory)
    }

    private func find(_ name: [UInt8], isDirectory: Bool) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            let order = compare(mid, name, isDirectory)
            if order == 0 { return mid }
            if order < 0 { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    private mutating func remove(at index: Int) {
        let start = offsets[index]
        let end = index + 1 < count ? offsets[index + 1] : bytes.count
        bytes.removeSubrange(start..<end)
        offsets.remove(at: index)
        for later in index..<count { offsets[later] -= end - start }
    }

    private static func encode(_ entry: TreeEntry) -> [UInt8] {
        Array(entry.mode.utf8) + [32] + entry.name + [0] + entry.id.raw
    }
}

/// The parts of a commit object this module reads.
struct Commit: Sendable {
    var tree: ObjectID
    var parents: [ObjectID]
    var message: String

    init(parsing bytes: [UInt8]) throws(LocalGitError) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\n\n") else {
            throw .gitFailed(command: "git cat-file", message: "malformed commit object", transient: false)
        }
        var tree: ObjectID?
        var parents = [ObjectID]()
        for line in text[..<split.lowerBound].split(separator: "\n") {
            if line.hasPrefix("tree ") { tree = ObjectID(hex: String(line.dropFirst(5))) }
            if line.hasPrefix("parent ") { parents.append(ObjectID(hex: String(line.dropFirst(7)))) }
        }
        guard let tree else {
            throw .gitFailed(command: "git cat-file", message: "commit object without a tree", transient: false)
        }
        self.tree = tree
        self.parents = parents
        self.message = String(text[split.upperBound...])
    }

    /// The value of the last `Request-Id:` trailer of the message, if any.
    var requestId: String? {
        message.split(separator: "\n").last { $0.hasPrefix(Commit.requestIdTrailer) }
            .map { String($0.dropFirst(Commit.requestIdTrailer.count)).trimmingCharacters(in: .whitespaces) }
    }

    static let requestIdTrailer = "Request-Id: "

    /// The text of a commit object.
    static func format(
        tree: ObjectID, parents: [ObjectID], identity: String, timestamp: Int64, message: String
    ) -> [UInt8] {
        var text = "tree \(tree.hex)\n"
        for parent in parents { text += "parent \(parent.hex)\n" }
        text += "author \(identity) \(timestamp) +0000\n"
        text += "committer \(identity) \(timestamp) +0000\n\n"
        text += message.hasSuffix("\n") ? message : message + "\n"
        return Array(text.utf8)
    }
}
