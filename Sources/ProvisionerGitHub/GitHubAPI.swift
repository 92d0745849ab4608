#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOHTTP1
import ProvisionerCore

/// The REST operations the publisher uses, named by their `operationId` in GitHub's description
/// (`openapi-subset.json`). Counted per operation.
enum GitHubOperation: String, Sendable, CaseIterable {
    case getRepository = "repos/get"
    case getRef = "git/get-ref"
    case getCommit = "git/get-commit"
    case getTree = "git/get-tree"
    case createTree = "git/create-tree"
    case createCommit = "git/create-commit"
    case createRef = "git/create-ref"
    case listPulls = "pulls/list"
    case createPull = "pulls/create"
    case addLabels = "issues/add-labels"

    var method: HTTPMethod {
        switch self {
        case .getRepository, .getRef, .getCommit, .getTree, .listPulls: .GET
        case .createTree, .createCommit, .createRef, .createPull, .addLabels: .POST
        }
    }

    /// Counts against GitHub's content-creation secondary limit (POST, PATCH, PUT, DELETE).
    var createsContent: Bool { method != .GET }
}

// Request bodies: exactly the fields of the description's `requestBody.schema`, snake_case on the wire.

// Each also writes itself (`JSONWritable`: sent on every pull request); a test holds that JSON
// to what `JSON.encoder` writes.

struct CreateTreeBody: Encodable, JSONWritable {
    struct Entry: Encodable {
        var path: String
        var mode = "100644"
        var type = "blob"
        var content: String
    }
    var baseTree: String
    var tree: [Entry]

    func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        object.string("base_tree", baseTree, &output)
        object.key("tree", &output)
        output.append("[")
        for (index, entry) in tree.enumerated() {
            if index > 0 { output.append(",") }
            var item = JSONObjectWriter(&output)
            item.string("path", entry.path, &output)
            item.string("mode", entry.mode, &output)
            item.string("type", entry.type, &output)
            item.string("content", entry.content, &output)
            item.end(&output)
        }
        output.append("]")
        object.end(&output)
    }
}

struct CreateCommitBody: Encodable, JSONWritable {
    var message: String
    var tree: String
    var parents: [String]

    func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        object.string("message", message, &output)
        object.string("tree", tree, &output)
        object.strings("parents", parents, &output)
        object.end(&output)
    }
}

struct CreateRefBody: Encodable, JSONWritable {
    var ref: String
    var sha: String

    func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        object.string("ref", ref, &output)
        object.string("sha", sha, &output)
        object.end(&output)
    }
}

struct CreatePullBody: Encodable, JSONWritable {
    var title: String
    var head: String
    var base: String
    var body: String
    var maintainerCanModify = false

    func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        object.string("title", title, &output)
        object.string("head", head, &output)
        object.string("base", base, &output)
        object.string("body", body, &output)
        object.key("maintainer_can_modify", &output)
        output.append(maintainerCanModify ? "true" : "false")
        object.end(&output)
    }
}

struct AddLabelsBody: Encodable, JSONWritable {
    var labels: [String]

    func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        object.strings("labels", labels, &output)
        object.end(&output)
    }
}

// Responses: only the fields the publisher reads (the description requires all of them), read
// by hand (`JSONReadable`): an answer is read on every request, and `JSONDecoder` first maps
// the whole document (GitHub's pull request object has about eighty keys, with two repository
// objects inside) before it decodes a field. The fake GitHub the tests run against checks its
// own answers against the description, so these readers are tested on the documented shape.

struct RepositoryAnswer: JSONReadable {
    var fullName: String
    var defaultBranch: String
    /// `permissions.push`, when GitHub says.
    var canPush: Bool?

    init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var fullName: String?
        var defaultBranch: String?
        var canPush: Bool?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            switch key {
            case "full_name": fullName = try reader.readString()
            case "default_branch": defaultBranch = try reader.readString()
            case "permissions":
                try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                    if key == "push" { canPush = try reader.readBool() }
                }
            default: break
            }
        }
        self.fullName = try reader.required(fullName, "full_name", in: "the repository")
        self.defaultBranch = try reader.required(defaultBranch, "default_branch", in: "the repository")
        self.canPush = canPush
    }
}

/// `git-ref`: the ref's object.
struct GitRefAnswer: JSONReadable {
    var ref: String
    var objectType: String
    var objectSHA: String

    init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var ref: String?
        var objectType: String?
        var objectSHA: String?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            switch key {
            case "ref": ref = try reader.readString()
            case "object":
                try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                    switch key {
                    case "type": objectType = try reader.readString()
                    case "sha": objectSHA = try reader.readString()
                    default: break
                    }
                }
            default: break
            }
        }
        self.ref = try reader.required(ref, "ref", in: "the ref")
        self.objectType = try reader.required(objectType, "object.type", in: "the ref")
        self.objectSHA = try reader.required(objectSHA, "object.sha", in: "the ref")
    }
}

/// `git-commit`: its SHA and its tree's.
struct GitCommitAnswer: JSONReadable {
    var sha: String
    var treeSHA: String

    init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var sha: String?
        var treeSHA: String?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            switch key {
            case "sha": sha = try reader.readString()
            case "tree":
                try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                    if key == "sha" { treeSHA = try reader.readString() }
                }
            default: break
            }
        }
        self.sha = try reader.required(sha, "sha", in: "the commit")
        self.treeSHA = try reader.required(treeSHA, "tree.sha", in: "the commit")
    }
}

/// The SHA of a created tree or commit (the rest of the answer is skipped: the answer to
/// creating a tree lists every entry of the new root tree).
struct CreatedObjectAnswer: JSONReadable {
    var sha: String

    init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var sha: String?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            if key == "sha" { sha = try reader.readString() }
        }
        self.sha = try reader.required(sha, "sha", in: "the created object")
    }
}

/// `git-tree`: its SHA and its entries.
struct GitTreeAnswer: JSONReadable {
    struct Entry: Sendable, Hashable {
        var path: String
        var type: String
        var sha: String
    }
    var sha: String
    var tree: [Entry]
    var truncated: Bool

    init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var sha: String?
        var entries: [Entry]?
        var truncated: Bool?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            switch key {
            case "sha": sha = try reader.readString()
            case "truncated": truncated = try reader.readBool()
            case "tree":
                var list: [Entry] = []
                try reader.readArray { (reader) throws(JSONSyntaxError) in
                    var path: String?
                    var type: String?
                    var sha: String?
                    try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                        switch key {
                        case "path": path = try reader.readOptionalString()
                        case "type": type = try reader.readOptionalString()
                        case "sha": sha = try reader.readOptionalString()
                        default: break
                        }
                    }
                    list.append(
                        Entry(
                            path: try reader.required(path, "path", in: "a tree entry"),
                            type: try reader.required(type, "type", in: "a tree entry"),
                            sha: try reader.required(sha, "sha", in: "a tree entry")))
                }
                entries = list
            default: break
            }
        }
        self.sha = try reader.required(sha, "sha", in: "the tree")
        self.tree = try reader.required(entries, "tree", in: "the tree")
        self.truncated = try reader.required(truncated, "truncated", in: "the tree")
    }
}

/// `pull-request` (and the `pull-request-simple` items of a listing).
struct PullRequestAnswer: JSONReadable {
    var number: Int
    var htmlUrl: String
    var state: String
    var body: String?
    var headRef: String
    var labels: [String]

    init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var number: Int?
        var htmlUrl: String?
        var state: String?
        var body: String?
        var headRef: String?
        var labels: [String]?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            switch key {
            case "number": number = try reader.readInt()
            case "html_url": htmlUrl = try reader.readString()
            case "state": state = try reader.readString()
            case "body": body = try reader.readOptionalString()
            case "head":
                try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                    if key == "ref" { headRef = try reader.readString() }
                }
            case "labels":
                var names: [String] = []
                try reader.readArray { (reader) throws(JSONSyntaxError) in
                    var name: String?
                    try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                        if key == "name" { name = try reader.readString() }
                    }
                    names.append(try reader.required(name, "name", in: "a label"))
                }
                labels = names
            default: break
            }
        }
        self.number = try reader.required(number, "number", in: "the pull request")
        self.htmlUrl = try reader.required(htmlUrl, "html_url", in: "the pull request")
        self.state = try reader.required(state, "state", in: "the pull request")
        self.body = body
        self.headRef = try reader.required(headRef, "head.ref", in: "the pull request")
        self.labels = try reader.required(labels, "labels", in: "the pull request")
    }
}

/// GitHub's error body (`basic-error`, `validation-error`).
struct ErrorAnswer: JSONReadable {
    struct Item {
        var resource: String?
        var field: String?
        var code: String?
        var message: String?
    }
    var message: String?
    var errors: [Item]?
    var documentationUrl: String?

    init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            switch key {
            case "message": message = try reader.readOptionalString()
            case "documentation_url": documentationUrl = try reader.readOptionalString()
            case "errors":
                var items: [Item] = []
                try reader.readArray { (reader) throws(JSONSyntaxError) in
                    // validation-error's items are objects; some older answers use plain strings.
                    if try reader.peekKind() == .string {
                        items.append(Item(message: try reader.readString()))
                        return
                    }
                    var item = Item()
                    try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                        guard try reader.peekKind() == .string else { return }
                        switch key {
                        case "resource": item.resource = try reader.readString()
                        case "field": item.field = try reader.readString()
                        case "code": item.code = try reader.readString()
                        case "message": item.message = try reader.readString()
                        default: break
                        }
                    }
                    items.append(item)
                }
                errors = items
            default: break
            }
        }
    }

    /// The message and each error item, as one line.
    var summary: String {
        var parts: [String] = []
        if let message, !message.isEmpty { parts.append(message.replacingNewlines()) }
        for item in errors ?? [] {
            let text = item.message?.replacingNewlines() ?? [item.resource, item.field, item.code].compactMap { $0 }.joined(separator: " ")
            if !text.isEmpty { parts.append(text) }
        }
        return parts.isEmpty ? "no message" : parts.joined(separator: "; ")
    }

    func mentions(_ text: String) -> Bool {
        let lowered = text.lowercased()
        if message?.lowercased().contains(lowered) == true { return true }
        return errors?.contains { $0.message?.lowercased().contains(lowered) == true } ?? false
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        split(whereSeparator: \.isNewline).filter { !$0.isEmpty }.joined(separator: " ")
    }
}

enum JSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()
}

/// Percent-encoding for path segments and query values (RFC 3986 unreserved characters stay).
enum URLEscaping {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func escape(_ value: String, keepingSlashes: Bool = false) -> String {
        var out = ""
        for byte in value.utf8 {
            if unreserved.contains(byte) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
