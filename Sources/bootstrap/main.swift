// The Lambda function (custom runtime `provided.al2023`): SQS batches in, pull requests on
// GitHub out, status in DynamoDB. Configured by environment variables only, with the same
// RDS_PROVISIONER_* names as the CLI's flags:
//
//   AWS_LAMBDA_RUNTIME_API           set by Lambda
//   RDS_PROVISIONER_STATUS_TABLE     DynamoDB status table (required)
//   RDS_PROVISIONER_PROFILES         JSON profile file (optional; built-in Dev and Prod otherwise)
//   RDS_PROVISIONER_MAX_RECEIVES     receives before a transient failure is recorded as failed (5)
//   RDS_PROVISIONER_GITHUB_SECRET    Secrets Manager secret holding {"github-token": …} (github-secret)
//   GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_BASE_BRANCH   the infrastructure repository
//   GITHUB_REQUEST_TIMEOUT_SECONDS, GITHUB_CONTENT_INTERVAL_MS  timeouts and write pacing (docs/github.md)
//   GITHUB_TOKEN                     a token instead of the secret (tests, local runs)
//
// Nothing heavy happens before the first `next`: clients are created, not used. Every call
// (Runtime API, AWS, GitHub) goes through `transport`: blocking sockets on one thread, and the
// loop runs on that same thread (its task executor preference), so no request costs a thread
// hop. The function handles one message at a time; an event loop would only add hops.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ProvisionerAWS
import ProvisionerCore
import ProvisionerGitHub
import ProvisionerLambda
import ProvisionerService
import ProvisionerTransport

#if canImport(Glibc)
import Glibc
#endif

let environment: [String: String] = {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return result
}()

LoggingSystem.bootstrap { label in
    var handler = JSONLogHandler(label: label, output: .standardOutput)
    handler.logLevel = Logger.Level(rawValue: environment["RDS_PROVISIONER_LOG_LEVEL"] ?? "info") ?? .info
    return handler
}
let logger = Logger(label: "rds-provisioner.lambda")

guard let runtimeAPI = environment["AWS_LAMBDA_RUNTIME_API"] else {
    logger.critical("AWS_LAMBDA_RUNTIME_API is not set: this program runs inside AWS Lambda (or its emulator)")
    exit(1)
}
let transport = SocketHTTPTransport()
let runtime = LambdaRuntime(runtimeAPI: runtimeAPI, transport: transport, logger: logger)

struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
}

/// Tokens from GITHUB_TOKEN, else from the Secrets Manager secret (cached, re-read after a 401).
struct SecretTokenProvider: GitHubTokenProvider {
    let cache: SecretCache
    let secretId: String
    var source: String { "Secrets Manager secret \(secretId) (key github-token)" }

    func token() async throws -> GitHubToken {
        GitHubToken(try await cache.string(secretId, key: "github-token"))
    }

    func tokenRejected(_ token: GitHubToken) async {
        await cache.invalidate(secretId)
    }
}

func makeHandler() throws -> SQSBatchHandler {
    guard let table = environment["RDS_PROVISIONER_STATUS_TABLE"], !table.isEmpty else {
        throw ConfigurationError(description: "RDS_PROVISIONER_STATUS_TABLE is not set: name the DynamoDB status table")
    }
    var profiles = ProfileSet.builtIn
    if let path = environment["RDS_PROVISIONER_PROFILES"], !path.isEmpty {
        do {
            profiles = try ProfileFile.load(json: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        } catch {
            throw ConfigurationError(description: "RDS_PROVISIONER_PROFILES \(path): \(error)")
        }
    }
    let maxReceives = environment["RDS_PROVISIONER_MAX_RECEIVES"].flatMap(Int.init) ?? 5
    let aws = try AWSConfiguration.fromEnvironment(environment, transport: transport)
    let github = try GitHubConfiguration.fromEnvironment(environment)
    let tokens: any GitHubTokenProvider
    if let token = environment["GITHUB_TOKEN"], !token.isEmpty {
        tokens = try EnvironmentTokenProvider(environment)
    } else {
        tokens = SecretTokenProvider(
            cache: SecretCache(client: try SecretsManagerClient(configuration: aws)),
            secretId: environment["RDS_PROVISIONER_GITHUB_SECRET"] ?? "github-secret")
    }
    let processor = RequestProcessor(
        validator: RequestValidator(profiles: profiles), renderer: TerraformChangeRequests(profiles: profiles),
        publisher: GitHubPublisher(
            configuration: github, tokenProvider: tokens, transport: transport,
            logger: Logger(label: "rds-provisioner.github")),
        statusStore: DynamoDBStatusStore(client: try DynamoDBClient(configuration: aws), tableName: table),
        maxReceives: maxReceives, logger: Logger(label: "rds-provisioner.worker"))
    return SQSBatchHandler(processor: processor)
}

let handler: SQSBatchHandler
do {
    handler = try makeHandler()
} catch {
    logger.critical("configuration", metadata: ["error": "\(error)"])
    await runtime.reportInitError(error)
    exit(1)
}
let maxInvocations = environment["RDS_PROVISIONER_MAX_INVOCATIONS"].flatMap(Int.init)  // benchmarks only

/// The Runtime API loop on the transport's thread. Nonisolated, so that the loop runs on the
/// preferred executor rather than on the main actor of this top-level code.
nonisolated func serve(_ runtime: LambdaRuntime, _ handler: SQSBatchHandler, on executor: any TaskExecutor) async throws {
    try await withTaskExecutorPreference(executor) {
        try await runtime.run(maxInvocations: maxInvocations) { invocation, logger in
            try await handler.handle(invocation.event, deadline: invocation.deadline, logger: logger)
        }
    }
}
try await serve(runtime, handler, on: transport.executor)
