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

// Responses: only the fields the publisher reads (the description requires all of them), with
// their snake_case names spelled out: a key strategy would convert every key of every object
// decoded, and GitHub's pull request object has about eighty.

struct RepositoryAnswer: Decodable {
    struct Permissions: Decodable {
        var push: Bool?
    }
    var fullName: String
    var defaultBranch: String
    var permissions: Permissions?

    enum CodingKeys: String, CodingKey {
        case fullName = "full_name"
        case defaultBranch = "default_branch"
        case permissions
    }
}

struct GitRefAnswer: Decodable {
    struct Object: Decodable {
        var type: String
        var sha: String
    }
    var ref: String
    var object: Object
}

struct GitCommitAnswer: Decodable {
    struct Tree: Decodable {
        var sha: String
    }
    var sha: String
    var tree: Tree
}

struct GitTreeAnswer: Decodable {
    struct Entry: Decodable {
        var path: String
        var type: String
        var sha: String
    }
    var sha: String
    var tree: [Entry]
    var truncated: Bool
}

struct PullRequestAnswer: Decodable {
    struct Label: Decodable {
        var name: String
    }
    struct Head: Decodable {
        var ref: String
    }
    var number: Int
    var htmlUrl: String
    var state: String
    var body: String?
    var head: Head
    var labels: [Label]

    enum CodingKeys: String, CodingKey {
        case number
        case htmlUrl = "html_url"
        case state, body, head, labels
    }
}

/// GitHub's error body (`basic-error`, `validation-error`).
struct ErrorAnswer: Decodable {
    struct Item: Decodable {
        var resource: String?
        var field: String?
        var code: String?
        var message: String?
    }
    var message: String?
    var errors: [Item]?
    var documentationUrl: String?

    enum CodingKeys: String, CodingKey {
        case message, errors
        case documentationUrl = "documentation_url"
    }

    /// The message and each error item, as one line.
    var summary: String {
        var parts: [String] = []
        if let message, !message.isEmpty { parts.append(message.replacingNewlines()) }
        for item in errors ?? [] {
            if let message = item.message {
                parts.append(message.replacingNewlines())
            } else {
                parts.append([item.resource, item.field, item.code].compactMap { $0 }.joined(separator: " "))
            }
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
    /// Keys as the answers' `CodingKeys` spell them (snake_case), no key strategy.
    static let decoder = JSONDecoder()
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
