import Foundation
import TestSupport

/// The deployment files and the tools that read them (all from .venv: a missing tool fails the
/// test with `make venv` in its message, it never skips it).
enum DeploymentFiles {
    static let root = TestEnvironment.repositoryRoot
    static var template: URL { root.appendingPathComponent("deploy/template.yaml") }
    static var samConfig: URL { root.appendingPathComponent("deploy/samconfig.toml") }
    static var openAPI: URL { root.appendingPathComponent("openapi.yaml") }
    static var circleCIConfig: URL { root.appendingPathComponent(".circleci/config.yml") }
    static var circleCISchema: URL {
        TestEnvironment.sharedTestData.appendingPathComponent("circleci/circleciconfig.schema.json")
    }
    static var setupSecrets: URL { root.appendingPathComponent("scripts/setup-secrets") }

    /// Runs a script with the .venv's Python.
    static func python(_ arguments: [String], environment: [String: String]? = nil, input: String? = nil) throws -> ProcessResult {
        try ProcessRunner.run(try TestEnvironment.pythonTool("python3").path, arguments, in: root, environment: environment, input: input)
    }

    /// A YAML file (CloudFormation tags in long form) as a JSON object, through tools/yaml_to_json.py.
    static func yaml(_ file: URL) throws -> [String: Any] {
        let result = try python([root.appendingPathComponent("tools/yaml_to_json.py").path, file.path])
        guard result.status == 0,
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else { throw TestSupportError("\(file.lastPathComponent) is not a readable YAML mapping: \(result.stderr)") }
        return object
    }

    /// A copy of `file`, changed by `edit`, in a new temporary directory (for negative checks).
    static func brokenCopy(of file: URL, _ edit: (String) -> String) throws -> URL {
        let original = try String(contentsOf: file, encoding: .utf8)
        let changed = edit(original)
        guard changed != original else { throw TestSupportError("the edit changed nothing in \(file.lastPathComponent)") }
        let copy = try TestEnvironment.makeTemporaryDirectory("deployment").appendingPathComponent(file.lastPathComponent)
        try changed.write(to: copy, atomically: true, encoding: .utf8)
        return copy
    }
}

/// Reads nested JSON values: `object["Resources", "Queue", "Properties"]`.
extension Dictionary where Key == String, Value == Any {
    subscript(path: String...) -> Any? {
        var current: Any? = self
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }
}

/// Every value in a JSON document, depth first (to look for a key or a pattern anywhere).
func allValues(_ value: Any, _ visit: (String?, Any) -> Void, key: String? = nil) {
    visit(key, value)
    if let object = value as? [String: Any] {
        for (name, child) in object { allValues(child, visit, key: name) }
    } else if let array = value as? [Any] {
        for child in array { allValues(child, visit, key: key) }
    }
}

/// JSON values compared as JSON (numbers, strings, arrays, objects), order of keys ignored.
func jsonEqual(_ a: Any?, _ b: Any?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    func canonical(_ value: Any) -> Data? {
        guard JSONSerialization.isValidJSONObject([value]) else { return nil }
        return try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])
    }
    guard let left = canonical(a), let right = canonical(b) else { return false }
    return left == right
}
