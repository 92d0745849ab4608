import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import ProvisionerCore

/// Options shared by commands that talk to a running server.
struct ServerOptions: ParsableArguments {
    @Option(help: "Base URL of a running rds-provisioner server.")
    var server: String = "http://127.0.0.1:8080"

    var baseURL: String { server.hasSuffix("/") ? String(server.dropLast()) : server }
}

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Ask a running server for a database and (with --wait) follow it.")

    @Option(help: "Database name, e.g. orders.") var databaseName: String
    @Option(help: "MySQL or PostgreSQL.") var engine: String
    @Option(help: "Environment, e.g. Dev or Prod.") var environment: String
    @Option(help: "Owning team or person (tags, pull request).") var owner: String?
    @Flag(help: "Wait until the pull request is opened or the request fails, showing progress.") var wait = false
    @Option(help: "Seconds to wait with --wait.") var timeout: Int = 300
    @OptionGroup var serverOptions: ServerOptions

    func run() async throws {
        var body: [String: String] = ["databaseName": databaseName, "databaseEngine": engine, "environment": environment]
        if let owner { body["owner"] = owner }
        let payload = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let response = try await HTTP.send("POST", serverOptions.baseURL + "/provision", body: payload)
        guard response.status == 202 else { throw HTTP.failure(response) }
        let accepted = try JSONDecoder().decode(Accepted.self, from: response.body)
        print("Accepted: request \(accepted.requestId) is \(accepted.status).")
        guard wait else {
            print("Follow it with: rds-provisioner status \(accepted.requestId)")
            return
        }
        let deadline = ContinuousClock.now + .seconds(timeout)
        var shown = 0
        while ContinuousClock.now < deadline {
            let record = try await StatusCommand.fetch(accepted.requestId, baseURL: serverOptions.baseURL)
            for change in record.history.dropFirst(shown) {
                print("  \(PublicJSON.formatTimestamp(change.at))  \(change.status.rawValue)\(change.reason.map { ": \($0.message)" } ?? "")")
            }
            shown = record.history.count
            if record.status.isFinal {
                if let pull = record.pullRequest { print("Pull request #\(pull.number) on branch \(pull.branch): \(pull.url)") }
                if record.status == .rejected || record.status == .failed { throw ExitCode(1) }
                return
            }
            try await Task.sleep(for: .milliseconds(250))  // polling a remote server, not synchronisation
        }
        print("Still \(shown > 0 ? "in progress" : "queued") after \(timeout) s.")
        throw ExitCode(3)
    }

    struct Accepted: Decodable {
        var requestId: String
        var status: String
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a request's status and history.")

    @Argument(help: "The request id answered by POST /provision.") var requestId: String
    @Flag(help: "Print the raw JSON record.") var json = false
    @OptionGroup var serverOptions: ServerOptions

    func run() async throws {
        if json {
            let response = try await HTTP.send("GET", serverOptions.baseURL + "/requests/" + requestId)
            guard response.status == 200 else { throw HTTP.failure(response) }
            print(String(decoding: response.body, as: UTF8.self))
            return
        }
        let record = try await Self.fetch(requestId, baseURL: serverOptions.baseURL)
        print(Self.describe(record))
    }

    static func fetch(_ id: String, baseURL: String) async throws -> RequestRecord {
        let response = try await HTTP.send("GET", baseURL + "/requests/" + id)
        guard response.status == 200 else { throw HTTP.failure(response) }
        return try PublicJSON.decoder().decode(RequestRecord.self, from: response.body)
    }

    static func describe(_ record: RequestRecord) -> String {
        var lines = ["Request \(record.requestId): \(record.status.rawValue)"]
        if let request = record.request {
            lines.append("  \(request.databaseEngine.rawValue) database \(request.databaseName) in \(request.environment)"
                + (request.owner.map { ", owner \($0)" } ?? ""))
        }
        if let cluster = record.clusterIdentifier { lines.append("  cluster \(cluster), stack \(record.stackPath ?? "-")") }
        if let pull = record.pullRequest { lines.append("  pull request #\(pull.number) (\(pull.branch)): \(pull.url)") }
        if let reason = record.reason { lines.append("  reason: \(reason.code): \(reason.message)") }
        for change in record.history {
            lines.append("  \(PublicJSON.formatTimestamp(change.at))  \(change.status.rawValue)")
        }
        return lines.joined(separator: "\n")
    }
}

/// A tiny HTTP helper for the CLI (AsyncHTTPClient's shared client).
enum HTTP {
    struct Response {
        var status: Int
        var body: Data
    }

    static func send(_ method: String, _ url: String, body: Data? = nil) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        } catch {
            throw ValidationError("Cannot reach \(url): \(error). Is `rds-provisioner serve` running?")
        }
        let bytes = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return Response(status: Int(response.status.code), body: Data(bytes.readableBytesView))
    }

    /// An error answer, shown as the server's own message.
    static func failure(_ response: Response) -> Error {
        if let decoded = try? ErrorResponse.decode(Array(response.body)) {
            return CLIError(describe(decoded))
        }
        return CLIError("HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self))")
    }
}

/// The public error body as lines for people: `code (field): message`, one per problem. The
/// CLI prints the same text whether the problem came from the server or from local validation.
func describe(_ response: ErrorResponse) -> String {
    response.errors.map { "\($0.code) (\($0.field ?? "body")): \($0.message)" }.joined(separator: "\n")
}

/// An error whose text is all the user needs (printed as `Error: <text>`, exit code 1).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
