/// Where a request is in its life. Raw values are the public `status` strings.
///
///     queued → processing → pr_opened → merged
///                        ↘ rejected   (permanent: invalid, duplicate, already provisioned)
///                        ↘ failed     (retries exhausted; the last error is the reason)
public enum RequestStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued
    case processing
    case prOpened = "pr_opened"
    case merged
    case rejected
    case failed

    /// A final status never changes again (except `pr_opened` → `merged`).
    public var isFinal: Bool {
        switch self {
        case .queued, .processing: false
        case .prOpened, .merged, .rejected, .failed: true
        }
    }

    /// Whether a status may follow this one. Statuses never go backwards; `processing` may
    /// repeat (a redelivery), and `pr_opened` may be recorded again by a redelivery that finds
    /// the pull request already open.
    public func canMove(to next: RequestStatus) -> Bool {
        switch (self, next) {
        case (.queued, .processing), (.queued, .rejected), (.queued, .failed), (.queued, .prOpened): true
        case (.processing, .processing), (.processing, .prOpened), (.processing, .rejected), (.processing, .failed): true
        case (.prOpened, .merged): true
        default: false
        }
    }
}
