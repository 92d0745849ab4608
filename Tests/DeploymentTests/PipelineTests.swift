import Foundation
import Testing
import TestSupport

/// .circleci/config.yml against CircleCI's official JSON schema (tools/validate_circleci.py),
/// and the shape the deployment depends on.
@Suite struct PipelineTests {
    static func validate(_ config: URL) throws -> ProcessResult {
        try DeploymentFiles.python([
            DeploymentFiles.root.appendingPathComponent("tools/validate_circleci.py").path,
            DeploymentFiles.circleCISchema.path, config.path,
        ])
    }

    @Test func configIsValidAgainstCircleCIsSchema() throws {
        let result = try Self.validate(DeploymentFiles.circleCIConfig)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasSuffix("config.yml: valid\n"))
    }

    @Test func schemaRejectsABrokenConfig() throws {
        let broken = try DeploymentFiles.brokenCopy(of: DeploymentFiles.circleCIConfig) {
            $0.replacingOccurrences(of: "    resource_class: arm.large\n", with: "    resource_class: arm.large\n    machine_size: huge\n")
        }
        let result = try Self.validate(broken)
        #expect(result.status == 1)
        #expect(result.stdout.contains("jobs/build-function"), "\(result.stdout)")
    }

    @Test func testsRunEverywhereAndDeployOnlyOnMain() throws {
        let config = try DeploymentFiles.yaml(DeploymentFiles.circleCIConfig)
        let jobs = try #require(config["workflows", "test-and-deploy", "jobs"] as? [Any])
        var byName: [String: [String: Any]] = [:]
        for job in jobs {
            if let name = job as? String { byName[name] = [:] }
            if let entry = job as? [String: Any], let (name, settings) = entry.first { byName[name] = settings as? [String: Any] ?? [:] }
        }
        #expect(Set(byName.keys) == ["test", "build-function", "deploy"])
        #expect(byName["test"]?["filters"] == nil, "the tests run on every push")
        for job in ["build-function", "deploy"] {
            #expect(jsonEqual((byName[job] ?? [:])["filters", "branches", "only"], "main"), "\(job) runs on main only")
        }
        #expect(jsonEqual(byName["build-function"]?["requires"], ["test"]))
        #expect(jsonEqual(byName["deploy"]?["requires"], ["build-function"]))
        #expect(byName["deploy"]?["context"] != nil, "OIDC tokens need a context")

        // The test job runs the README's test command.
        let text = try String(contentsOf: DeploymentFiles.circleCIConfig, encoding: .utf8)
        let testSteps = try #require(config["jobs", "test", "steps"] as? [Any])
        #expect(testSteps.contains { jsonEqual(($0 as? [String: Any])?["run", "command"], "make test") })
        #expect(jsonEqual(config["jobs", "test", "docker"], [["image": "swift:6.3-noble"]]))
        // The function is built by sam build's Makefile route in the Swift Amazon Linux image on Arm.
        #expect(jsonEqual(config["jobs", "build-function", "docker"], [["image": "swift:6.3-amazonlinux2"]]))
        #expect(config["jobs", "build-function", "resource_class"] as? String == "arm.large")
        #expect(text.contains("sam build --config-file \"$PWD/deploy/samconfig.toml\" --template-file deploy/template.yaml"))
        // Credentials: OIDC role first, access keys as the fallback.
        #expect(text.contains("CIRCLE_OIDC_TOKEN_V2") && text.contains("AWS_WEB_IDENTITY_TOKEN_FILE"))
        #expect(text.contains("AWS_ACCESS_KEY_ID") && text.contains("AWS_SECRET_ACCESS_KEY"))
        #expect(text.contains("sam deploy"))
    }

    @Test func samConfigNamesTheStackAndCapabilities() throws {
        let script = """
            import json, sys, tomllib
            with open(sys.argv[1], "rb") as handle:
                print(json.dumps(tomllib.load(handle)))
            """
        let result = try DeploymentFiles.python(["-c", script, DeploymentFiles.samConfig.path])
        #expect(result.status == 0, "\(result.stderr)")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(config["default", "global", "parameters", "stack_name"] as? String == "rds-provisioner")
        #expect(config["default", "deploy", "parameters", "capabilities"] as? String == "CAPABILITY_IAM")
        #expect(config["default", "build", "parameters", "template_file"] as? String == "deploy/template.yaml")
    }
}
