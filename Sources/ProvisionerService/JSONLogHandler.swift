#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import ProvisionerCore
import Synchronization

/// One JSON object per line: `{"time":…,"level":…,"logger":…,"message":…,<metadata>}`.
/// For log pipelines (CloudWatch Logs Insights, Loki); `serve --log-format text` keeps swift-log's
/// plain format for people. Metadata keys are the same in both (`requestId`, `status`, …).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: JSONLogOutput

    public init(label: String, output: JSONLogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{\"time\":"
        Self.appendString(PublicJSON.formatTimestamp(Date()), to: &line)
        line += ",\"level\":"
        Self.appendString(event.level.rawValue, to: &line)
        line += ",\"logger\":"
        Self.appendString(label, to: &line)
        line += ",\"message\":"
        Self.appendString(event.message.description, to: &line)
        for key in merged.keys.sorted() where !["time", "level", "logger", "message"].contains(key) {
            line += ","
            Self.appendString(key, to: &line)
            line += ":"
            Self.appendString(merged[key]!.description, to: &line)
        }
        line += "}\n"
        output.write(line)
    }

    /// Appends `text` as a JSON string literal.
    static func appendString(_ text: String, to line: inout String) {
        line.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line.append("\\\"")
            case "\\": line.append("\\\\")
            case "\n": line.append("\\n")
            case "\r": line.append("\\r")
            case "\t": line.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                line.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line.append("\"")
    }
}

/// Where JSON log lines go: a standard stream (whole lines, written under a lock so concurrent
/// tasks never interleave) or, in tests, a closure.
public struct JSONLogOutput: Sendable {
    let write: @Sendable (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }

    private static let lock = Mutex(())

    /// Writes whole lines to a file descriptor with one `write(2)` each, under a lock.
    public static func fileDescriptor(_ descriptor: Int32) -> JSONLogOutput {
        JSONLogOutput { line in
            lock.withLock { _ in
                var utf8 = Array(line.utf8)
                var offset = 0
                while offset < utf8.count {
                    let written = utf8.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }

    public static let standardError = fileDescriptor(2)
    public static let standardOutput = fileDescriptor(1)
}
