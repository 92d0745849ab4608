import ProvisionerCore
import Testing

@Suite struct PlanTests {
    let dev = ProfileSet.builtIn.profile(named: "Dev")!
    let prod = ProfileSet.builtIn.profile(named: "Prod")!

    @Test func devScalesToZeroWhereTheEngineVersionAllows() throws {
        let plan = try Fixtures.plan("orders", .postgresql, in: dev)
        #expect(plan.scalesToZero && plan.capacity.minACU == 0)
        let mysql = try Fixtures.plan("orders", .mysql, in: dev)
        #expect(mysql.scalesToZero)

        var old = dev
        old.engines.postgresql.version = "15.4"
        let oldPlan = try Fixtures.plan("orders", .postgresql, in: old)
        #expect(!oldPlan.scalesToZero && oldPlan.capacity.minACU == 0.5)
        #expect(oldPlan.notes.contains { $0.contains("cannot pause") })
        let main = TerraformRenderer.render(oldPlan).first { $0.path.hasSuffix("main.tf") }!.contents
        #expect(main.contains(/serverless_min_capacity +\= 0\.5\n/))
        #expect(!main.contains("serverless_seconds_until_auto_pause"))
    }

    @Test func finalSnapshotIdentifierIsUniquePerRequest() throws {
        let first = try Fixtures.plan("orders", .postgresql, in: prod, requestId: "3F9C2A7E-5B1D-4E8A-9C0F-1A2B3C4D5E6F")
        let second = try Fixtures.plan("orders", .postgresql, in: prod, requestId: "8b7d5e3a-0000-4e8a-9c0f-1a2b3c4d5e6f")
        #expect(first.finalSnapshotIdentifier == "orders-prod-final-3f9c2a7e5b1d4e8a9c0f1a2b3c4d5e6f")
        #expect(first.finalSnapshotIdentifier != second.finalSnapshotIdentifier)
        #expect(first.finalSnapshotIdentifier.wholeMatch(of: /[a-z][a-z0-9]*(-[a-z0-9]+)*/) != nil)
    }

    @Test func standardTagsWinOverProfileTags() throws {
        var profile = prod
        profile.tags = ["Environment": "wrong", "Team": "platform"]
        let plan = try Fixtures.plan("orders", .postgresql, in: profile, owner: "team-a")
        #expect(plan.tags == [
            "Environment": "Prod", "ManagedBy": "rds-provisioner", "Owner": "team-a", "Team": "platform",
            "rds-provisioner:request-id": Fixtures.requestId, "rds-provisioner:stack": "stacks/prod/orders",
        ])
    }

    @Test func refusesWhatTheValidatorShouldHaveRefused() throws {
        var postgresOnly = prod
        postgresOnly.allowedEngines = [.postgresql]
        #expect(throws: ClusterPlanError.self) { try Fixtures.plan("orders", .mysql, in: postgresOnly) }
        #expect(throws: ClusterPlanError.self) {
            try ClusterPlan(request: Fixtures.request("orders", .mysql, in: dev), profile: prod, requestId: "r1")
        }
        #expect(throws: ClusterPlanError.self) { try Fixtures.plan("orders", .mysql, in: prod, requestId: "bad id\"") }
        #expect(throws: ClusterPlanError.self) { try Fixtures.plan("orders", .mysql, in: prod, owner: "a\"b") }
        #expect(throws: ClusterPlanError.self) { try Fixtures.plan(String(repeating: "a", count: 59), .mysql, in: prod) }
        // 63 characters, the RDS maximum, is fine: the module shortens instance identifiers.
        #expect(try Fixtures.plan(String(repeating: "a", count: 58), .mysql, in: prod).clusterIdentifier.count == 63)
        var bad = Fixtures.request("orders", .mysql, in: prod)
        bad.clusterIdentifier = "orders\"-prod"
        #expect(throws: ClusterPlanError.self) { try ClusterPlan(request: bad, profile: prod, requestId: "r1") }
    }

    @Test func variantProfilesSkipWhatTheyTurnOff() throws {
        let cases = Dictionary(uniqueKeysWithValues: try CheckovTests.variantCases().map { ($0.name, $0.plan.checkovSkips.map(\.id)) })
        #expect(Set(cases["mysql-lax"] ?? []) == [
            "CKV_AWS_139", "CKV_AWS_327", "CKV_AWS_158", "CKV_AWS_354", "CKV_AWS_166", "CKV_AWS_118", "CKV_AWS_324",
            "CKV_AWS_338", "CKV_AWS_325", "CKV_AWS_326", "CKV_AWS_162", "CKV_AWS_226",
        ])
        #expect(cases["postgresql-strict"] == ["CKV_AWS_226"])
    }

    @Test func checkovSkipsFollowTheProfile() throws {
        #expect(try Fixtures.plan("orders", .postgresql, in: prod).checkovSkips.isEmpty)
        // MySQL in Prod: only the LTS minor-upgrade policy, deliberately.
        #expect(try Fixtures.plan("orders", .mysql, in: prod).checkovSkips.map(\.id) == ["CKV_AWS_226"])
        let devSkips = try Fixtures.plan("orders", .mysql, in: dev).checkovSkips.map(\.id)
        #expect(Set(devSkips) == [
            "CKV_AWS_139", "CKV2_AWS_8", "CKV_AWS_327", "CKV_AWS_158", "CKV_AWS_353", "CKV_AWS_118", "CKV_AWS_338",
            "CKV_AWS_326", "CKV_AWS_226",
        ])
    }
}
