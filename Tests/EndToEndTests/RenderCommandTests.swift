import Foundation
import ProvisionerCore
import Testing
import TestSupport

/// `rds-provisioner render`, run as a process.
struct RenderCommandTests {
    func render(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(ServerProcess.provisionerExecutable.path, ["render"] + arguments)
    }

    @Test func printsTheStackFiles() throws {
        let result = try render(["--database-name", "orders", "--engine", "postgresql", "--environment", "prod"])
        #expect(result.status == 0, "\(result.stderr)")
        for file in ["main.tf", "versions.tf", "providers.tf", "outputs.tf", "stack.json"] {
            #expect(result.stdout.contains("# ==> stacks/prod/orders/\(file) <=="), "\(file) missing")
        }
        #expect(result.stdout.contains("\"orders-prod\""))
        #expect(result.stdout.contains("aurora-postgresql"))
    }

    @Test func writesTheStackUnderOutExactlyAsRendered() throws {
        let out = try TestEnvironment.makeTemporaryDirectory("render-out")
        let result = try render(["--database-name", "billing", "--engine", "MySQL", "--environment", "Dev", "--out", out.path,
                                 "--request-id", "req-1"])
        #expect(result.status == 0, "\(result.stderr)")
        let validated = try RequestValidator(profiles: .builtIn).validate(
            ProvisionRequest(databaseName: "billing", databaseEngine: .mysql, environment: "Dev"))
        let plan = try ClusterPlan(request: validated, profile: #require(ProfileSet.builtIn.profile(named: "Dev")), requestId: "req-1")
        let expected = TerraformRenderer.render(plan)
        #expect(!expected.isEmpty)
        for file in expected {
            let written = try String(contentsOf: out.appendingPathComponent(file.path), encoding: .utf8)
            #expect(written == file.contents, "\(file.path) differs from the renderer's output")
        }
        // terraform accepts the written files as formatted.
        let fmt = try ProcessRunner.run("terraform", ["fmt", "-check", "-recursive", out.path])
        #expect(fmt.status == 0, "\(fmt.stdout)\(fmt.stderr)")
    }

    @Test func invalidInputExitsNonZeroWithTheAPIMessageAndWritesNothing() throws {
        let out = try TestEnvironment.makeTemporaryDirectory("render-bad")
        let result = try render(["--database-name", "../etc", "--engine", "postgresql", "--environment", "dev", "--out", out.path])
        #expect(result.status != 0)
        // The same message the API answers with for the same input.
        do {
            _ = try RequestValidator(profiles: .builtIn).validate(
                body: Array(#"{"databaseName": "../etc", "databaseEngine": "postgresql", "environment": "dev"}"#.utf8))
            Issue.record("the validator accepted ../etc")
        } catch {
            #expect(result.stderr.contains(error.first.message), "\(result.stderr)")
            #expect(result.stderr.contains(error.first.code.rawValue))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)

        let engine = try render(["--database-name", "orders", "--engine", "oracle", "--environment", "dev"])
        #expect(engine.status != 0)
        #expect(engine.stderr.contains("unsupported_engine"))
        #expect(engine.stdout.isEmpty)
    }

    @Test func aBadProfileFileIsAClearErrorNamingTheKey() throws {
        let dir = try TestEnvironment.makeTemporaryDirectory("render-profile")
        let file = dir.appendingPathComponent("profiles.yaml")
        try "environments:\n  Prod:\n    backup:\n      retentionDays: 90\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try render(["--database-name", "orders", "--engine", "mysql", "--environment", "prod", "--profiles", file.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("environments.Prod.backup.retentionDays"), "\(result.stderr)")
    }
}
