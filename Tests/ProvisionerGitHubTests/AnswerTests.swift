import Foundation
import ProvisionerCore
import ProvisionerService
import Testing
import TestSupport

@testable import ProvisionerGitHub

/// The answer readers (`JSONReadable`, by hand) against GitHub's own description
/// (../shared/testdata/github/openapi-subset.json): answers built from each response schema, once
/// with only the members the schema requires (nullable ones null) and once with every member,
/// are read, and each field read is the one at the documented place. A reader that needed a
/// member the description does not promise, or read a same-named member elsewhere, fails.
struct AnswerTests {
    /// Builds instances of the description's schemas. Every string is the JSON path where it
    /// sits (`head.ref`), padded to the schema's minimum length, so a test can tell which member
    /// a reader read.
    struct Instances {
        let schemas: [String: Any]

        init() throws {
            let url = TestEnvironment.sharedTestData.appendingPathComponent("github/openapi-subset.json")
            let document = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            let components = document?["components"] as? [String: Any]
            schemas = try #require(components?["schemas"] as? [String: Any])
        }

        func build(_ name: String, full: Bool) throws -> [UInt8] {
            let value = instance(schemas[name] as Any, path: "", full: full, depth: 0)
            return Array(try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]))
        }

        private func instance(_ node: Any, path: String, full: Bool, depth: Int) -> Any {
            guard var schema = node as? [String: Any], depth < 12 else { return NSNull() }
            if let reference = schema["$ref"] as? String {
                let name = String(reference.split(separator: "/").last ?? "")
                // Not copied into the subset: unconstrained, so an empty object is valid.
                guard let target = schemas[name] else { return [String: Any]() }
                return instance(target, path: path, full: full, depth: depth + 1)
            }
            if let all = schema["allOf"] as? [Any] {
                var merged: [String: Any] = [:]
                for part in all {
                    if let object = instance(part, path: path, full: full, depth: depth + 1) as? [String: Any] {
                        merged.merge(object) { first, _ in first }
                    }
                }
                return merged
            }
            if let choices = (schema["oneOf"] ?? schema["anyOf"]) as? [Any], let first = choices.first {
                return instance(first, path: path, full: full, depth: depth + 1)
            }
            if !full, schema["nullable"] as? Bool == true { return NSNull() }
            schema["nullable"] = nil
            switch schema["type"] as? String {
            case "object", nil where schema["properties"] != nil:
                let properties = schema["properties"] as? [String: Any] ?? [:]
                let required = Set(schema["required"] as? [String] ?? [])
                var object: [String: Any] = [:]
                for (key, property) in properties where full || required.contains(key) {
                    object[key] = instance(property, path: path.isEmpty ? key : "\(path).\(key)", full: full, depth: depth + 1)
                }
                // The subset trims some schemas' properties but keeps their whole `required` list: any
                // value is valid there, so a required member without a definition gets its path.
                for key in required where object[key] == nil {
                    object[key] = path.isEmpty ? key : "\(path).\(key)"
                }
                return object
            case "array":
                return [instance(schema["items"] as Any, path: path + "[0]", full: full, depth: depth + 1)]
            case "string":
                if let options = schema["enum"] as? [String], let first = options.first { return first }
                let minimum = schema["minLength"] as? Int ?? 0
                return path.count >= minimum ? path : path + String(repeating: "0", count: minimum - path.count)
            case "integer": return path.count
            case "number": return 1.5
            case "boolean": return !full
            default: return [String: Any]()
            }
        }
    }

    @Test(arguments: [false, true]) func answersReadTheDocumentedMembers(full: Bool) throws {
        let instances = try Instances()

        let pull = try PullRequestAnswer(jsonBytes: try instances.build("pull-request", full: full))
        #expect(pull.number == "number".count)
        #expect(pull.htmlUrl == "html_url")
        #expect(pull.state == "open")
        #expect(pull.headRef == "head.ref")
        #expect(pull.body == (full ? "body" : nil))
        #expect(pull.labels == ["labels[0].name"])

        let ref = try GitRefAnswer(jsonBytes: try instances.build("git-ref", full: full))
        #expect(ref.ref == "ref")
        #expect(ref.objectType == "object.type")
        #expect(ref.objectSHA.hasPrefix("object.sha") && ref.objectSHA.count == 40)

        let commit = try GitCommitAnswer(jsonBytes: try instances.build("git-commit", full: full))
        #expect(commit.sha == "sha")
        #expect(commit.treeSHA == "tree.sha")
        #expect(try CreatedObjectAnswer(jsonBytes: try instances.build("git-commit", full: full)).sha == "sha")

        let tree = try GitTreeAnswer(jsonBytes: try instances.build("git-tree", full: full))
        #expect(tree.sha == "sha")
        #expect(tree.tree == [GitTreeAnswer.Entry(path: "tree[0].path", type: "tree[0].type", sha: "tree[0].sha")])
        #expect(tree.truncated == !full)
        #expect(try CreatedObjectAnswer(jsonBytes: try instances.build("git-tree", full: full)).sha == "sha")

        let repository = try RepositoryAnswer(jsonBytes: try instances.build("repository", full: full))
        #expect(repository.fullName == "full_name")
        #expect(repository.defaultBranch == "default_branch")
        #expect(repository.canPush == nil)  // `permissions` is not in the subset's trimmed schema
        let withPermissions = #"{"full_name":"acme/infra","default_branch":"main","permissions":{"admin":false,"push":true,"pull":true}}"#
        #expect(try RepositoryAnswer(jsonBytes: Array(withPermissions.utf8)).canPush == true)

        for name in ["basic-error", "validation-error"] {
            let error = try ErrorAnswer(jsonBytes: try instances.build(name, full: full))
            #expect(error.message == (full || name == "validation-error" ? "message" : nil))
        }
    }

    @Test func errorBodiesOfEveryShapeAreSummarised() throws {
        let validation = #"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for acme:rds/orders."}],"documentation_url":"https://docs.github.com/rest/pulls/pulls#create-a-pull-request","status":"422"}"#
        let answer = try ErrorAnswer(jsonBytes: Array(validation.utf8))
        #expect(answer.summary == "Validation Failed; A pull request already exists for acme:rds/orders.")
        #expect(answer.mentions("a pull request already exists"))
        let codes = #"{"message":"Validation Failed","errors":[{"resource":"Label","field":"name","code":"invalid"},"Reference already exists",{"code":7}]}"#
        #expect(try ErrorAnswer(jsonBytes: Array(codes.utf8)).summary == "Validation Failed; Label name invalid; Reference already exists")
        #expect(try ErrorAnswer(jsonBytes: Array("{}".utf8)).summary == "no message")
    }

    /// An answer without a member the publisher needs is a permanent failure that names it.
    @Test func anAnswerWithoutAPromisedMemberNamesIt() throws {
        var bytes = try Instances().build("pull-request", full: false)
        bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"html_url\"", with: "\"htmlUrl\"").utf8)
        let response = GitHubResponse(status: 201, headers: [:], body: bytes)
        #expect(throws: PublishError.self) { try response.decode(PullRequestAnswer.self, .createPull) }
        do {
            _ = try response.decode(PullRequestAnswer.self, .createPull)
        } catch {
            guard case .permanent(let message) = error else { throw error }
            #expect(message.contains("pulls/create (HTTP 201) is not in the documented shape: the pull request has no \"html_url\""), "\(message)")
        }
    }
}
