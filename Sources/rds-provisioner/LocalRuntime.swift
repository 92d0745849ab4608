import ArgumentParser
import Foundation
import Logging
import Metrics
import ProvisionerAsyncHTTPClient
import ProvisionerCore
import ProvisionerGitHub
import ProvisionerLocalGit
import ProvisionerService
import ProvisionerSQLite
import ProvisionerYAML

/// Options shared by `serve` and `worker`: where data lives, which profiles, which publisher,
/// how the workers run, how logs look.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Directory for the SQLite queue and status store and the local infrastructure repository.")
    var dataDir: String = "./.rds-provisioner"

    @Option(help: "Profile file (YAML or JSON) overriding the built-in Dev and Prod profiles.")
    var profiles: String?

    @Option(help: "Messages handled at once by the workers (0: this process runs no worker).")
    var workers: Int = 4

    @Option(help: "Where pull requests are opened: local (a git repository under --data-dir) or github (GITHUB_REPOSITORY, GITHUB_TOKEN, …).")
    var publisher: PublisherKind = .local

    @Option(help: "Receives of one message before it is recorded as failed and dead-lettered.")
    var maxReceives: Int = 5

    @Option(help: "Seconds a received message stays invisible to other workers (extended while in progress).")
    var visibilityTimeout: Int = 60

    @Option(help: "Log format: text (for people) or json (one object per line).")
    var logFormat: LogFormat = .text

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    static let environmentNames = [
        "data-dir", "profiles", "workers", "publisher", "max-receives", "visibility-timeout", "log-format", "log-level",
    ]

    enum PublisherKind: String, ExpressibleByArgument, CaseIterable {
        case local, github
    }

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        guard workers >= 0 else { throw ValidationError("--workers must be 0 or more, got \(workers).") }
        guard maxReceives >= 1 else { throw ValidationError("--max-receives must be at least 1, got \(maxReceives).") }
        guard visibilityTimeout >= 2 else { throw ValidationError("--visibility-timeout must be at least 2 seconds.") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
    }

    var dataDirectory: URL { URL(fileURLWithPath: dataDir, isDirectory: true).standardizedFileURL }
    var databasePath: String { dataDirectory.appendingPathComponent("provisioner.sqlite").path }
    var infraRepositoryPath: URL { dataDirectory.appendingPathComponent("infra", isDirectory: true) }

    func bootstrapLogging() {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        switch logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }

    func loadProfiles() throws -> ProfileSet {
        guard let profiles else { return .builtIn }
        do {
            return try YAMLProfileFile.load(contentsOf: URL(fileURLWithPath: profiles))
        } catch {
            throw CLIError("Profile file \(profiles): \(error)")
        }
    }
}

/// The parts of the embedded default that `serve` and `worker` share.
struct LocalRuntime {
    var profiles: ProfileSet
    var validator: RequestValidator
    /// The SQLite queue and status store (absent when a worker runs on SQS and DynamoDB).
    var database: SQLiteDatabase?
    var publisher: any ChangeRequestPublisher
    var localPublisher: LocalGitPublisher?

    static func open(_ options: RuntimeOptions, logger: Logger, openDatabase: Bool = true) async throws -> LocalRuntime {
        let profiles = try options.loadProfiles()
        try FileManager.default.createDirectory(at: options.dataDirectory, withIntermediateDirectories: true)
        var database: SQLiteDatabase?
        if openDatabase {
            do {
                database = try SQLiteDatabase(path: options.databasePath)
            } catch {
                throw CLIError("Cannot open \(options.databasePath): \(error)")
            }
        }
        var localPublisher: LocalGitPublisher?
        let publisher: any ChangeRequestPublisher
        switch options.publisher {
        case .local:
            let repository = try await InfraRepository.openOrCreate(
                at: options.infraRepositoryPath, template: InfraRepositoryTemplate.files,
                executablePaths: InfraRepositoryTemplate.executablePaths)
            let local = try LocalGitPublisher(repository: repository)
            localPublisher = local
            publisher = local
        case .github:
            let environment = ProcessInfo.processInfo.environment
            let configuration = try GitHubConfiguration.fromEnvironment(environment)
            let github = GitHubPublisher(
                configuration: configuration, tokenProvider: try EnvironmentTokenProvider(environment),
                transport: AsyncHTTPClientTransport.shared, logger: Logger(label: "rds-provisioner.github"))
            do {
                let status = try await github.verify()
                logger.info("GitHub publisher ready", metadata: ["repository": "\(status.repository)", "baseBranch": "\(status.baseBranch)"])
            } catch {
                throw CLIError("GitHub publisher: \(error)")
            }
            publisher = github
        }
        return LocalRuntime(
            profiles: profiles, validator: RequestValidator(profiles: profiles), database: database,
            publisher: publisher, localPublisher: localPublisher)
    }

    /// A worker on the local SQLite queue and status store.
    func worker(_ options: RuntimeOptions) -> QueueWorker {
        guard let database else { preconditionFailure("the local worker needs the SQLite database") }
        return worker(
            options, queue: SQLiteQueue(database: database, maxReceives: options.maxReceives),
            statusStore: SQLiteStatusStore(database: database), receiveWait: .seconds(20))
    }

    /// A worker on any queue and status store (SQS and DynamoDB in AWS mode).
    func worker(_ options: RuntimeOptions, queue: any MessageQueue, statusStore: any StatusStore, receiveWait: Duration) -> QueueWorker {
        let processor = RequestProcessor(
            validator: validator, renderer: TerraformChangeRequests(profiles: profiles), publisher: publisher,
            statusStore: statusStore, maxReceives: options.maxReceives, logger: Logger(label: "rds-provisioner.worker"))
        return QueueWorker(
            queue: queue, processor: processor,
            configuration: .init(
                concurrency: max(options.workers, 1), visibilityTimeout: .seconds(options.visibilityTimeout),
                receiveWait: receiveWait),
            logger: Logger(label: "rds-provisioner.worker"))
    }
}

/// Signals a parent blocked (a test runner, some supervisors) are blocked in its children too;
/// graceful shutdown needs SIGTERM and SIGINT delivered.
func unblockShutdownSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGTERM)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}
