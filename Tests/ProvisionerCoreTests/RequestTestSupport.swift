import ProvisionerCore
import Testing
import TestSupport

/// Helpers for the request-contract tests.
enum RequestFixtures {
    static let validator = RequestValidator(profiles: .builtIn)

    /// A body built from raw JSON fragments (each value exactly as it appears in the body, quotes
    /// and escapes included); nil leaves the field out. `extra` is appended verbatim as members.
    static func body(
        databaseName: String? = #""orders""#, databaseEngine: String? = #""PostgreSQL""#, environment: String? = #""Dev""#,
        owner: String? = nil, extra: String? = nil
    ) -> [UInt8] {
        var members: [String] = []
        if let databaseName { members.append(#""databaseName": "# + databaseName) }
        if let databaseEngine { members.append(#""databaseEngine": "# + databaseEngine) }
        if let environment { members.append(#""environment": "# + environment) }
        if let owner { members.append(#""owner": "# + owner) }
        if let extra { members.append(extra) }
        return Array(("{" + members.joined(separator: ", ") + "}").utf8)
    }

    /// A JSON string literal for `text` (escapes quotes, backslashes and control characters).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The errors `body` is refused with; records an issue if it validates.
    static func errors(_ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> RequestErrors? {
        do {
            let validated = try validator.validate(body: body)
            Issue.record("expected the body to be refused, got \(validated)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}

