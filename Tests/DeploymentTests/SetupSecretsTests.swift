import Foundation
import Testing
import TestSupport

/// scripts/setup-secrets against moto_server: creates, then updates, the two secrets with the
/// keys the Lambda and the Terraform module read, and never prints the value.
@Suite(.serialized) struct SetupSecretsTests {
    /// A moto_server of its own (tools/moto_server.py) on a port the OS picks.
    static func withMoto(_ body: ([String: String]) async throws -> Void) async throws {
        let server = try ServerProcess(
            try TestEnvironment.pythonTool("python3"),
            [DeploymentFiles.root.appendingPathComponent("tools/moto_server.py").path, "-H", "127.0.0.1", "-p", "0", "--exit-with-parent"])
        defer { server.stop() }
        guard let line = await server.waitForLine(containing: "Running on http://127.0.0.1:"),
            let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else { throw TestSupportError("moto_server did not start: \(server.output.joined(separator: "\n"))") }
        try await body([
            "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)", "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        ])
    }

    static func setupSecrets(_ arguments: [String], input: String, _ environment: [String: String]) throws -> ProcessResult {
        try DeploymentFiles.python([DeploymentFiles.setupSecrets.path] + arguments, environment: environment, input: input)
    }

    /// The stored secret string, read back with boto3 (compared here, never printed).
    static func stored(_ name: String, _ environment: [String: String]) throws -> [String: String] {
        let script = """
            import os, sys, boto3
            client = boto3.client("secretsmanager", region_name=os.environ["AWS_REGION"])
            print(client.get_secret_value(SecretId=sys.argv[1])["SecretString"])
            """
        let result = try DeploymentFiles.python(["-c", script, name], environment: environment)
        guard result.status == 0 else {
            throw TestSupportError("reading \(name) failed (status \(result.status)): \(result.stderr.suffix(500))")
        }
        return try JSONDecoder().decode([String: String].self, from: Data(result.stdout.utf8))
    }

    @Test func storesTheGitHubTokenAndUpdatesIt() async throws {
        try await Self.withMoto { environment in
            let first = "ghp_FIRSTsecretTOKEN000000000000000000"
            let created = try Self.setupSecrets(["github-secret"], input: first + "\n", environment)
            #expect(created.status == 0, "\(created.stderr)")
            #expect(created.stdout.hasPrefix("created secret github-secret (arn:aws:secretsmanager:us-east-1:"))
            #expect(try Self.stored("github-secret", environment) == ["github-token": first])

            let second = "ghp_SECONDsecretTOKEN00000000000000000"
            let updated = try Self.setupSecrets(["github-secret"], input: second + "\n", environment)
            #expect(updated.status == 0, "\(updated.stderr)")
            #expect(updated.stdout.hasPrefix("updated secret github-secret"))
            #expect(try Self.stored("github-secret", environment) == ["github-token": second])
            for output in [created, updated] {
                // A Bool, so that a failure does not print the output (and the token) itself.
                let leaked = (output.stdout + output.stderr).contains("ghp_")
                #expect(!leaked, "the token appeared in the output")
            }
        }
    }

    @Test func storesSharedRDSCredentials() async throws {
        try await Self.withMoto { environment in
            let password = "Pw-0123456789-abcdefghijkl"
            let result = try Self.setupSecrets(["rds-credentials", "--username", "dbadmin"], input: password + "\n", environment)
            #expect(result.status == 0, "\(result.stderr)")
            let leaked = (result.stdout + result.stderr).contains(password)
            #expect(!leaked, "the password appeared in the output")
            #expect(try Self.stored("rds-credentials", environment) == ["username": "dbadmin", "password": password])
            // Another name (--secret-name), as a profile's credentials.secretName may choose.
            let other = try Self.setupSecrets(["rds-credentials", "--secret-name", "team-a/rds"], input: password + "\n", environment)
            #expect(other.status == 0, "\(other.stderr)")
            #expect(try Self.stored("team-a/rds", environment)["password"] == password)
        }
    }

    @Test func refusesValuesItCannotStoreAndNeverEchoesThem() async throws {
        try await Self.withMoto { environment in
            let empty = try Self.setupSecrets(["github-secret"], input: "", environment)
            #expect(empty.status == 1)
            #expect(empty.stderr.contains("nothing was stored"))
            // A token given as an argument is refused without being repeated.
            let token = "ghp_ONtheCOMMANDline0000000000000000"
            let argument = try Self.setupSecrets(["github-secret", token], input: "", environment)
            #expect(argument.status != 0)
            #expect(argument.stderr.contains("never from arguments"))
            let echoed = (argument.stdout + argument.stderr).contains(token)
            #expect(!echoed, "the token given as an argument was printed")
            let spaced = try Self.setupSecrets(["github-secret"], input: " ghp_spaced \n", environment)
            #expect(spaced.status == 1)
            let echoedSpaced = (spaced.stdout + spaced.stderr).contains("ghp_spaced")
            #expect(!echoedSpaced, "the refused value was printed")
            // Nothing was created by the refused runs.
            #expect(throws: (any Error).self) { try Self.stored("github-secret", environment) }
        }
    }
}
