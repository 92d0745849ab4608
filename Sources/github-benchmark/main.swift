// github-benchmark: API calls per opened pull request, and pull requests per minute, against
// tools/fake-github (a real git repository behind a Python HTTP server on 127.0.0.1).
//
//   swift run -c release github-benchmark [--pull-requests 40] [--concurrency 4] [--paced]
//
// `--paced` keeps the production spacing of writes (0.75 s, GitHub's ~80 writes a minute);
// without it the figure shows what the client and the fake can do.

import AsyncHTTPClient
import ProvisionerAsyncHTTPClient
import Foundation
import Logging
import ProvisionerCore
import ProvisionerGitHub
import ProvisionerService

struct Options {
    var pullRequests = 40
    var concurrency = 4
    var paced = false

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            switch flag {
            case "--pull-requests": pullRequests = try Self.number(rest.popFirst(), flag)
            case "--concurrency": concurrency = try Self.number(rest.popFirst(), flag)
            case "--paced": paced = true
            default: throw BenchmarkError("unknown option \(flag); use --pull-requests N, --concurrency N, --paced")
            }
        }
    }

    static func number(_ value: String?, _ flag: String) throws -> Int {
        guard let value, let number = Int(value), number > 0 else { throw BenchmarkError("\(flag) needs a positive number") }
        return number
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The package root: where Package.swift is, above this file.
func packageRoot() -> URL {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}

/// Starts the fake and returns its URL once it printed it.
func startFake(token: String) throws -> (Process, String) {
    let root = packageRoot()
    let venvPython = root.appendingPathComponent(".venv/bin/python3")
    let process = Process()
    if FileManager.default.isExecutableFile(atPath: venvPython.path) {
        process.executableURL = venvPython
        process.arguments = []
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"]
    }
    process.arguments! += [
        root.appendingPathComponent("tools/fake-github/fake_github.py").path, "--repository", "bench/infra", "--token", token,
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    var buffer = Data()
    while true {
        let chunk = pipe.fileHandleForReading.availableData
        guard !chunk.isEmpty else { throw BenchmarkError("fake-github exited before it was ready") }
        buffer.append(chunk)
        let text = String(decoding: buffer, as: UTF8.self)
        if let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }),
            let url = line.split(separator: " ").first(where: { $0.hasPrefix("http://") })
        {
            return (process, String(url))
        }
    }
}

func change(_ index: Int) -> ChangeRequest {
    let name = "db\(index)"
    let stack = "stacks/dev/\(name)"
    return ChangeRequest(
        requestId: "bench-\(index)", branch: "rds/dev/\(name)", stackPath: stack,
        files: [
            StackFile(path: "\(stack)/main.tf", contents: "module \"aurora\" {\n  name = \"\(name)-dev\"\n}\n"),
            StackFile(path: "\(stack)/variables.tf", contents: "variable \"instance_class\" {}\n"),
            StackFile(path: "\(stack)/terraform.tfvars", contents: "instance_class = \"db.r6g.large\"\n"),
        ],
        title: "Provision \(name)-dev", body: "Benchmark stack \(name)", labels: ["rds-provisioner", "env:dev"],
        commitMessage: "Provision \(name)-dev")
}

let options = try Options(Array(CommandLine.arguments.dropFirst()))
let token = "ghp_benchmark_\(UUID().uuidString)"
let (fake, url) = try startFake(token: token)
defer { fake.terminate() }

var configuration = try GitHubConfiguration.fromEnvironment(["GITHUB_REPOSITORY": "bench/infra", "GITHUB_API_URL": url])
if !options.paced { configuration.contentCreationInterval = .zero }
var logger = Logger(label: "github-benchmark")
logger.logLevel = .warning
let publisher = GitHubPublisher(
    configuration: configuration, tokenProvider: try EnvironmentTokenProvider(["GITHUB_TOKEN": token]),
    transport: AsyncHTTPClientTransport.shared, logger: logger)

try await publisher.verify()
let startup = publisher.statistics.requests
let clock = ContinuousClock()
let started = clock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    var next = 0
    for _ in 0..<min(options.concurrency, options.pullRequests) {
        let index = next
        next += 1
        group.addTask { _ = try await publisher.publish(change(index)) }
    }
    while try await group.next() != nil, next < options.pullRequests {
        let index = next
        next += 1
        group.addTask { _ = try await publisher.publish(change(index)) }
    }
}
let elapsed = clock.now - started
let statistics = publisher.statistics
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let perPullRequest = Double(statistics.requests - startup) / Double(statistics.pullRequestsOpened)
print(
    """
    github-benchmark: \(statistics.pullRequestsOpened) pull requests opened, concurrency \(options.concurrency), \
    \(options.paced ? "paced writes (\(configuration.contentCreationInterval))" : "unpaced writes")
      API calls per pull request: \(String(format: "%.2f", perPullRequest)) (plus \(startup) at startup for verify())
      by operation: \(statistics.requestsByOperation.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
      pull requests per minute: \(String(format: "%.1f", Double(statistics.pullRequestsOpened) / seconds * 60)) (\(String(format: "%.1f", seconds)) s)
    """)
