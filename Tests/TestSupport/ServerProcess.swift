import Foundation
import Synchronization

/// A long-running child process (e.g. `rds-provisioner serve`) whose output the test reads
/// line by line, waiting for a line that matches (readiness is an event, never a sleep).
public final class ServerProcess: Sendable {
    public let process: Process
    private let lines: Mutex<[String]>
    private let waiters: Mutex<[(pattern: String, continuation: CheckedContinuation<String?, Never>)]>
    private let ended = Atomic<Bool>(false)

    /// The built `rds-provisioner` executable (the one `swift build` made for these tests).
    public static var provisionerExecutable: URL {
        TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/rds-provisioner")
    }

    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        lines = Mutex([])
        waiters = Mutex([])
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    received(line)
                }
            }
            ended.store(true, ordering: .releasing)
            let pending = waiters.withLock { waiters in
                defer { waiters.removeAll() }
                return waiters
            }
            for waiter in pending { waiter.continuation.resume(returning: nil) }
        }
    }

    private func received(_ line: String) {
        lines.withLock { $0.append(line) }
        let ready = waiters.withLock { waiters in
            let ready = waiters.filter { line.contains($0.pattern) }
            waiters.removeAll { line.contains($0.pattern) }
            return ready
        }
        for waiter in ready { waiter.continuation.resume(returning: line) }
    }

    /// Everything the process printed so far.
    public var output: [String] { lines.withLock { $0 } }

    /// Waits for the first line containing `pattern` (already printed or yet to come); nil if
    /// the process ends first.
    public func waitForLine(containing pattern: String) async -> String? {
        await withCheckedContinuation { continuation in
            let found: String?? = waiters.withLock { waiters in
                if let line = lines.withLock({ $0.first { $0.contains(pattern) } }) { return .some(line) }
                if ended.load(ordering: .acquiring) { return .some(nil) }
                waiters.append((pattern, continuation))
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    /// Sends a signal (SIGTERM for a graceful stop, SIGKILL for a crash; 0 sends none, to wait for
    /// a process that exits by itself) and waits for the exit.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        if signal != 0, process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
