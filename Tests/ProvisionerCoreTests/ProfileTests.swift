import Foundation
import ProvisionerCore
import ProvisionerYAML
import TestSupport
import Testing

@Suite struct ProfileTests {
    @Test func builtInProfilesAreDevAndProd() throws {
        let set = ProfileSet.builtIn
        #expect(set.names == ["Dev", "Prod"])
        #expect(set.profile(named: "dEV")?.name == "Dev")
        #expect(set.profile(named: "PROD")?.slug == "prod")
        #expect(set.profile(named: "Staging") == nil)
        let prod = try #require(set.profile(named: "Prod"))
        #expect(prod.instances.count >= 2 && prod.instances.spreadAcrossAZs)
        #expect(prod.deletionProtection && prod.finalSnapshot)
        #expect(prod.backup.retentionDays >= 14)
        #expect(prod.performanceInsights.enabled && prod.enhancedMonitoringInterval > 0)
        let dev = try #require(set.profile(named: "Dev"))
        #expect(dev.capacity.isServerless && dev.capacity.minACU == 0)
        #expect(!dev.deletionProtection && !dev.finalSnapshot)
    }

    @Test func emptyFileKeepsTheBuiltIns() throws {
        #expect(try ProfileFile.load(json: Array("{}".utf8)) == .builtIn)
    }

    static let yaml = """
        version: 1
        defaults:
          region: eu-west-1
          deployRoleArn: arn:aws:iam::123456789012:role/rds-provisioner-deploy
          state: {bucket: acme-terraform-state, region: eu-west-1}
          network:
            vpcId: vpc-0123456789abcdef0
            subnetIds: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
            allowedCidrs: [10.20.0.0/16]
          tags: {CostCentre: "1234", Team: platform}
        environments:
          Prod:
            backup: {retentionDays: 30}
            engines:
              postgresql: {version: "17"}
          Staging:
            base: Prod
            allowedEngines: [PostgreSQL]
            instances: {count: 1}
            capacity: {minACU: 0.5, maxACU: 8}
            tags: {Team: null, Tier: staging}
        """

    @Test func yamlOverridesAndExtends() throws {
        let set = try YAMLProfileFile.load(yaml: Self.yaml)
        #expect(set.names == ["Dev", "Prod", "Staging"])
        let dev = try #require(set.profile(named: "dev"))
        #expect(dev.region == "eu-west-1")  // defaults reach the built-ins
        #expect(dev.backup.retentionDays == 1)  // ... without touching what they do not set
        let prod = try #require(set.profile(named: "prod"))
        #expect(prod.backup.retentionDays == 30)
        #expect(prod.engines.postgresql.version == "17")
        #expect(prod.tags == ["CostCentre": "1234", "Team": "platform"])
        let staging = try #require(set.profile(named: "STAGING"))
        #expect(staging.name == "Staging" && staging.slug == "staging")
        #expect(staging.backup.retentionDays == 30)  // inherited from its base, Prod
        #expect(staging.engines.postgresql.version == "17")
        #expect(staging.allowedEngines == [.postgresql])
        #expect(staging.instances.count == 1)
        #expect(staging.capacity.minACU == 0.5 && staging.capacity.maxACU == 8)
        #expect(staging.tags == ["CostCentre": "1234", "Tier": "staging"])
        #expect(staging.network.subnetIds.count == 2)
    }

    @Test func jsonAndYamlGiveTheSameProfiles() throws {
        let json = """
            {"defaults": {"region": "eu-west-1", "tags": {"CostCentre": "1234"}},
             "environments": {"Staging": {"base": "Prod", "capacity": {"minACU": 1, "maxACU": 8.5}}}}
            """
        let yaml = """
            defaults:
              region: eu-west-1
              tags: {CostCentre: "1234"}
            environments:
              Staging: {base: Prod, capacity: {minACU: 1, maxACU: 8.5}}
            """
        let fromJSON = try ProfileFile.load(json: Array(json.utf8))
        #expect(fromJSON == (try YAMLProfileFile.load(yaml: yaml)))
        #expect(fromJSON.profile(named: "staging")?.capacity.maxACU == 8.5)
    }

    @Test func loadsFilesByExtension() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory()
        let yamlURL = directory.appendingPathComponent("profiles.yaml")
        try Self.yaml.write(to: yamlURL, atomically: true, encoding: .utf8)
        #expect(try YAMLProfileFile.load(contentsOf: yamlURL).names == ["Dev", "Prod", "Staging"])
        let jsonURL = directory.appendingPathComponent("profiles.json")
        try #"{"environments": {"QA": {"base": "Dev"}}}"#.write(to: jsonURL, atomically: true, encoding: .utf8)
        #expect(try YAMLProfileFile.load(contentsOf: jsonURL).names == ["Dev", "Prod", "QA"])
        let other = directory.appendingPathComponent("profiles.toml")
        try "".write(to: other, atomically: true, encoding: .utf8)
        #expect(throws: ProfileFileError.self) { try YAMLProfileFile.load(contentsOf: other) }
    }

    /// Every kind of bad file, with the key path and message it must produce.
    @Test(arguments: [
        ("environments: {Prod: {backup: {retentionDays: 90}}}",
         "environments.Prod.backup.retentionDays: must be an integer from 1 to 35, got 90"),
        ("environments: {Prod: {backup: {retentionDay: 9}}}",
         "environments.Prod.backup.retentionDay: unknown key; expected one of retentionDays, window, awsBackup"),
        ("colour: blue", "colour: unknown key; expected one of version, defaults, environments"),
        ("version: 2", "version: must be 1, got 2"),
        ("defaults: {region: Europe}", "defaults.region: must be an AWS region name such as eu-west-1, got \"Europe\""),
        ("defaults: {deletionProtection: \"yes\"}", "defaults.deletionProtection: must be true or false, got \"yes\""),
        ("environments: {Stag-ing: {base: Prod}}",
         "environments.Stag-ing: environment names are a letter then up to 15 letters or digits (no hyphens or spaces)"),
        ("environments: {Staging: {instances: {count: 1}}}",
         "environments.Staging.base: a new environment needs a base to start from (one of Dev, Prod, Staging)"),
        ("environments: {Staging: {base: Qa}}", "environments.Staging.base: no environment named Qa; known: Dev, Prod, Staging"),
        ("environments: {A: {base: B}, B: {base: A}}", "environments.A.base: bases form a cycle: A → B → A"),
        ("environments: {prod: {}, Prod: {}}", "environments.Prod: the same environment as prod (names are case-insensitive)"),
        ("defaults: {network: {vpcId: vpc-123}}",
         "defaults.network.vpcId: must be a VPC id such as vpc-0123456789abcdef0, got \"vpc-123\""),
        ("defaults: {network: {subnetIds: [subnet-0123456789abcdef0, subnet-xyz]}}",
         "defaults.network.subnetIds[1]: must be a subnet id such as subnet-0123456789abcdef0, got \"subnet-xyz\""),
        ("defaults: {network: {allowedSecurityGroupIds: [sg-1]}}",
         "defaults.network.allowedSecurityGroupIds[0]: must be a security group id such as sg-0123456789abcdef0, got \"sg-1\""),
        ("defaults: {network: {allowedCidrs: [0.0.0.0/0]}}",
         "defaults.network.allowedCidrs[0]: must not be 0.0.0.0/0: a database is never open to the whole internet, got \"0.0.0.0/0\""),
        ("defaults: {network: {allowedCidrs: [10.1.2.3/16]}}",
         "defaults.network.allowedCidrs[0]: must be a network address (host bits zero): did you mean 10.1.0.0/16?, got \"10.1.2.3/16\""),
        ("defaults: {maintenanceWindow: \"sunday 4am\"}",
         "defaults.maintenanceWindow: must be a weekly UTC window ddd:hh24:mi-ddd:hh24:mi of at least 30 minutes, such as sun:04:00-sun:05:00, got \"sunday 4am\""),
        ("defaults: {backup: {window: \"02:00-02:10\"}}",
         "defaults.backup.window: must be a daily UTC window hh24:mi-hh24:mi of at least 30 minutes, such as 02:00-03:00, got \"02:00-02:10\""),
        ("environments: {Prod: {maintenanceWindow: \"mon:02:30-mon:03:30\"}}",
         "environments.Prod.maintenanceWindow: mon:02:30-mon:03:30 overlaps the daily backup window 02:00-03:00; RDS refuses overlapping windows"),
        ("defaults: {tags: {\"aws:owner\": x}}", "defaults.tags.aws:owner: must not start with aws: (reserved by AWS), got \"aws:owner\""),
        ("defaults: {tags: {Team: \"a;b\"}}",
         "defaults.tags.Team: must be a tag value: at most 256 letters, digits, spaces and _ . : / = + - @, got \"a;b\""),
        ("defaults: {tags: {\"rds-provisioner:x\": y}}",
         "defaults.tags.rds-provisioner:x: tag keys starting with rds-provisioner: are set by the service"),
        ("defaults: {capacity: {instanceClass: r7g.large}}",
         "defaults.capacity.instanceClass: must be a DB instance class such as db.serverless or db.r7g.large, got \"r7g.large\""),
        ("defaults: {capacity: {minACU: 0.25}}",
         "defaults.capacity.minACU: must be a number of ACUs from 0 to 256 in steps of 0.5, got 0.25"),
        ("environments: {Dev: {capacity: {minACU: 8, maxACU: 4}}}", "environments.Dev.capacity: minACU (8) is greater than maxACU (4)"),
        ("defaults: {deployRoleArn: \"arn:aws:iam::123:role/x\"}",
         "defaults.deployRoleArn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/rds-provisioner-deploy, got \"arn:aws:iam::123:role/x\""),
        ("defaults: {encryption: {kmsKeyArn: \"alias/aws/rds\"}}",
         "defaults.encryption.kmsKeyArn: must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab, got \"alias/aws/rds\""),
        ("defaults: {state: {bucket: My_Bucket}}",
         "defaults.state.bucket: must be an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', got \"My_Bucket\""),
        ("defaults: {engines: {mysql: {version: \"5.7.mysql_aurora.2.12.1\"}}}",
         "defaults.engines.mysql.version: must be an exact Aurora MySQL version 3 or later, such as 8.0.mysql_aurora.3.10.1, got \"5.7.mysql_aurora.2.12.1\""),
        ("defaults: {engines: {postgresql: {version: \"12\"}}}",
         "defaults.engines.postgresql.version: must be an Aurora PostgreSQL version 13 or later, as a major (16) or major.minor (16.6), got \"12\""),
        ("defaults: {engines: {postgresql: {logExports: [audit]}}}",
         "defaults.engines.postgresql.logExports[0]: must be one of postgresql, iam-db-auth-error, got \"audit\""),
        ("defaults: {engines: {oracle: {}}}", "defaults.engines.oracle: unknown key; expected one of mysql, postgresql"),
        ("defaults: {allowedEngines: [MySQL, Oracle]}", "defaults.allowedEngines[1]: must be MySQL or PostgreSQL, got \"Oracle\""),
        ("defaults: {allowedEngines: []}", "defaults.allowedEngines: must not be empty"),
        ("defaults: {credentials: {mode: literal}}", "defaults.credentials.mode: must be managed or shared-secret, got \"literal\""),
        ("defaults: {credentials: {username: admin-user}}",
         "defaults.credentials.username: must be a database user name: a letter, then up to 15 letters, digits or _, got \"admin-user\""),
        ("defaults: {performanceInsights: {retentionDays: 30}}",
         "defaults.performanceInsights.retentionDays: must be 7, a multiple of 31 up to 713 (months), or 731, got 30"),
        ("defaults: {enhancedMonitoringInterval: 45}",
         "defaults.enhancedMonitoringInterval: must be one of 0, 1, 5, 10, 15, 30, 60, got 45"),
        ("defaults: {network: {subnetIds: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]}}",
         "defaults.network.vpcId: is required when subnetIds or dbSubnetGroupName is set"),
        ("defaults: {network: {vpcId: vpc-0123456789abcdef0, subnetIds: [subnet-0123456789abcdef0]}}",
         "defaults.network.subnetIds: needs at least two subnets in different availability zones"),
        ("environments: [Dev]", "environments: must be an object, got a list"),
        ("defaults: {engines: {postgresql: {version: 16}}}",
         "defaults.engines.postgresql.version: must be a string; put numbers in quotes, as in \"16\", got 16"),
        ("defaults: {tags: {CostCentre: 4711}}", "defaults.tags.CostCentre: must be a string; put numbers in quotes, as in \"16\", got 4711"),
        ("defaults: {region: [eu-west-1]}", "defaults.region: must be a string, got a list"),
        ("defaults: {backtrackWindowHours: 100}", "defaults.backtrackWindowHours: must be an integer from 0 to 72, got 100"),
    ])
    func badFilesNameTheKeyPath(yaml: String, expected: String) throws {
        let error = #expect(throws: ProfileFileError.self) { try YAMLProfileFile.load(yaml: yaml) }
        #expect(error?.description == expected)
    }

    @Test func badJSONIsReportedWithItsPosition() throws {
        let cases: [(String, String)] = [
            (#"{"defaults": {"region": "eu-west-1",}}"#, "invalid JSON at line 1, column 37: expected a key in double quotes"),
            ("{\"a\": 1,\n \"a\": 2}", "invalid JSON at line 2, column 2: duplicate key \"a\""),
            (#"{"defaults": {"backup": {"retentionDays": 1.5}}}"#,
             "defaults.backup.retentionDays: must be an integer from 1 to 35, got 1.5"),
            ("", "invalid JSON at line 1, column 1: unexpected end of input"),
        ]
        for (json, expected) in cases {
            let error = #expect(throws: ProfileFileError.self) { try ProfileFile.load(json: Array(json.utf8)) }
            #expect(error?.description == expected)
        }
    }

    @Test func badYAMLIsReported() throws {
        let duplicate = #expect(throws: ProfileFileError.self) { try YAMLProfileFile.load(yaml: "defaults: {}\ndefaults: {}\n") }
        #expect(duplicate?.description.hasPrefix("invalid YAML: duplicate key defaults") == true)
        // Anchors and aliases are plain YAML sharing: Yams resolves them before the decoder sees them.
        let shared = try YAMLProfileFile.load(yaml: "defaults: &d {region: eu-west-1}\nenvironments: {Dev: *d}\n")
        #expect(shared.profile(named: "Dev")?.region == "eu-west-1")
        #expect(throws: ProfileFileError.self) { try YAMLProfileFile.load(yaml: "") }
    }

    @Test func nullClearsOptionalSettings() throws {
        let set = try YAMLProfileFile.load(yaml: """
            defaults: {deployRoleArn: "arn:aws:iam::123456789012:role/deploy"}
            environments: {Dev: {deployRoleArn: null}}
            """)
        #expect(set.profile(named: "Dev")?.deployRoleArn == nil)
        #expect(set.profile(named: "Prod")?.deployRoleArn == "arn:aws:iam::123456789012:role/deploy")
    }

    /// The examples in docs/profiles.md load, and mean what the document says.
    @Test func documentedExamplesLoad() throws {
        let doc = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("docs/profiles.md"), encoding: .utf8)
        func block(_ language: String) throws -> String {
            let start = try #require(doc.range(of: "```\(language)\n"))
            let end = try #require(doc.range(of: "\n```", range: start.upperBound..<doc.endIndex))
            return String(doc[start.upperBound..<end.lowerBound])
        }
        let set = try YAMLProfileFile.load(yaml: try block("yaml"))
        #expect(set.names == ["Dev", "Prod", "Staging"])
        let staging = try #require(set.profile(named: "staging"))
        #expect(staging.engines.postgresql.version == "17" && staging.backup.retentionDays == 7)
        #expect(staging.tags == ["Tier": "staging"])
        #expect(set.profile(named: "dev")?.capacity.maxACU == 2)
        #expect(try ProfileFile.load(json: Array(try block("json").utf8)).names == ["Dev", "Prod", "Staging"])
    }

    @Test func scaleToZeroFollowsTheEngineVersion() {
        #expect(EngineVersion.supportsScaleToZero("16", engine: .postgresql))
        #expect(EngineVersion.supportsScaleToZero("17", engine: .postgresql))
        #expect(!EngineVersion.supportsScaleToZero("15", engine: .postgresql))
        #expect(EngineVersion.supportsScaleToZero("15.7", engine: .postgresql))
        #expect(!EngineVersion.supportsScaleToZero("15.6", engine: .postgresql))
        #expect(EngineVersion.supportsScaleToZero("13.15", engine: .postgresql))
        #expect(!EngineVersion.supportsScaleToZero("14.11", engine: .postgresql))
        #expect(!EngineVersion.supportsScaleToZero("16.2", engine: .postgresql))
        #expect(EngineVersion.supportsScaleToZero("8.0.mysql_aurora.3.08.0", engine: .mysql))
        #expect(EngineVersion.supportsScaleToZero("8.0.mysql_aurora.3.10.1", engine: .mysql))
        #expect(!EngineVersion.supportsScaleToZero("8.0.mysql_aurora.3.04.3", engine: .mysql))
    }

    @Test func windowsOverlap() {
        #expect(AWSRules.windowsOverlap(backup: "02:00-03:00", maintenance: "sun:02:30-sun:03:30"))
        #expect(!AWSRules.windowsOverlap(backup: "02:00-03:00", maintenance: "sun:03:00-sun:04:00"))
        #expect(AWSRules.windowsOverlap(backup: "23:30-00:30", maintenance: "mon:00:00-mon:01:00"))
        #expect(AWSRules.windowsOverlap(backup: "23:30-00:30", maintenance: "sun:23:45-mon:00:45"))
        #expect(!AWSRules.windowsOverlap(backup: "01:00-02:00", maintenance: "sun:23:00-mon:00:30"))
    }
}
