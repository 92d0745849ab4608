import ProvisionerCore
import Testing

private typealias F = RequestFixtures

@Suite("Accepted request bodies and derived names")
struct RequestGoodBodyTests {
    @Test func theDocumentedExample() throws {
        let validated = try F.validator.validate(
            body: #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}"#.utf8)
        #expect(validated.request == ProvisionRequest(databaseName: "orders", databaseEngine: .postgresql, environment: "Dev"))
        #expect(validated.environmentSlug == "dev")
        #expect(validated.clusterIdentifier == "orders-dev")
        #expect(validated.stackPath == "stacks/dev/orders")
        #expect(validated.branch == "rds/dev/orders")
        #expect(validated.stackKey == "stacks/dev/orders")
    }

    @Test func derivedNamesForAnUnderscoredNameInProd() throws {
        let validated = try F.validator.validate(body: F.body(databaseName: #""orders_eu""#, environment: #""Prod""#))
        #expect(validated.clusterIdentifier == "orders-eu-prod")
        #expect(validated.stackPath == "stacks/prod/orders_eu")
        #expect(validated.branch == "rds/prod/orders_eu")
    }

    @Test(arguments: [
        ("MySQL", DatabaseEngine.mysql), ("mysql", .mysql), ("MYSQL", .mysql), ("aurora-mysql", .mysql), ("Aurora_MySQL", .mysql),
        ("PostgreSQL", .postgresql), ("postgresql", .postgresql), ("postgres", .postgresql), ("Postgres", .postgresql),
        ("aurora-postgresql", .postgresql), ("AURORA-POSTGRESQL", .postgresql),
    ])
    func engineSpellingsAreNormalised(spelling: String, engine: DatabaseEngine) throws {
        let validated = try F.validator.validate(body: F.body(databaseEngine: F.jsonString(spelling)))
        #expect(validated.request.databaseEngine == engine)
        #expect(validated.request.jsonBody.contains(#""databaseEngine":"\#(engine.rawValue)""#))
    }

    @Test(arguments: [("dev", "Dev"), ("DEV", "Dev"), ("Dev", "Dev"), ("prod", "Prod"), ("PROD", "Prod"), ("pRoD", "Prod")])
    func environmentSpellingsAreNormalised(spelling: String, canonical: String) throws {
        let validated = try F.validator.validate(body: F.body(environment: F.jsonString(spelling)))
        #expect(validated.request.environment == canonical)
        #expect(validated.environmentSlug == canonical.lowercased())
    }

    @Test func ownerIsKeptExactly() throws {
        let owner = "Team Payments.eu_1:core/db=a+b-c@example"
        let validated = try F.validator.validate(body: F.body(owner: F.jsonString(owner)))
        #expect(validated.request.owner == owner)
        let longest = String(repeating: "x", count: RequestValidator.maxOwnerLength)
        #expect(try F.validator.validate(body: F.body(owner: F.jsonString(longest))).request.owner == longest)
    }

    @Test func noOwnerIsNil() throws {
        #expect(try F.validator.validate(body: F.body()).request.owner == nil)
    }

    @Test func layoutDoesNotMatter() throws {
        let bodies = [
            "\u{FEFF}{\"databaseName\":\"orders\",\"databaseEngine\":\"PostgreSQL\",\"environment\":\"Dev\"}",
            "\n\t{ \"environment\" : \"Dev\" ,\r\n \"databaseEngine\": \"PostgreSQL\", \"databaseName\": \"orders\" }\n\n",
            #"{"databaseName": "\u006frders", "databaseEngine": "Postgre\u0053QL", "environment": "D\u0065v"}"#,
        ]
        for body in bodies {
            let validated = try F.validator.validate(body: body.utf8)
            #expect(validated.clusterIdentifier == "orders-dev")
        }
    }

    @Test func longestNamesFitTheClusterIdentifier() throws {
        let dev = String(repeating: "a", count: 59)
        let prod = "b" + String(repeating: "1", count: 57)
        #expect(try F.validator.validate(body: F.body(databaseName: F.jsonString(dev))).clusterIdentifier.count == 63)
        let validated = try F.validator.validate(body: F.body(databaseName: F.jsonString(prod), environment: #""Prod""#))
        #expect(validated.clusterIdentifier.count == 63)
        #expect(NamingRules.maxDatabaseNameLength(environmentSlug: "dev") == 59)
        #expect(NamingRules.maxDatabaseNameLength(environmentSlug: "prod") == 58)
    }

    @Test func oneLetterAndDigitsAreFine() throws {
        #expect(try F.validator.validate(body: F.body(databaseName: #""a""#)).clusterIdentifier == "a-dev")
        #expect(try F.validator.validate(body: F.body(databaseName: #""a1_2_b3""#)).clusterIdentifier == "a1-2-b3-dev")
    }

    @Test func decodedRequestsGetTheSameChecks() throws {
        let request = ProvisionRequest(databaseName: "orders_eu", databaseEngine: .mysql, environment: "prod", owner: "team-a")
        let validated = try F.validator.validate(request)
        #expect(validated.request.environment == "Prod")
        #expect(validated.clusterIdentifier == "orders-eu-prod")
        #expect(validated == (try F.validator.validate(body: validated.request.jsonBody.utf8)))

        let errors = #expect(throws: RequestErrors.self) {
            try F.validator.validate(ProvisionRequest(databaseName: "Orders", databaseEngine: .mysql, environment: "qa", owner: "$"))
        }
        #expect(errors?.errors.map(\.code) == [.invalidDatabaseName, .unknownEnvironment, .invalidOwner])
    }

    @Test func rawFieldsGetTheBodyRules() throws {
        let validated = try F.validator.validate(fields: ["databaseName": "orders", "databaseEngine": "postgres", "environment": "prod"])
        #expect(validated == (try F.validator.validate(body: F.body(environment: #""Prod""#))))
        let errors = #expect(throws: RequestErrors.self) {
            try F.validator.validate(fields: ["databaseName": "orders", "engine": "mysql", "environment": "dev"])
        }
        #expect(errors?.errors.map(\.code) == [.unknownField, .missingField])
        #expect(errors?.first.field == "engine")
    }

    @Test func jsonBodyRoundTrips() throws {
        let validated = try F.validator.validate(body: F.body(databaseEngine: #""aurora-mysql""#, environment: #""prod""#, owner: #""ops""#))
        #expect(validated.request.jsonBody == #"{"databaseEngine":"MySQL","databaseName":"orders","environment":"Prod","owner":"ops"}"#)
        #expect(try F.validator.validate(body: validated.request.jsonBody.utf8) == validated)
    }

    @Test func namingRulesHelpersAgreeWithTheValidator() {
        #expect(NamingRules.isValidDatabaseName("orders", engine: .postgresql))
        #expect(!NamingRules.isValidDatabaseName("select", engine: .mysql))
        #expect(!NamingRules.isValidDatabaseName(String(repeating: "a", count: 59), engine: .mysql, environmentSlug: "prod"))
        #expect(NamingRules.isValidClusterIdentifier("orders-eu-prod"))
        #expect(!NamingRules.isValidClusterIdentifier("orders--prod"))
        #expect(!NamingRules.isValidClusterIdentifier("orders-"))
        #expect(!NamingRules.isValidClusterIdentifier("1orders"))
        #expect(!NamingRules.isValidClusterIdentifier(String(repeating: "a", count: 64)))
        #expect(NamingRules.isValidEnvironmentSlug("prod"))
        #expect(!NamingRules.isValidEnvironmentSlug("pre-prod"))
        #expect(!NamingRules.isValidEnvironmentSlug("Prod"))
        for profile in ProfileSet.builtIn.profiles {
            #expect(NamingRules.isValidEnvironmentSlug(profile.slug), "built-in profile \(profile.name)")
        }
    }
}
