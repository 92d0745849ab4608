#if os(Linux)
import Foundation
import ProvisionerService
import Synchronization
import Testing
import TestSupport

@testable import ProvisionerSQLite

/// A real crash: a child process (this test binary, running `crashChildKeepsSubmitting`) submits
/// from many tasks at once and prints each acknowledged request id; the test kills it with
/// SIGKILL in the middle of the stream of group commits, reopens the file and finds every
/// acknowledged submission whole (record, claim and message), and nothing half-written.
@Suite("SQLite: SIGKILL")
struct CrashTests {
    static let childDatabaseVariable = "PROVISIONER_SQLITE_CRASH_CHILD_DB"
    static let childRoundVariable = "PROVISIONER_SQLITE_CRASH_CHILD_ROUND"

    @Test func sigkillLosesNoAcknowledgedSubmission() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("provisioner-sqlite-crash")
        let path = directory.appendingPathComponent("provisioner.sqlite").path
        let testBinary = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        var acknowledged: [String] = []

        // Several crashes in a row on the same file: each child also recovers the previous one.
        for round in 1...4 {
            let child = try ServerProcess(
                testBinary, ["--testing-library", "swift-testing", "--filter", "crashChildKeepsSubmitting"],
                environment: [Self.childDatabaseVariable: path, Self.childRoundVariable: "\(round)"])
            let enough = await child.waitForLine(containing: "ACKED 1000 ")
            try #require(enough != nil, "the child stopped before 1000 acknowledgements: \(child.output.suffix(20))")
            child.stop(signal: SIGKILL)
            acknowledged += child.output.compactMap { line -> String? in
                let parts = line.split(separator: " ")
                return parts.count == 3 && parts[0] == "ACKED" ? String(parts[2]) : nil
            }
        }
        #expect(acknowledged.count >= 4000)

        let database = try SQLiteDatabase(path: path)
        let store = SQLiteStatusStore(database: database)
        var lost: [String] = []
        for requestId in acknowledged where try await store.get(requestId)?.status != .queued {
            lost.append(requestId)
        }
        #expect(lost.count == 0, "\(lost.count) of \(acknowledged.count) acknowledged submissions were lost, e.g. \(lost.prefix(3))")
        // Each submission is whole or absent: as many claims and messages as records.
        let counts = try await database.pool.read { db in
            try ["request", "stack_claim", "queue_message"].map { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? -1 }
        }
        #expect(counts[0] == counts[1] && counts[1] == counts[2], "records, claims, messages: \(counts)")
    }

    /// The child half of the test above; it only runs in the child process.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childDatabaseVariable] != nil))
    func crashChildKeepsSubmitting() async throws {
        let path = try #require(ProcessInfo.processInfo.environment[Self.childDatabaseVariable])
        let round = ProcessInfo.processInfo.environment[Self.childRoundVariable] ?? "0"
        let intake = SQLiteIntake(database: try SQLiteDatabase(path: path))
        let acknowledged = Counter()
        let output = FileHandle.standardOutput
        let deadline = ContinuousClock.now + .seconds(120)  // never outlive a parent that died
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    var index = 0
                    while ContinuousClock.now < deadline {
                        let sub = submission("r\(round)_c\(worker)_\(index)")
                        try await intake.submit(sub)
                        let count = acknowledged.value.add(1, ordering: .relaxed).newValue
                        // Unbuffered: a line the parent reads was acknowledged before it was written.
                        output.write(Data("ACKED \(count) \(sub.requestId)\n".utf8))
                        index += 1
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
#endif
