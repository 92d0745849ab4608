import Foundation
import ProvisionerCore
import TestSupport
import Testing

/// checkov over the module and the rendered stacks: zero failed checks everywhere. Prod stacks
/// pass every check (MySQL skips only CKV_AWS_226, the LTS minor-upgrade policy); Dev and
/// Staging skip only what their profiles turn off, each with an inline reason.
@Suite(.serialized) struct CheckovTests {
    struct Report: Decodable {
        struct Results: Decodable {
            var failed_checks: [Check]?
            var skipped_checks: [Check]?
            var passed_checks: [Check]?
        }
        struct Check: Decodable {
            var check_id: String
            var resource: String
        }
        var results: Results
        var summary: [String: JSONValue]
    }

    enum JSONValue: Decodable {
        case number(Double), string(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .string(try container.decode(String.self)) }
        }
    }

    static func scan(_ directory: URL) throws -> Report {
        let checkov = try TestEnvironment.pythonTool("checkov")
        let result = try ProcessRunner.run(
            checkov.path,
            ["--skip-download", "--framework", "terraform", "--compact", "--output", "json", "--directory", directory.path],
            environment: ["BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"])
        // checkov exits 1 when a check fails; the report says which.
        guard result.status == 0 || result.status == 1 else {
            throw TestSupportError("checkov failed (\(result.status)): \(result.stderr.suffix(2000))")
        }
        do {
            return try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        } catch {
            throw TestSupportError("unreadable checkov report: \(error)\n\(result.stdout.prefix(2000))")
        }
    }

    @Test func moduleWithItsDefaultsPassesEveryCheck() throws {
        let repository = try Fixtures.infraRepository([])
        let report = try Self.scan(repository.appendingPathComponent(TerraformRenderer.modulePath))
        let failed = report.results.failed_checks ?? []
        #expect(failed.isEmpty, "failed: \(failed.map { "\($0.check_id) \($0.resource)" })")
        #expect((report.results.skipped_checks ?? []).isEmpty)
        #expect((report.results.passed_checks ?? []).count > 30)
    }

    /// Profiles that turn off other protections than the built-in Dev does, so every skip the
    /// planner can emit is checked against checkov.
    static func variantCases() throws -> [(name: String, plan: ClusterPlan)] {
        var lax = ProfileSet.builtIn.profile(named: "Dev")!
        lax.name = "Lax"
        lax.performanceInsights.enabled = true
        lax.backup.awsBackup.enabled = true
        lax.engines.mysql.logExports = []
        lax.iamDatabaseAuthentication = false
        lax.capacity.instanceClass = "db.r7g.large"
        var strict = ProfileSet.builtIn.profile(named: "Prod")!
        strict.name = "Strict"
        strict.credentials.mode = .sharedSecret
        strict.encryption.kmsKeyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        strict.network = .init(
            vpcId: "vpc-0a1b2c3d4e5f60718", dbSubnetGroupName: "databases", allowedSecurityGroupIds: ["sg-0a1b2c3d4e5f60719"])
        strict.engines.postgresql.autoMinorVersionUpgrade = false
        strict.engines.postgresql.version = "15.8"
        return [
            ("mysql-lax", try Fixtures.plan("orders", .mysql, in: lax)),
            ("postgresql-lax", try Fixtures.plan("orders", .postgresql, in: lax)),
            ("postgresql-strict", try Fixtures.plan("orders", .postgresql, in: strict)),
        ]
    }

    static func allCases() throws -> [(name: String, plan: ClusterPlan)] {
        try Fixtures.goldenCases() + variantCases()
    }

    @Test(arguments: try allCases().map(\.name))
    func renderedStackPassesEveryCheckItDoesNotSkipOnPurpose(_ name: String) throws {
        let plan = try #require(try Self.allCases().first { $0.name == name }?.plan)
        let repository = try Fixtures.infraRepository([plan])
        let report = try Self.scan(repository.appendingPathComponent(plan.stackPath))
        let failed = report.results.failed_checks ?? []
        #expect(failed.isEmpty, "failed: \(failed.map { "\($0.check_id) \($0.resource)" })")
        let skipped = Set((report.results.skipped_checks ?? []).map(\.check_id))
        #expect(skipped == Set(plan.checkovSkips.map(\.id)), "skipped \(skipped.sorted()), planned \(plan.checkovSkips.map(\.id))")
        if plan.profile.name == "Prod" {
            #expect(skipped.isSubset(of: ["CKV_AWS_226"]))
        }
        // The module's resources were scanned through the stack, not just the module call.
        #expect((report.results.passed_checks ?? []).contains { $0.resource.hasPrefix("module.aurora_cluster.aws_rds_cluster.") })
    }
}
