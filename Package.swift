// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "rds-provisioner",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rds-provisioner", targets: ["rds-provisioner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.90.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.36.0"),
    ],
    targets: [
        // Pure core: request contract, validation, profiles, cluster plan, HCL rendering, status.
        // No I/O and no full Foundation (FoundationEssentials only), so the Lambda stays small.
        .target(name: "ProvisionerCore"),
        // Profile files written in YAML (Yams pulls in Foundation, so it stays out of the core).
        .target(name: "ProvisionerYAML", dependencies: [
            "ProvisionerCore",
            .product(name: "Yams", package: "Yams"),
        ]),
        // Service layer: handles one queue message end to end through small protocols.
        .target(name: "ProvisionerService", dependencies: [
            "ProvisionerCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Adapters.
        .target(name: "ProvisionerSQLite", dependencies: [
            "ProvisionerService",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "ProvisionerLocalGit", dependencies: [
            "ProvisionerService",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Subprocess", package: "swift-subprocess"),
        ]),
        .target(name: "ProvisionerHTTP", dependencies: [
            "ProvisionerService",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // How the AWS, GitHub and Runtime API clients send HTTP (`HTTPTransport`), and the
        // blocking-socket transport the Lambda uses: NIO's HTTP codec and NIOSSL in an
        // EmbeddedChannel, no event loop.
        .target(name: "ProvisionerTransport", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // `HTTPTransport` over AsyncHTTPClient, for the concurrent worker and server (kept out
        // of the Lambda).
        .target(name: "ProvisionerAsyncHTTPClient", dependencies: [
            "ProvisionerTransport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // Opens the pull request on GitHub (REST API over an HTTPTransport).
        .target(name: "ProvisionerGitHub", dependencies: [
            "ProvisionerService",
            "ProvisionerTransport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // AWS mode: SigV4 signing, credentials and endpoints, thin SNS/SQS/Secrets Manager/DynamoDB
        // clients and the service adapters built on them. Linked by the Lambda: no full Foundation.
        .target(name: "ProvisionerAWS", dependencies: [
            "ProvisionerService",
            "ProvisionerTransport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The Lambda Runtime API loop and the SQS batch handler (FoundationEssentials only).
        .target(name: "ProvisionerLambda", dependencies: [
            "ProvisionerCore", "ProvisionerService",
            "ProvisionerTransport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Executables.
        .executableTarget(name: "bootstrap", dependencies: [
            "ProvisionerLambda", "ProvisionerAWS", "ProvisionerGitHub", "ProvisionerService", "ProvisionerCore",
            "ProvisionerTransport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "rds-provisioner", dependencies: [
            "ProvisionerCore",
            "ProvisionerYAML",
            "ProvisionerService",
            "ProvisionerSQLite",
            "ProvisionerLocalGit",
            "ProvisionerHTTP",
            "ProvisionerGitHub",
            "ProvisionerAWS",
            "ProvisionerAsyncHTTPClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // API calls per pull request and pull requests per minute against tools/fake-github.
        .executableTarget(name: "github-benchmark", dependencies: [
            "ProvisionerGitHub", "ProvisionerAsyncHTTPClient",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Load generator for BENCHMARKS.md (swift run -c release provisioner-benchmark …).
        .executableTarget(name: "provisioner-benchmark", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // Tests, one target per module.
        .target(name: "TestSupport", dependencies: ["ProvisionerCore", "ProvisionerService"], path: "Tests/TestSupport"),
        .testTarget(name: "ProvisionerCoreTests", dependencies: ["ProvisionerCore", "ProvisionerYAML", "TestSupport"]),
        .testTarget(name: "ProvisionerServiceTests", dependencies: ["ProvisionerService", "TestSupport"]),
        .testTarget(name: "ProvisionerSQLiteTests", dependencies: ["ProvisionerSQLite", "TestSupport"]),
        .testTarget(name: "ProvisionerLocalGitTests", dependencies: ["ProvisionerLocalGit", "TestSupport"]),
        .testTarget(name: "ProvisionerHTTPTests", dependencies: [
            "ProvisionerHTTP", "ProvisionerSQLite", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(name: "ProvisionerTransportTests", dependencies: [
            "ProvisionerTransport", "ProvisionerAsyncHTTPClient", "TestSupport",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .testTarget(name: "ProvisionerGitHubTests", dependencies: [
            "ProvisionerGitHub", "ProvisionerAsyncHTTPClient", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "ProvisionerCore", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // The SAM template, the CircleCI pipeline, the Lambda packaging and the secrets script.
        .testTarget(name: "DeploymentTests", dependencies: ["TestSupport"]),
        .testTarget(name: "ProvisionerAWSTests", dependencies: [
            "ProvisionerAWS", "ProvisionerLambda", "ProvisionerAsyncHTTPClient", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
    ]
)
