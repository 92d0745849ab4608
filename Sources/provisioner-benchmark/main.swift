// provisioner-benchmark: load against a running `rds-provisioner serve`.
//
//   swift run -c release provisioner-benchmark intake --server http://127.0.0.1:8080 --requests 20000 --concurrency 64
//   swift run -c release provisioner-benchmark burst  --server http://127.0.0.1:8080 --requests 1000
//
// `intake` measures acknowledged-and-durable requests per second and the latency of
// POST /provision; `burst` measures the time for N requests to all reach `pr_opened`.
// scripts/benchmark starts the servers and runs both (see BENCHMARKS.md).
import AsyncHTTPClient
import Foundation
import NIOCore

struct Options {
    var mode = "intake"
    var server = "http://127.0.0.1:8080"
    var requests = 10_000
    var concurrency = 64
    var prefix = "bench"
    var environment = "Dev"

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        if let first = iterator.next() { mode = first }
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--server": server = value
            case "--requests": requests = Int(value) ?? requests
            case "--concurrency": concurrency = Int(value) ?? concurrency
            case "--prefix": prefix = value
            case "--environment": environment = value
            default: fatalError("unknown option \(flag)")
            }
        }
    }
}

actor Results {
    var latencies: [Duration] = []
    var statuses: [Int: Int] = [:]
    var ids: [String] = []
    func record(_ latency: Duration, status: Int, id: String?) {
        latencies.append(latency)
        statuses[status, default: 0] += 1
        if let id { ids.append(id) }
    }
}

func post(_ client: HTTPClient, _ url: String, name: String, environment: String) async throws -> (Int, String?) {
    var request = HTTPClientRequest(url: url + "/provision")
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: #"{"databaseName": "\#(name)", "databaseEngine": "PostgreSQL", "environment": "\#(environment)"}"#))
    let response = try await client.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 64 * 1024)
    var id: String?
    if response.status.code == 202,
        let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
    {
        id = json["requestId"] as? String
    }
    return (Int(response.status.code), id)
}

func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
    guard !sorted.isEmpty else { return .zero }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func milliseconds(_ duration: Duration) -> String {
    let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    return String(format: "%.2f ms", ms)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Sends `count` requests with `concurrency` in flight; returns the results and the wall time.
func load(_ client: HTTPClient, _ options: Options) async -> (Results, Duration) {
    let results = Results()
    let started = ContinuousClock.now
    await withTaskGroup(of: Void.self) { group in
        var next = 0
        func add() {
            let index = next
            next += 1
            group.addTask {
                let begin = ContinuousClock.now
                let outcome = try? await post(client, options.server, name: "\(options.prefix)_\(index)", environment: options.environment)
                await results.record(ContinuousClock.now - begin, status: outcome?.0 ?? 0, id: outcome?.1)
            }
        }
        for _ in 0..<min(options.concurrency, options.requests) { add() }
        while await group.next() != nil {
            if next < options.requests { add() }
        }
    }
    return (results, ContinuousClock.now - started)
}

func countPrOpened(_ client: HTTPClient, _ server: String, ids: Set<String>) async throws -> Int {
    // Walk the listing of pr_opened requests (pages of 500).
    var cursor: String?
    var seen = 0
    repeat {
        var url = server + "/requests?status=pr_opened&limit=500"
        if let cursor { url += "&cursor=\(cursor)" }
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
        let records = json["requests"] as? [[String: Any]] ?? []
        seen += records.filter { ids.contains($0["requestId"] as? String ?? "") }.count
        cursor = (json["nextCursor"] as? String)?.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
    } while cursor != nil
    return seen
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let client = HTTPClient(
    eventLoopGroupProvider: .singleton,
    configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency)))

switch options.mode {
case "intake":
    let (results, elapsed) = await load(client, options)
    let latencies = await results.latencies.sorted()
    let statuses = await results.statuses
    let accepted = statuses[202] ?? 0
    print("intake: \(options.requests) requests, concurrency \(options.concurrency)")
    print("  answers: \(statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))")
    print(String(format: "  throughput: %.0f acknowledged requests/s", Double(accepted) / seconds(elapsed)))
    print("  latency: p50 \(milliseconds(percentile(latencies, 0.50))), p99 \(milliseconds(percentile(latencies, 0.99))), max \(milliseconds(latencies.last ?? .zero))")
case "burst":
    let (results, intakeTime) = await load(client, options)
    let ids = Set(await results.ids)
    print("burst: \(ids.count) of \(options.requests) acknowledged in \(String(format: "%.2f", seconds(intakeTime))) s")
    let started = ContinuousClock.now - intakeTime
    while true {
        let done = try await countPrOpened(client, options.server, ids: ids)
        if done >= ids.count { break }
        try await Task.sleep(for: .milliseconds(100))  // polling the server's state
    }
    print(String(format: "  all %d reached pr_opened %.2f s after the first request", ids.count, seconds(ContinuousClock.now - started)))
default:
    print("usage: provisioner-benchmark intake|burst [--server URL] [--requests N] [--concurrency N] [--prefix P]")
}
try await client.shutdown()
