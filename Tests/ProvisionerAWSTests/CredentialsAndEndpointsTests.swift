import Foundation
import ProvisionerAWS
import ProvisionerTransport
import Synchronization
import Testing
import TestSupport

/// A clock the test moves by hand.
final class ManualDate: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 += seconds } }
}

struct CredentialsAndEndpointsTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let token = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"

    @Test func secretsNeverShowInDescriptionsOrReflection() {
        let credentials = AWSCredentials(
            accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: Self.token, expiration: Date())
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in ["\(credentials)", String(reflecting: credentials), dumped, "\([credentials])"] {
            #expect(!text.contains(Self.secret))
            #expect(!text.contains(Self.token))
            #expect(text.contains("AKIDEXAMPLE"))
        }
    }

    @Test func environmentKeysComeFirst() async throws {
        let provider = try CredentialChain.resolve(environment: [
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": Self.secret, "AWS_SESSION_TOKEN": Self.token,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/never",
        ])
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyId == "AKID")
        #expect(credentials.secretAccessKey == Self.secret)
        #expect(credentials.sessionToken == Self.token)
    }

    @Test func incompleteOrMissingCredentialsAreClearErrors() {
        #expect(throws: AWSCredentialsError.incompleteEnvironment(missing: "AWS_SECRET_ACCESS_KEY")) {
            try CredentialChain.resolve(environment: ["AWS_ACCESS_KEY_ID": "AKID"])
        }
        #expect(throws: AWSCredentialsError.notFound) { try CredentialChain.resolve(environment: [:]) }
        #expect(throws: AWSCredentialsError.containerEndpointNotAllowed("http://example.com/creds")) {
            try CredentialChain.resolve(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"])
        }
    }

    @Test func relativeURIMeansTheECSEndpoint() throws {
        let provider = try CredentialChain.resolve(environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"])
        let container = try #require(provider as? ContainerCredentialProvider)
        #expect(container.endpoint == "http://169.254.170.2/v2/credentials/abc")
    }

    @Test func regionAndEndpointsResolveLikeTheSDKs() throws {
        let base = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": Self.secret]
        #expect(throws: AWSConfigurationError.missingRegion) { try AWSConfiguration.fromEnvironment(base) }

        let plain = try AWSConfiguration.fromEnvironment(base.merging(["AWS_DEFAULT_REGION": "eu-west-1"]) { $1 })
        #expect(plain.region == "eu-west-1")
        #expect(plain.endpoint(for: .sqs) == "https://sqs.eu-west-1.amazonaws.com")
        #expect(plain.endpoint(for: .secretsManager) == "https://secretsmanager.eu-west-1.amazonaws.com")

        let china = try AWSConfiguration.fromEnvironment(base.merging(["AWS_REGION": "cn-north-1"]) { $1 })
        #expect(china.endpoint(for: .dynamoDB) == "https://dynamodb.cn-north-1.amazonaws.com.cn")

        let local = try AWSConfiguration.fromEnvironment(
            base.merging([
                "AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:5000/", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9324",
                "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:7000",
            ]) { $1 })
        #expect(local.region == "us-east-2")
        #expect(local.endpoint(for: .sqs) == "http://127.0.0.1:9324")
        #expect(local.endpoint(for: .secretsManager) == "http://127.0.0.1:7000")
        #expect(local.endpoint(for: .sns) == "http://127.0.0.1:5000")
        #expect(local.endpoint(for: .dynamoDB) == "http://127.0.0.1:5000")

        var overridden = local
        overridden.endpointOverrides[.sqs] = "http://127.0.0.1:1234"
        #expect(overridden.endpoint(for: .sqs) == "http://127.0.0.1:1234")

        let ignored = try AWSConfiguration.fromEnvironment(
            base.merging([
                "AWS_REGION": "us-east-2", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
            ]) { $1 })
        #expect(ignored.endpoint(for: .sns) == "https://sns.us-east-2.amazonaws.com")

        #expect(throws: AWSConfigurationError.invalidEndpoint(variable: "AWS_ENDPOINT_URL", value: "localhost:4566")) {
            try AWSConfiguration.fromEnvironment(base.merging(["AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "localhost:4566"]) { $1 })
        }
    }

    static func credentialsJSON(_ key: String, expiration: Date) -> String {
        """
        {"AccessKeyId": "\(key)", "SecretAccessKey": "\(secret)", "Token": "\(token)", \
        "Expiration": "\(ISO8601DateFormatter().string(from: expiration))", "RoleArn": "arn:aws:iam::123456789012:role/worker"}
        """
    }

    @Test func containerCredentialsAreFetchedCachedAndRefreshedBeforeExpiry() async throws {
        let clock = ManualDate(Date(timeIntervalSince1970: 1_800_000_000))
        let expiry = Mutex(clock.now.addingTimeInterval(3600))
        let server = StubServer { request, index in
            guard request.path == "/creds", request.header("Authorization") == "Bearer file-token" else {
                return StubResponse(status: 401, body: "missing token")
            }
            return StubResponse(
                status: 200, headers: ["Content-Type": "application/json"],
                body: Self.credentialsJSON("ASIA\(index)", expiration: expiry.withLock { $0 }))
        }
        let directory = try TestEnvironment.makeTemporaryDirectory()
        let tokenFile = directory.appendingPathComponent("token")
        try "Bearer file-token\n".write(to: tokenFile, atomically: true, encoding: .utf8)

        try await server.run { base in
            let provider = try CredentialChain.resolve(environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(base)/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile.path,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored when the file is set",
            ])
            let container = try #require(provider as? ContainerCredentialProvider)
            // The chain's provider uses the real clock; build one with the manual clock for the rest.
            let first = try await container.credentials()
            #expect(first.accessKeyId == "ASIA1")
            #expect(first.sessionToken == Self.token)

            let provider2 = try ContainerCredentialProvider(
                endpoint: "\(base)/creds", authorizationTokenFile: tokenFile.path, transport: SocketHTTPTransport.shared,
                now: { clock.now })
            let a = try await provider2.credentials()
            let b = try await provider2.credentials()
            #expect(a == b)
            #expect(await provider2.fetchCount == 1)

            // 56 minutes on: less than 5 minutes to expiry, so refreshed.
            clock.advance(56 * 60)
            expiry.withLock { $0 = clock.now.addingTimeInterval(3600) }
            let c = try await provider2.credentials()
            #expect(c.accessKeyId != a.accessKeyId)
            #expect(await provider2.fetchCount == 2)
        }
        #expect(server.count == 3)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let server = StubServer { _, index in
            StubResponse(status: 200, body: Self.credentialsJSON("ASIA\(index)", expiration: Date().addingTimeInterval(3600)))
        }
        try await server.run { base in
            let provider = try ContainerCredentialProvider(
                endpoint: "\(base)/creds", authorizationToken: "Bearer t", transport: SocketHTTPTransport.shared)
            let keys = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 { group.addTask { try await provider.credentials().accessKeyId } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(keys.count == 1)
        }
        #expect(server.count == 1)
        #expect(server.received.first?.header("Authorization") == "Bearer t")
    }

    @Test func failedRefreshKeepsValidCredentialsAndErrorsNeverLeakSecrets() async throws {
        let clock = ManualDate(Date(timeIntervalSince1970: 1_800_000_000))
        let start = clock.now
        let server = StubServer { _, index in
            index == 1
                ? StubResponse(status: 200, body: Self.credentialsJSON("ASIA1", expiration: start.addingTimeInterval(600)))
                : StubResponse(status: 500, body: "{\"SecretAccessKey\": \"\(Self.secret)\"}")
        }
        try await server.run { base in
            let provider = try ContainerCredentialProvider(
                endpoint: "\(base)/creds", transport: SocketHTTPTransport.shared, now: { clock.now })
            _ = try await provider.credentials()
            clock.advance(400)  // inside the refresh window, still valid
            #expect(try await provider.credentials().accessKeyId == "ASIA1")
            clock.advance(400)  // expired, and the endpoint fails
            do {
                _ = try await provider.credentials()
                Issue.record("expected an error")
            } catch {
                #expect("\(error)".contains("HTTP 500"))
                #expect(!"\(error)".contains(Self.secret))
            }
        }
    }

    @Test func aGarbledAnswerIsAnErrorThatDoesNotRepeatIt() async throws {
        let server = StubServer { _, _ in StubResponse(status: 200, body: "{\"SecretAccessKey\": \"\(Self.secret)\"}") }
        try await server.run { base in
            let provider = try ContainerCredentialProvider(endpoint: "\(base)/creds", transport: SocketHTTPTransport.shared)
            await #expect(throws: AWSCredentialsError.invalidContainerResponse(url: "\(base)/creds")) {
                try await provider.credentials()
            }
        }
    }
}

// Configuration resolution as these tests call it: the transport is only used to fetch
// container credentials, and the tests that do that run the blocking socket transport.
extension CredentialChain {
    static func resolve(environment: [String: String]) throws -> any CredentialProvider {
        try resolve(environment: environment, transport: SocketHTTPTransport.shared)
    }
}

extension AWSConfiguration {
    static func fromEnvironment(_ environment: [String: String]) throws -> AWSConfiguration {
        try fromEnvironment(environment, transport: SocketHTTPTransport.shared)
    }
}
