import Logging
import Synchronization

/// A log handler that keeps every event, at every level, as the text a log line would hold
/// (message, metadata, error), so a test can search everything that was logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    /// A logger at `.trace` whose output lands here.
    func logger(_ label: String = "github-test") -> Logger {
        Logger(label: label) { label in Handler(label: label, capture: self) }
    }

    struct Handler: LogHandler {
        let label: String
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let error = event.error.map { " error=\(String(reflecting: $0))" } ?? ""
            capture.append("\(event.level) \(label): \(event.message) \(fields)\(error)")
        }
    }
}
