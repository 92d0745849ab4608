import Foundation
import Testing
import TestSupport

/// deploy/template.yaml: linted by cfn-lint (with the SAM transform) and checkov, its request
/// schema identical to openapi.yaml's, and the wiring the code depends on.
@Suite struct TemplateTests {
    static func cfnLint(_ file: URL) throws -> ProcessResult {
        // cfn-lint 1.51.0 expands `Transform: AWS::Serverless-2016-10-31` and lints the result.
        try ProcessRunner.run(try TestEnvironment.pythonTool("cfn-lint").path, [file.path], in: DeploymentFiles.root)
    }

    @Test func cfnLintFindsNothing() throws {
        let result = try Self.cfnLint(DeploymentFiles.template)
        #expect(result.status == 0, "cfn-lint: \(result.stdout)\(result.stderr)")
        #expect(result.stdout.isEmpty, "cfn-lint warnings: \(result.stdout)")
    }

    @Test func cfnLintRejectsABrokenTemplate() throws {
        let broken = try DeploymentFiles.brokenCopy(of: DeploymentFiles.template) {
            $0.replacingOccurrences(of: "Runtime: provided.al2023", with: "Runtime: provided.al2099")
        }
        let result = try Self.cfnLint(broken)
        #expect(result.status != 0)
        #expect(result.stdout.contains("provided.al2099"), "\(result.stdout)")
    }

    struct CheckovReport: Decodable {
        struct Results: Decodable {
            var failed_checks: [Check]
            var skipped_checks: [Check]
            var passed_checks: [Check]
        }
        struct Check: Decodable {
            struct Outcome: Decodable { var suppress_comment: String? }
            var check_id: String
            var resource: String
            var check_result: Outcome
        }
        var results: Results
    }

    static func checkov(_ file: URL) throws -> CheckovReport {
        let result = try ProcessRunner.run(
            try TestEnvironment.pythonTool("checkov").path,
            ["--skip-download", "--framework", "cloudformation", "--compact", "--output", "json", "-f", file.path],
            in: DeploymentFiles.root,
            environment: ["BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"])
        guard result.status == 0 || result.status == 1 else {
            throw TestSupportError("checkov failed (\(result.status)): \(result.stderr.suffix(2000))")
        }
        return try JSONDecoder().decode(CheckovReport.self, from: Data(result.stdout.utf8))
    }

    @Test func checkovPassesWithOnlyTheReasonedSkips() throws {
        let report = try Self.checkov(DeploymentFiles.template)
        #expect(report.results.failed_checks.map { "\($0.check_id) \($0.resource)" } == [])
        let skipped = Dictionary(uniqueKeysWithValues: report.results.skipped_checks.map {
            ("\($0.check_id) \($0.resource)", $0.check_result.suppress_comment ?? "")
        })
        #expect(Set(skipped.keys) == [
            "CKV_AWS_116 AWS::Serverless::Function.ProvisionerFunction",
            "CKV_AWS_117 AWS::Serverless::Function.ProvisionerFunction",
            "CKV_AWS_120 AWS::Serverless::Api.ProvisionerApi",
        ])
        for (check, reason) in skipped { #expect(reason.count > 40, "\(check) is skipped without a reason") }
        #expect(report.results.passed_checks.count >= 20)
    }

    @Test func checkovFailsAnUnencryptedTopic() throws {
        let broken = try DeploymentFiles.brokenCopy(of: DeploymentFiles.template) {
            $0.replacingOccurrences(
                of: "  RequestsTopic:\n    Type: AWS::SNS::Topic\n    Properties:\n      KmsMasterKeyId: !Ref DataKey\n",
                with: "  RequestsTopic:\n    Type: AWS::SNS::Topic\n")
        }
        let report = try Self.checkov(broken)
        #expect(report.results.failed_checks.map { "\($0.check_id) \($0.resource)" } == ["CKV_AWS_26 AWS::SNS::Topic.RequestsTopic"])
    }

    // MARK: - One request schema

    static func templateSchema(_ template: [String: Any]) -> Any? {
        template["Resources", "ProvisionerApi", "Properties", "DefinitionBody", "components", "schemas", "ProvisionRequest"]
    }

    @Test func requestSchemaIsOpenAPIsProvisionRequest() throws {
        let contract = try DeploymentFiles.yaml(DeploymentFiles.openAPI)["components", "schemas", "ProvisionRequest"]
        let edge = Self.templateSchema(try DeploymentFiles.yaml(DeploymentFiles.template))
        #expect(contract != nil && edge != nil)
        #expect(jsonEqual(contract, edge), "deploy/template.yaml's ProvisionRequest differs from openapi.yaml's: copy it again")
        // The drift check notices a one-character change.
        let drifted = try DeploymentFiles.brokenCopy(of: DeploymentFiles.template) {
            $0.replacingOccurrences(of: "maxLength: 59", with: "maxLength: 60")
        }
        #expect(!jsonEqual(contract, Self.templateSchema(try DeploymentFiles.yaml(drifted))))
    }

    /// API Gateway models are JSON Schema draft 4: the schema is a valid draft-4 schema and, read
    /// as draft 4, accepts and refuses what the contract says.
    @Test func requestSchemaWorksAsDraft4() throws {
        let schema = try #require(Self.templateSchema(try DeploymentFiles.yaml(DeploymentFiles.template)))
        let cases: [(body: String, valid: Bool)] = [
            (#"{"databaseName":"orders","databaseEngine":"PostgreSQL","environment":"Dev"}"#, true),
            (#"{"databaseName":"billing_eu","databaseEngine":"MySQL","environment":"Prod","owner":"team-payments"}"#, true),
            (#"{"databaseName":"Orders","databaseEngine":"PostgreSQL","environment":"Dev"}"#, false),
            (#"{"databaseName":"orders_","databaseEngine":"PostgreSQL","environment":"Dev"}"#, false),
            (#"{"databaseName":"orders","databaseEngine":"Oracle","environment":"Dev"}"#, false),
            (#"{"databaseName":"orders","databaseEngine":"MySQL"}"#, false),
            (#"{"databaseName":"orders","databaseEngine":"MySQL","environment":"Dev","extra":1}"#, false),
            (#"{"databaseName":"orders","databaseEngine":"MySQL","environment":"Dev","owner":" team"}"#, false),
            (#"{"databaseName":"\#(String(repeating: "a", count: 60))","databaseEngine":"MySQL","environment":"Dev"}"#, false),
        ]
        let input = try JSONSerialization.data(withJSONObject: [
            "schema": schema, "bodies": cases.map { try JSONSerialization.jsonObject(with: Data($0.body.utf8)) },
        ])
        let script = """
            import json, sys, jsonschema
            data = json.load(sys.stdin)
            jsonschema.Draft4Validator.check_schema(data["schema"])
            validator = jsonschema.Draft4Validator(data["schema"])
            print(json.dumps([validator.is_valid(body) for body in data["bodies"]]))
            """
        let result = try DeploymentFiles.python(["-c", script], input: String(decoding: input, as: UTF8.self))
        #expect(result.status == 0, "\(result.stderr)")
        let verdicts = try JSONDecoder().decode([Bool].self, from: Data(result.stdout.utf8))
        #expect(verdicts == cases.map(\.valid))
    }

    // MARK: - Wiring

    static var resources: [String: Any] {
        get throws { try #require(try DeploymentFiles.yaml(DeploymentFiles.template)["Resources"] as? [String: Any]) }
    }

    @Test func noWildcardActionsAnywhere() throws {
        var actions: [String] = []
        allValues(try DeploymentFiles.yaml(DeploymentFiles.template)) { key, value in
            if key == "Action", let action = value as? String { actions.append(action) }
        }
        #expect(actions.count > 20)
        #expect(actions.filter { $0 == "*" || $0.hasSuffix(":*") } == [])
    }

    @Test func queueRedriveAndFunctionAgree() throws {
        let resources = try Self.resources
        let queue = try #require(resources["RequestsQueue", "Properties"] as? [String: Any])
        let function = try #require(resources["ProvisionerFunction", "Properties"] as? [String: Any])
        // maxReceiveCount and RDS_PROVISIONER_MAX_RECEIVES are the same parameter.
        #expect(jsonEqual(queue["RedrivePolicy", "maxReceiveCount"], ["Ref": "MaxReceives"]))
        #expect(jsonEqual(function["Environment", "Variables", "RDS_PROVISIONER_MAX_RECEIVES"], ["Ref": "MaxReceives"]))
        #expect(jsonEqual(queue["RedrivePolicy", "deadLetterTargetArn"], ["Fn::GetAtt": ["RequestsDeadLetterQueue", "Arn"]]))
        // Visibility timeout at least six times the function timeout.
        let visibility = try #require(queue["VisibilityTimeout"] as? Int)
        let timeout = try #require(function["Timeout"] as? Int)
        #expect(visibility >= 6 * timeout)
        // Partial batch responses, bounded concurrency, the Swift custom runtime on arm64.
        let event = try #require(function["Events", "Requests", "Properties"] as? [String: Any])
        #expect(jsonEqual(event["FunctionResponseTypes"], ["ReportBatchItemFailures"]))
        #expect(jsonEqual(event["ScalingConfig", "MaximumConcurrency"], ["Ref": "MaximumConcurrency"]))
        let globals = try DeploymentFiles.yaml(DeploymentFiles.template)["Globals", "Function"] as? [String: Any]
        #expect(globals?["Runtime"] as? String == "provided.al2023")
        #expect(jsonEqual(globals?["Architectures"], ["arm64"]))
        #expect(function["Handler"] as? String == "bootstrap")
        #expect(resources["ProvisionerFunction", "Metadata", "BuildMethod"] as? String == "makefile")
        // Raw delivery off: the function reads the SNS envelope, whose MessageId is the request id.
        #expect(resources["RequestsSubscription", "Properties", "RawMessageDelivery"] as? Bool == false)
    }

    /// The variables the template sets are ones the bootstrap reads (Sources/bootstrap/main.swift,
    /// and GitHubConfiguration for the GITHUB_* ones).
    @Test func functionEnvironmentMatchesTheBootstrap() throws {
        let variables = try #require(try Self.resources["ProvisionerFunction", "Properties", "Environment", "Variables"] as? [String: Any])
        let readers = try ["Sources/bootstrap/main.swift", "Sources/ProvisionerGitHub/GitHubConfiguration.swift"].map {
            try String(contentsOf: DeploymentFiles.root.appendingPathComponent($0), encoding: .utf8)
        }.joined()
        for name in variables.keys { #expect(readers.contains("\"\(name)\""), "the bootstrap does not read \(name)") }
        #expect(variables.keys.contains("RDS_PROVISIONER_STATUS_TABLE"))
        #expect(variables["GITHUB_TOKEN"] == nil, "the token comes from Secrets Manager, never from the template")
    }

    /// The table is DynamoDBStatusStore's: only the partition key `requestId` (S), as its
    /// createTable (used by the moto tests) makes it.
    @Test func statusTableMatchesTheStore() throws {
        let table = try #require(try Self.resources["StatusTable", "Properties"] as? [String: Any])
        #expect(jsonEqual(table["KeySchema"], [["AttributeName": "requestId", "KeyType": "HASH"]]))
        #expect(jsonEqual(table["AttributeDefinitions"], [["AttributeName": "requestId", "AttributeType": "S"]]))
        #expect(table["GlobalSecondaryIndexes"] == nil)
        let store = try String(
            contentsOf: DeploymentFiles.root.appendingPathComponent("Sources/ProvisionerAWS/DynamoDBStatusStore.swift"), encoding: .utf8)
        #expect(store.contains(#""KeySchema": [["AttributeName": "requestId", "KeyType": "HASH"]]"#))
        #expect(!store.contains("GlobalSecondaryIndexes"))
    }

    @Test func permissionsAreScoped() throws {
        let resources = try Self.resources
        let statements = try #require(resources["ProvisionerFunction", "Properties", "Policies"] as? [Any])
        var actions: [String: Any] = [:]
        allValues(statements) { _, value in
            if let statement = value as? [String: Any], let sid = statement["Sid"] as? String { actions[sid] = statement }
        }
        let store = try #require(actions["StatusStore"] as? [String: Any])
        #expect(jsonEqual(store["Action"], ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]))
        let secret = try #require(actions["GitHubToken"] as? [String: Any])
        #expect(secret["Action"] as? String == "secretsmanager:GetSecretValue")
        let arn = try #require((secret["Resource"] as? [String: Any])?["Fn::Sub"] as? String)
        #expect(arn.hasSuffix(":secret:${GitHubSecretName}-??????"))
        // API Gateway's role: publish to the topic, read one item.
        let api = try #require(resources["ApiIntegrationRole", "Properties", "Policies"] as? [Any])
        var apiActions: Set<String> = []
        allValues(api) { key, value in
            if key == "Action", let action = value as? String { apiActions.insert(action) }
            if key == "Action", let list = value as? [String] { apiActions.formUnion(list) }
        }
        #expect(apiActions == ["sns:Publish", "dynamodb:GetItem", "kms:Decrypt", "kms:GenerateDataKey"])
    }

    /// POST /provision answers the local API's 202 body from SNS's MessageId; errors keep the
    /// local error shape.
    @Test func apiAnswersLikeTheLocalAPI() throws {
        let paths = try #require(try Self.resources["ProvisionerApi", "Properties", "DefinitionBody", "paths"] as? [String: Any])
        let provision = try #require(paths["/provision", "post"] as? [String: Any])
        let integration = try #require(provision["x-amazon-apigateway-integration"] as? [String: Any])
        #expect(jsonEqual(integration["uri"], ["Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:sns:action/Publish"]))
        #expect(provision["x-amazon-apigateway-request-validator"] as? String == "body")
        let accepted = try #require(integration["responses", "2\\d{2}", "responseTemplates", "application/json"] as? String)
        #expect(accepted.contains("$input.path('$.PublishResponse.PublishResult.MessageId')"))
        #expect(accepted.contains(#"{"requestId":"$id","status":"queued","statusUrl":"/requests/$id"}"#))
        let get = try #require(paths["/requests/{id}", "get", "x-amazon-apigateway-integration"] as? [String: Any])
        #expect(jsonEqual(get["uri"], ["Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:dynamodb:action/GetItem"]))
        let lookup = try #require(get["requestTemplates", "application/json", "Fn::Sub"] as? String)
        #expect(lookup.contains(#"{"TableName":"${StatusTable}","ConsistentRead":true,"Key":{"requestId":{"S":"$id"}}}"#))
        let record = try #require(get["responses", "2\\d{2}", "responseTemplates", "application/json"] as? String)
        #expect(record.contains("$input.path('$.Item.record.S')"))
        #expect(record.contains("request_not_found") && record.contains("invalid_request_id"))
        // Every JSON error body the gateway writes parses as an ErrorResponse (error + errors).
        var bodies: [String] = []
        allValues(try Self.resources["ProvisionerApi", "Properties", "DefinitionBody"] as Any) { key, value in
            if key == "application/json", let text = value as? String, text.hasPrefix("{\"error\"") { bodies.append(text) }
        }
        #expect(bodies.count >= 6)
        for body in bodies {
            // As API Gateway substitutes them: messageString comes quoted, validationErrorString not.
            let substituted = body.replacingOccurrences(of: "$context.error.messageString", with: #""Request too large""#)
                .replacingOccurrences(of: "$context.error.validationErrorString", with: "[object has missing required properties]")
            let object = try JSONSerialization.jsonObject(with: Data(substituted.utf8)) as? [String: Any]
            let error = object?["error"] as? [String: Any]
            #expect(error?["code"] is String && error?["message"] is String && error?.keys.contains("field") == true, "\(body)")
            #expect((object?["errors"] as? [Any])?.count == 1, "\(body)")
        }
    }
}
