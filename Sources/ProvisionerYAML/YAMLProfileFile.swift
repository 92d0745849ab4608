import Foundation
import ProvisionerCore
import Yams

/// Profile files written in YAML: parsed with Yams into the same `ProfileValue` tree as JSON
/// files and resolved by the same decoder (`ProfileFile.load(_:)`), so both syntaxes accept
/// the same keys and report the same errors.
public enum YAMLProfileFile {
    /// Reads a YAML profile file.
    public static func load(yaml: String) throws(ProfileFileError) -> ProfileSet {
        try ProfileFile.load(value(yaml: yaml))
    }

    /// The value tree of a YAML document. Duplicate keys are errors; anchors and aliases are
    /// resolved by Yams (an unresolved alias is refused).
    public static func value(yaml: String) throws(ProfileFileError) -> ProfileValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ProfileFileError(path: "", "invalid YAML: \(describe(error))")
        } catch {
            throw ProfileFileError(path: "", "invalid YAML: \(error)")
        }
        guard let node else { throw ProfileFileError(path: "", "the file is empty") }
        return try convert(node, at: "")
    }

    /// Reads a profile file from disk: `.json` as JSON, `.yaml` or `.yml` as YAML.
    public static func load(contentsOf url: URL) throws(ProfileFileError) -> ProfileSet {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ProfileFileError(path: "", "cannot read the profile file \(url.path): \(error.localizedDescription)")
        }
        switch url.pathExtension.lowercased() {
        case "json":
            return try ProfileFile.load(json: data)
        case "yaml", "yml":
            guard let text = String(data: data, encoding: .utf8) else {
                throw ProfileFileError(path: "", "the profile file \(url.path) is not UTF-8 text")
            }
            return try load(yaml: text)
        default:
            throw ProfileFileError(path: "", "profile files end in .json, .yaml or .yml: \(url.lastPathComponent)")
        }
    }

    static func convert(_ node: Node, at path: String) throws(ProfileFileError) -> ProfileValue {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: if let value = node.bool { return .bool(value) }
            case .int: if let value = node.int { return .integer(value) }
            case .float: if let value = node.float, value.isFinite { return .number(value) }
            case .str: return .string(scalar.string)
            default: break
            }
            throw ProfileFileError(path: path, "unsupported YAML value \(scalar.string) (tag \(node.tag.rawValue))")
        case .sequence(let sequence):
            var values: [ProfileValue] = []
            for (index, item) in sequence.enumerated() {
                values.append(try convert(item, at: "\(path)[\(index)]"))
            }
            return .array(values)
        case .mapping(let mapping):
            var entries: [ProfileValue.Entry] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw ProfileFileError(path: path, "keys must be plain strings")
                }
                let name = keyScalar.string
                let keyPath = path.isEmpty ? name : "\(path).\(name)"
                entries.append(.init(name, try convert(value, at: keyPath)))
            }
            return .object(entries)
        case .alias:
            throw ProfileFileError(path: path, "YAML aliases are not supported; use defaults or base to share settings")
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            "duplicate key \(duplicates.joined(separator: ", ")) at line \(context.mark.line)"
        default:
            String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
    }
}
