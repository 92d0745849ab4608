import Foundation
import ProvisionerCore
import ProvisionerService
import Synchronization
import TestSupport

@testable import ProvisionerSQLite

/// A clock the test moves by hand (visibility timeouts and delays without sleeping).
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    func now() -> Date { current.withLock { $0 } }

    func advance(_ duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.seconds) }
    }
}

/// A database file in a fresh temporary directory.
struct TestDatabase {
    let directory: URL
    let path: String
    let options: SQLiteDatabase.Options

    init(clock: ManualClock? = nil, pollInterval: Duration = .seconds(3600)) throws {
        directory = try TestEnvironment.makeTemporaryDirectory("provisioner-sqlite")
        path = directory.appendingPathComponent("provisioner.sqlite").path
        var options = SQLiteDatabase.Options()
        options.crossProcessPollInterval = pollInterval
        if let clock { options.now = { clock.now() } }
        self.options = options
    }

    /// Opens the file (again): a second open stands for another process sharing it.
    func open() throws -> SQLiteDatabase {
        try SQLiteDatabase(path: path, options: options)
    }
}

func validated(_ name: String, environment: String = "Dev", engine: DatabaseEngine = .postgresql) -> ValidatedRequest {
    let slug = environment.lowercased()
    return ValidatedRequest(
        request: ProvisionRequest(databaseName: name, databaseEngine: engine, environment: environment),
        environmentSlug: slug, clusterIdentifier: "\(name.replacingOccurrences(of: "_", with: "-"))-\(slug)",
        stackPath: "stacks/\(slug)/\(name)", branch: "rds/\(slug)/\(name)")
}

func submission(_ name: String, environment: String = "Dev", requestId: String = UUID().uuidString.lowercased(),
                at: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> Submission {
    let request = validated(name, environment: environment)
    let body = #"{"databaseEngine":"PostgreSQL","databaseName":"\#(name)","environment":"\#(environment)"}"#
    let message = SNSEnvelope(messageId: requestId, topicArn: SNSEnvelope.localTopicArn, message: body, timestamp: at).encoded()
    return Submission(requestId: requestId, validated: request, message: message, receivedAt: at)
}

/// Copies the database files as they are on disk right now, while the database is still open,
/// as a SIGKILL would leave them (no checkpoint, no clean close; the WAL is recovered on open).
func crashCopy(of test: TestDatabase) throws -> TestDatabase {
    let copy = try TestDatabase()
    for suffix in ["", "-wal"] {
        let source = URL(fileURLWithPath: test.path + suffix)
        if FileManager.default.fileExists(atPath: source.path) {
            try FileManager.default.copyItem(at: source, to: URL(fileURLWithPath: copy.path + suffix))
        }
    }
    return TestDatabase(copyOf: copy, options: test.options)
}

extension TestDatabase {
    fileprivate init(copyOf other: TestDatabase, options: SQLiteDatabase.Options) {
        self.directory = other.directory
        self.path = other.path
        self.options = options
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "no result within \(limit): the operation was never woken up" }
}

/// The task's value, or `DeadlineExceeded` (and the task cancelled) if it takes longer than
/// `limit`. A guard against hanging on a missing wake-up, not a speed check: the limits are
/// far beyond anything a working implementation needs, and far below the waits under test.
func value<T: Sendable>(of task: Task<T, any Error>, within limit: Duration = .seconds(60)) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await task.value }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next(), let value = result else {
            task.cancel()
            throw DeadlineExceeded(limit: limit)
        }
        return value
    }
}
