import Foundation
import ProvisionerCore
import Testing
import TestSupport

/// The embedded default, as a newcomer runs it: `rds-provisioner serve`, real HTTP, a real
/// SQLite file, a real git repository.
@Suite(.serialized)
struct ServeEndToEndTests {
    @Test func validRequestsBecomeBranchesWithTheStackFiles() async throws {
        let data = try TestEnvironment.makeTemporaryDirectory("e2e-serve")
        let server = try await RunningServer.start(dataDirectory: data)
        defer { _ = server.stop() }

        let cases = [("orders", "PostgreSQL", "Dev"), ("billing", "mysql", "prod"), ("ledger_eu", "postgres", "Prod")]
        var ids: [String] = []
        for (name, engine, environment) in cases {
            let response = try await server.provision(name, engine: engine, environment: environment)
            #expect(response.status == 202, "\(response.body)")
            let json = try response.json()
            #expect(json["status"] as? String == "queued")
            ids.append(try #require(json["requestId"] as? String))
        }
        for (id, (name, _, _)) in zip(ids, cases) {
            let record = try await server.waitUntilFinal(id)
            #expect(record.status == .prOpened, "\(name): \(String(describing: record.reason))")
            #expect(record.history.map(\.status) == [.queued, .processing, .prOpened])
            #expect(record.pullRequest != nil)
        }
        let branches = try server.git("for-each-ref", "--format=%(refname:short)", "refs/heads/rds")
            .split(separator: "\n").map(String.init).sorted()
        #expect(branches == ["rds/dev/orders", "rds/prod/billing", "rds/prod/ledger_eu"])
        // One commit on top of main, holding only the stack directory.
        let changed = try server.git("diff", "--name-only", "main", "rds/prod/ledger_eu").split(separator: "\n")
        #expect(!changed.isEmpty)
        #expect(changed.allSatisfy { $0.hasPrefix("stacks/prod/ledger_eu/") })
        #expect(try server.git("rev-list", "--count", "main..rds/prod/ledger_eu").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        let mainTf = try server.git("show", "rds/prod/ledger_eu:stacks/prod/ledger_eu/main.tf")
        #expect(mainTf.contains("ledger-eu-prod"))
        #expect(mainTf.contains("aurora-postgresql"))
    }

    @Test func badBodiesAre400AndNothingIsStored() async throws {
        let data = try TestEnvironment.makeTemporaryDirectory("e2e-bad")
        let server = try await RunningServer.start(dataDirectory: data)
        defer { _ = server.stop() }
        let bodies: [(String, String)] = [
            (#"{"databaseName": "orders", "databaseEngine": "Oracle", "environment": "Dev"}"#, "unsupported_engine"),
            (#"{"databaseName": "orders", "databaseEngine": "MySQL", "enviroment": "Dev"}"#, "unknown_field"),
            (#"{"databaseName": "../etc", "databaseEngine": "MySQL", "environment": "Dev"}"#, "invalid_database_name"),
            (#"{"databaseName": "x${var.y}", "databaseEngine": "MySQL", "environment": "Dev"}"#, "invalid_database_name"),
            (#"{"databaseName": "postgres", "databaseEngine": "PostgreSQL", "environment": "Dev"}"#, "reserved_database_name"),
            (#"{"databaseName": "orders", "databaseEngine": "MySQL", "environment": "Qa"}"#, "unknown_environment"),
            (#"{"databaseName": "orders""#, "invalid_json"),
            (#"["orders"]"#, "body_not_object"),
        ]
        for (body, code) in bodies {
            let response = try await server.post("/provision", body)
            #expect(response.status == 400, "\(body) → \(response.status) \(response.body)")
            let error = try #require(try response.json()["error"] as? [String: Any])
            #expect(error["code"] as? String == code, "\(body)")
            #expect((error["message"] as? String)?.isEmpty == false)
        }
        // The CLI shows the server's own codes and messages, one problem per line, and fails.
        let cli = try ProcessRunner.run(
            ServerProcess.provisionerExecutable.path,
            ["request", "--server", server.baseURL, "--database-name", "Bad!", "--engine", "oracle", "--environment", "qa"])
        #expect(cli.status != 0)
        for code in ["invalid_database_name (databaseName)", "unsupported_engine (databaseEngine)", "unknown_environment (environment)"] {
            #expect(cli.stderr.contains(code), "\(cli.stderr)")
        }
        let list = try await server.get("/requests")
        #expect(list.status == 200)
        #expect((try list.json()["requests"] as? [Any])?.isEmpty == true)
        #expect(try server.git("for-each-ref", "refs/heads/rds").isEmpty)
    }

    @Test func aSecondRequestForTheSameDatabaseIsAConflict() async throws {
        let data = try TestEnvironment.makeTemporaryDirectory("e2e-dup")
        let server = try await RunningServer.start(dataDirectory: data)
        defer { _ = server.stop() }
        let first = try await server.provision("orders")
        #expect(first.status == 202)
        let second = try await server.provision("orders", environment: "dev")
        #expect(second.status == 409, "\(second.body)")
        let error = try #require(try second.json()["error"] as? [String: Any])
        #expect(error["code"] as? String == "duplicate_request")
        let id = try #require(try first.json()["requestId"] as? String)
        #expect(try await server.waitUntilFinal(id).status == .prOpened)
        #expect(try server.git("for-each-ref", "refs/heads/rds").split(separator: "\n").count == 1)
    }

    /// A server killed with SIGKILL in the middle of a burst loses nothing it acknowledged and
    /// duplicates nothing once restarted.
    @Test func sigkillMidBurstLosesAndDuplicatesNothing() async throws {
        let data = try TestEnvironment.makeTemporaryDirectory("e2e-kill")
        let server = try await RunningServer.start(dataDirectory: data, extraArguments: ["--workers", "2", "--visibility-timeout", "2"])
        let total = 300
        let killAfter = 120
        let acknowledged = AcknowledgedIds()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                group.addTask {
                    guard let response = try? await server.provision("burst_\(index)"), response.status == 202,
                        let id = try? response.json()["requestId"] as? String
                    else { return }
                    if await acknowledged.add(id, name: "burst_\(index)") == killAfter {
                        _ = server.stop(signal: SIGKILL)
                    }
                }
            }
        }
        let ids = await acknowledged.ids
        #expect(ids.count >= killAfter)

        let restarted = try await RunningServer.start(dataDirectory: data, extraArguments: ["--workers", "2", "--visibility-timeout", "2"])
        defer { _ = restarted.stop() }
        for (id, _) in ids {
            let record = try await restarted.waitUntilFinal(id)
            #expect(record.status == .prOpened, "\(id): \(record.status) \(String(describing: record.reason))")
        }
        let branches = try restarted.git("for-each-ref", "--format=%(refname:short)", "refs/heads/rds")
            .split(separator: "\n").map(String.init)
        // Every acknowledged request has its branch. A request committed but killed before its
        // 202 was written may have one too (it was stored, so it is processed): that is not a loss.
        #expect(Set(ids.values.map { "rds/dev/\($0)" }).isSubset(of: Set(branches)))
        #expect(branches.allSatisfy { $0.hasPrefix("rds/dev/burst_") })
        for branch in branches {
            #expect(try restarted.git("rev-list", "--count", "main..\(branch)").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        }
    }
}

actor AcknowledgedIds {
    var ids: [String: String] = [:]
    func add(_ id: String, name: String) -> Int {
        ids[id] = name
        return ids.count
    }
}
