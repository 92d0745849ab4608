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
        compare(a.name, a.isDirectory, b.name, b.isDirectory) < 0
    }

    static func compare(_ a: [UInt8], _ aIsDirectory: Bool, _ b: [UInt8], _ bIsDirectory: Bool) -> Int {
        let common = min(a.count, b.count)
        for i in 0..<common where a[i] != b[i] {
            return a[i] < b[i] ? -1 : 1
        }
        let nextA: UInt8 = a.count > common ? a[common] : (aIsDirectory ? 47 : 0)
        let nextB: UInt8 = b.count > common ? b[common] : (bIsDirectory ? 47 : 0)
        return nextA == nextB ? 0 : (nextA < nextB ? -1 : 1)
    }
}

/// A tree's entries, in git's order.
struct Tree: Sendable {
    var entries: [TreeEntry]

    init(entries: [TreeEntry]) {
        self.entries = entries.sorted(by: TreeEntry.precedes)
    }

    /// Parses the raw contents of a tree object: `<mode> <name>\0<raw id>` repeated.
    init(parsing bytes: [UInt8], hashLength: Int) throws(LocalGitError) {
        var entries = [TreeEntry]()
        var index = 0
        while index < bytes.count {
            guard let space = bytes[index...].firstIndex(of: 32),
                let nul = bytes[space...].firstIndex(of: 0),
                nul + 1 + hashLength <= bytes.count
            else {
                throw .gitFailed(command: "git cat-file", message: "malformed tree object", transient: false)
            }
            let mode = String(decoding: bytes[index..<space], as: UTF8.self)
            entries.append(
                TreeEntry(mode: mode, name: Array(bytes[(space + 1)..<nul]), id: ObjectID(raw: bytes[(nul + 1)..<(nul + 1 + hashLength)])))
            index = nul + 1 + hashLength
        }
        self.entries = entries
    }

    func entry(named name: [UInt8]) -> TreeEntry? {
        // Trees on the request path can hold thousands of entries; they are sorted, but a
        // directory and a file sort differently, so look for either position.
        if let found = binarySearch(name, isDirectory: true) { return found }
        return binarySearch(name, isDirectory: false)
    }

    private func binarySearch(_ name: [UInt8], isDirectory: Bool) -> TreeEntry? {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            let order = TreeEntry.compare(entries[mid].name, entries[mid].isDirectory, name, isDirectory)
            if order == 0 { return entries[mid].name == name ? entries[mid] : nil }
            if order < 0 { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    /// The same tree with `entry` added, or replacing the entry of the same name.
    func setting(_ entry: TreeEntry) -> Tree {
        var copy = self
        copy.entries.removeAll { $0.name == entry.name }
        var low = 0
        var high = copy.entries.count
        while low < high {
            let mid = (low + high) / 2
            if TreeEntry.precedes(copy.entries[mid], entry) { low = mid + 1 } else { high = mid }
        }
        copy.entries.insert(entry, at: low)
        return copy
    }

    /// The raw contents of the tree object.
    func serialized() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(entries.count * 60)
        for entry in entries {
            bytes += entry.mode.utf8
            bytes.append(32)
            bytes += entry.name
            bytes.append(0)
            bytes += entry.id.raw
        }
        return bytes
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
