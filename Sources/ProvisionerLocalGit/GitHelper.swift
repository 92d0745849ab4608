import Foundation
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A long-lived git process that answers requests on stdin with replies on stdout
/// (`git cat-file --batch`, `git update-ref --stdin`).
///
/// The process runs inside one `Subprocess.run` call that lasts as long as the helper; requests
/// reach it through a stream and are answered one at a time, in order. If git exits or replies
/// unexpectedly, the request fails with git's stderr and the helper stops (`isRunning` becomes
/// false); its owner starts a new one.
final class GitHelper: Sendable {
    let command: String
    private let jobs: AsyncStream<Job>.Continuation
    private let running = RunningFlag()

    /// Whether the process is still there to answer.
    var isRunning: Bool { running.value }

    init(context: GitContext, arguments: [String]) {
        GitHelper.ignoreSIGPIPE
        let command = "git " + arguments.joined(separator: " ")
        self.command = command
        let (stream, jobs) = AsyncStream.makeStream(of: Job.self)
        self.jobs = jobs
        let configuration = Configuration(
            executable: .name("git"), arguments: Arguments(context.arguments(arguments)),
            environment: GitCommand.environment, workingDirectory: FilePath(context.gitDirectory))
        let running = self.running
        Task {
            await GitHelper.serve(configuration, command: command, stream: stream, jobs: jobs, running: running)
        }
    }

    deinit { jobs.finish() }

    /// Sends `input`, then reads the reply with `read`.
    func exchange<T: Sendable>(
        _ input: [UInt8], read: @escaping @Sendable (inout ReplyReader) async throws(LocalGitError) -> T
    ) async throws(LocalGitError) -> T {
        let result: Result<T, LocalGitError> = await withCheckedContinuation { continuation in
            let job = Job(
                input: input,
                run: { reader throws(LocalGitError) in
                    continuation.resume(returning: .success(try await read(&reader)))
                },
                fail: { continuation.resume(returning: .failure($0)) })
            if case .terminated = jobs.yield(job) {
                continuation.resume(returning: .failure(.gitFailed(command: command, message: "git stopped", transient: true)))
            }
        }
        return try result.get()
    }

    /// Closes git's input; git exits.
    func close() {
        running.stop()
        jobs.finish()
    }

    /// One request: `run` resumes the caller on success; on failure the helper calls `fail` once
    /// git has exited, with what git printed on stderr.
    struct Job: Sendable {
        var input: [UInt8]
        var run: @Sendable (inout ReplyReader) async throws(LocalGitError) -> Void
        var fail: @Sendable (LocalGitError) -> Void
    }

    private static func serve(
        _ configuration: Configuration, command: String, stream: AsyncStream<Job>, jobs: AsyncStream<Job>.Continuation,
        running: RunningFlag
    ) async {
        // The request that was being answered when git failed (its caller is still waiting).
        var failed: (job: Job, error: LocalGitError)?
        var stopped: LocalGitError
        do {
            let result = try await Subprocess.run(
                configuration, input: .inputWriter, output: .sequence, error: .string(limit: 1024 * 1024)
            ) { execution in
                var reader = ReplyReader(execution.standardOutput.makeAsyncIterator(), command: command)
                for await job in stream {
                    do {
                        _ = try await execution.standardInputWriter.write(job.input)
                    } catch {
                        failed = (job, .gitFailed(command: command, message: "git stopped reading: \(error)", transient: true))
                        return
                    }
                    do throws(LocalGitError) {
                        try await job.run(&reader)
                    } catch {
                        failed = (job, error)
                        return
                    }
                }
                try await execution.standardInputWriter.finish()
            }
            let stderr = result.standardError
            stopped = stderr.isEmpty
                ? .gitFailed(command: command, message: "git exited", transient: true)
                : LocalGitError.classify(command: command, stderr: stderr)
            // git's own message says more than "it stopped": prefer it when there is one.
            if !stderr.isEmpty, let failure = failed { failed = (failure.job, stopped) }
        } catch let error as SubprocessError where error.code == .executableNotFound {
            stopped = .gitNotFound
        } catch {
            stopped = LocalGitError.launchFailure(
                command: command, directory: configuration.workingDirectory?.string ?? "", error: error)
        }
        // Stopped before anyone hears of the failure: the owner's next request starts a new helper.
        running.stop()
        if let failed { failed.job.fail(failed.error) }
        // Requests that were queued behind the failure, or arrive before the owner notices.
        jobs.finish()
        for await job in stream { job.fail(stopped) }
    }

    /// A git helper that dies must surface as an error, not end the service with SIGPIPE.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
}

private final class RunningFlag: Sendable {
    private let flag = Atomic<Bool>(true)
    var value: Bool { flag.load(ordering: .acquiring) }
    func stop() { flag.store(false, ordering: .releasing) }
}

/// Reads a helper's replies: lines, and exact byte counts (object contents).
struct ReplyReader {
    private var iterator: SubprocessOutputSequence.Iterator
    private let command: String
    private var buffer = [UInt8]()
    private var position = 0

    init(_ iterator: SubprocessOutputSequence.Iterator, command: String) {
        self.iterator = iterator
        self.command = command
    }

    /// The next line, without its `\n`.
    mutating func line() async throws(LocalGitError) -> [UInt8] {
        var scanned = 0  // bytes after `position` known to hold no newline
        while true {
            if let newline = buffer[(position + scanned)...].firstIndex(of: 10) {
                let line = Array(buffer[position..<newline])
                position = newline + 1
                return line
            }
            scanned = buffer.count - position
            try await fill()
        }
    }

    /// Exactly `count` bytes.
    mutating func bytes(_ count: Int) async throws(LocalGitError) -> [UInt8] {
        while buffer.count - position < count { try await fill() }
        let bytes = Array(buffer[position..<(position + count)])
        position += count
        return bytes
    }

    /// Appends the next chunk of output, first dropping what was consumed (`position` becomes 0).
    private mutating func fill() async throws(LocalGitError) {
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        let chunk: SubprocessOutputSequence.Buffer?
        do {
            chunk = try await iterator.next()
        } catch {
            throw .gitFailed(command: command, message: "reading from git failed: \(error)", transient: true)
        }
        guard let chunk else {
            throw .gitFailed(command: command, message: "git exited", transient: true)
        }
        chunk.withUnsafeBytes { buffer.append(contentsOf: $0) }
    }
}
