import Foundation
import ProvisionerCore
import ProvisionerYAML
import TestSupport

/// Requests and plans for the renderer tests, built directly (the validator is not involved).
enum Fixtures {
    static let requestId = "3f9c2a7e-5b1d-4e8a-9c0f-1a2b3c4d5e6f"

    /// A validated request as the validator derives it (README "Naming").
    static func request(
        _ name: String, _ engine: DatabaseEngine, in profile: EnvironmentProfile, owner: String? = nil
    ) -> ValidatedRequest {
        ValidatedRequest(
            request: ProvisionRequest(databaseName: name, databaseEngine: engine, environment: profile.name, owner: owner),
            environmentSlug: profile.slug,
            clusterIdentifier: name.replacingOccurrences(of: "_", with: "-") + "-" + profile.slug,
            stackPath: "stacks/\(profile.slug)/\(name)",
            branch: "rds/\(profile.slug)/\(name)")
    }

    static func plan(
        _ name: String, _ engine: DatabaseEngine, in profile: EnvironmentProfile, owner: String? = nil, requestId: String = requestId
    ) throws -> ClusterPlan {
        try ClusterPlan(request: request(name, engine, in: profile, owner: owner), profile: profile, requestId: requestId)
    }

    static var goldenDirectory: URL { TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Golden") }

    /// The profiles of Tests/Golden/profiles.yaml (built-ins plus Staging).
    static func goldenProfiles() throws -> ProfileSet {
        try YAMLProfileFile.load(contentsOf: goldenDirectory.appendingPathComponent("profiles.yaml"))
    }

    /// The golden cases: MySQL and PostgreSQL in Dev and Prod, and PostgreSQL in Staging.
    static func goldenCases() throws -> [(name: String, plan: ClusterPlan)] {
        let builtIn = ProfileSet.builtIn
        let dev = builtIn.profile(named: "Dev")!
        let prod = builtIn.profile(named: "Prod")!
        let staging = try goldenProfiles().profile(named: "Staging")!
        return [
            ("postgresql-dev", try plan("orders", .postgresql, in: dev, owner: "team-payments")),
            ("postgresql-prod", try plan("orders", .postgresql, in: prod, owner: "team-payments")),
            ("mysql-dev", try plan("inventory", .mysql, in: dev)),
            ("mysql-prod", try plan("inventory", .mysql, in: prod, owner: "Warehouse Team")),
            ("postgresql-staging", try plan("billing_eu", .postgresql, in: staging, owner: "finance@example.com")),
        ]
    }

    /// Lays out an infrastructure repository: the template plus the stacks of `plans`.
    static func infraRepository(_ plans: [ClusterPlan]) throws -> URL {
        let root = try TestEnvironment.makeTemporaryDirectory("infra-repo")
        let files = InfraRepositoryTemplate.files + plans.flatMap(TerraformRenderer.render)
        for file in files {
            let url = root.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.contents.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }
}
