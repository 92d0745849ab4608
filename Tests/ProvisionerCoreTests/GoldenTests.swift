import Foundation
import ProvisionerCore
import TestSupport
import Testing

/// The rendered stacks and pull request texts, compared with the files committed under
/// Tests/Golden/<case>/. After an intended change, regenerate them and review the diff:
///
///     UPDATE_GOLDEN=1 swift test --filter GoldenTests
@Suite struct GoldenTests {
    static let updating = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"

    /// What one case produces: the stack files by name, and the pull request as one file.
    static func outputs(_ plan: ClusterPlan) -> [String: String] {
        let files = TerraformRenderer.render(plan)
        var outputs: [String: String] = [:]
        for file in files {
            outputs[String(file.path.split(separator: "/").last!)] = file.contents
        }
        let text = PullRequestText(plan: plan, files: files)
        outputs["pull-request.md"] = """
            Title: \(text.title)
            Labels: \(text.labels.joined(separator: ", "))

            \(text.body)
            ---- commit message ----
            \(text.commitMessage)
            """
        return outputs
    }

    @Test(arguments: try Fixtures.goldenCases().map(\.name))
    func matchesGolden(_ name: String) throws {
        let plan = try #require(try Fixtures.goldenCases().first { $0.name == name }?.plan)
        let outputs = Self.outputs(plan)
        let directory = Fixtures.goldenDirectory.appendingPathComponent(name)
        let manager = FileManager.default
        if Self.updating {
            try? manager.removeItem(at: directory)
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            for (file, contents) in outputs {
                try contents.write(to: directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
            }
            return
        }
        let committed = Set((try? manager.contentsOfDirectory(atPath: directory.path)) ?? [])
        #expect(committed == Set(outputs.keys), "golden files of \(name) differ in names; run UPDATE_GOLDEN=1 swift test --filter GoldenTests")
        for (file, contents) in outputs.sorted(by: { $0.key < $1.key }) {
            let golden = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            #expect(golden == contents, "\(name)/\(file) differs from the golden file; run UPDATE_GOLDEN=1 swift test --filter GoldenTests and review the diff")
        }
    }

    @Test func renderingIsDeterministic() throws {
        for (_, plan) in try Fixtures.goldenCases() {
            #expect(TerraformRenderer.render(plan) == TerraformRenderer.render(plan))
            let decoded = try JSONDecoder().decode(ClusterPlan.self, from: JSONEncoder().encode(plan))
            #expect(TerraformRenderer.render(decoded) == TerraformRenderer.render(plan))
        }
    }
}
