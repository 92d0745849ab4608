import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import ProvisionerAWS
import ProvisionerAsyncHTTPClient
import ProvisionerCore
import ProvisionerHTTP
import ProvisionerService
import ProvisionerSQLite
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API and the workers on this machine (SQLite queue, local git repository).",
        discussion: "With no options: http://127.0.0.1:8080, data under ./.rds-provisioner, pull requests in ./.rds-provisioner/infra.")

    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port; the one chosen is printed).") var port: Int = 8080
    @OptionGroup var runtime: RuntimeOptions
    @Option(help: "Publish accepted requests to this SNS topic instead of the local queue (the API in front of AWS).")
    var snsTopicArn: String?
    @Option(help: "DynamoDB status table (with --sns-topic-arn).") var statusTable: String?
    @Option(help: "SQS queue the workers poll (with --sns-topic-arn; without it this process runs only the API).")
    var queueUrl: String?

    static let environmentOptions = ["host", "port", "sns-topic-arn", "status-table", "queue-url"] + RuntimeOptions.environmentNames

    func validate() throws {
        if snsTopicArn != nil, statusTable == nil {
            throw ValidationError("--sns-topic-arn needs --status-table: the API reads request status from DynamoDB.")
        }
        if snsTopicArn == nil, statusTable != nil || queueUrl != nil {
            throw ValidationError("--status-table and --queue-url go with --sns-topic-arn (the API in front of AWS).")
        }
    }

    func run() async throws {
        unblockShutdownSignals()
        runtime.bootstrapLogging()
        let metrics = PrometheusMetrics()
        MetricsSystem.bootstrap(metrics)
        let logger = Logger(label: "rds-provisioner")
        let local = try await LocalRuntime.open(runtime, logger: logger, openDatabase: snsTopicArn == nil)
        let intake: any RequestIntake
        let statusStore: any StatusStore
        var queueStats: QueueStatsProvider?
        var worker: QueueWorker?
        if let snsTopicArn, let statusTable {
            let aws: AWSConfiguration
            do {
                aws = try AWSConfiguration.fromEnvironment(
                    ProcessInfo.processInfo.environment, transport: AsyncHTTPClientTransport.shared)
            } catch {
                throw CLIError("AWS settings: \(error)")
            }
            let store = DynamoDBStatusStore(client: try DynamoDBClient(configuration: aws), tableName: statusTable)
            intake = RecordingIntake(intake: SNSIntake(client: try SNSClient(configuration: aws), topicARN: snsTopicArn), statusStore: store)
            statusStore = store
            if let queueUrl, runtime.workers > 0 {
                let queue = SQSQueue(client: try SQSClient(configuration: aws), queueURL: queueUrl)
                worker = local.worker(runtime, queue: queue, statusStore: store, receiveWait: .seconds(20))
            }
        } else {
            guard let database = local.database else { throw CLIError("serve needs its SQLite database") }
            let queue = SQLiteQueue(database: database, maxReceives: runtime.maxReceives)
            intake = SQLiteIntake(database: database)
            statusStore = SQLiteStatusStore(database: database)
            queueStats = {
                let depth = try await queue.depth()
                return QueueStats(
                    visible: depth.visible, inFlight: depth.inFlight, delayed: depth.delayed, dead: depth.dead,
                    oldestVisibleSentAt: depth.oldestVisibleSentAt)
            }
            if runtime.workers > 0 { worker = local.worker(runtime) }
        }
        let api = ProvisionerAPI.buildApplication(
            configuration: .init(address: .hostname(host, port: port), serverName: "rds-provisioner"),
            validator: local.validator,
            intake: intake,
            statusStore: statusStore,
            queueStats: queueStats,
            metrics: metrics,
            logger: Logger(label: "rds-provisioner.api"),
            onServerRunning: { [host, runtime, snsTopicArn] port in
                var where_ = runtime.publisher == .local ? "pull requests in \(runtime.infraRepositoryPath.path)" : "pull requests on GitHub"
                if let snsTopicArn { where_ += "; requests published to \(snsTopicArn)" }
                announce("rds-provisioner listening on http://\(host):\(port) (data in \(runtime.dataDirectory.path); \(where_))")
            })
        var services: [any Service] = [api]
        if let worker { services.append(worker) }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await local.localPublisher?.shutdown()
        try await local.database?.close()
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run only the workers: on the embedded default's SQLite queue, or on an SQS queue with --queue-url.",
        discussion: "With --queue-url the worker polls SQS and records status in the DynamoDB table --status-table "
            + "(credentials, region and endpoints from the standard AWS_* variables, e.g. AWS_ENDPOINT_URL).")

    @OptionGroup var runtime: RuntimeOptions
    @Option(help: "SQS queue URL to poll instead of the local SQLite queue (AWS mode).") var queueUrl: String?
    @Option(help: "DynamoDB table for request status (AWS mode; partition key requestId).") var statusTable: String?

    static let environmentOptions = RuntimeOptions.environmentNames + ["queue-url", "status-table"]

    func validate() throws {
        if (queueUrl == nil) != (statusTable == nil) {
            throw ValidationError("--queue-url and --status-table go together (AWS mode), or neither (the local SQLite queue).")
        }
        guard runtime.workers > 0 else { throw ValidationError("worker needs --workers 1 or more.") }
    }

    func run() async throws {
        unblockShutdownSignals()
        runtime.bootstrapLogging()
        let logger = Logger(label: "rds-provisioner")
        let local = try await LocalRuntime.open(runtime, logger: logger, openDatabase: queueUrl == nil)
        let worker: QueueWorker
        if let queueUrl, let statusTable {
            let aws: AWSConfiguration
            do {
                aws = try AWSConfiguration.fromEnvironment(
                    ProcessInfo.processInfo.environment, transport: AsyncHTTPClientTransport.shared)
            } catch {
                throw CLIError("AWS settings: \(error)")
            }
            let queue = SQSQueue(client: try SQSClient(configuration: aws), queueURL: queueUrl)
            let store = DynamoDBStatusStore(client: try DynamoDBClient(configuration: aws), tableName: statusTable)
            worker = local.worker(runtime, queue: queue, statusStore: store, receiveWait: .seconds(20))
            announce("rds-provisioner worker polling \(queueUrl) (status in DynamoDB table \(statusTable); \(runtime.workers) at once)")
        } else {
            worker = local.worker(runtime)
            announce("rds-provisioner worker running (\(runtime.workers) at once; data in \(runtime.dataDirectory.path))")
        }
        let group = ServiceGroup(
            configuration: .init(services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await local.localPublisher?.shutdown()
        try await local.database?.close()
    }
}

/// A line on standard output, written at once (not buffered): scripts and tests wait for it.
func announce(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
