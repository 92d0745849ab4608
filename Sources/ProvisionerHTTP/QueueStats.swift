import Foundation

/// How many messages the request queue holds, by state, read at each `/metrics` scrape and
/// exported as `rds_provisioner_queue_messages{state="visible"|"in_flight"|"delayed"|"dead"}`
/// and `rds_provisioner_queue_oldest_message_age_seconds`. Mirrors SQS's Approximate*
/// attributes (and `SQLiteQueue.depth()`).
public struct QueueStats: Sendable, Hashable {
    /// Can be received now.
    public var visible: Int
    /// Received by a worker and not yet deleted (hidden for the visibility timeout).
    public var inFlight: Int
    /// Sent with a delay not yet over.
    public var delayed: Int
    /// In the dead-letter queue (maximum receives exceeded).
    public var dead: Int
    /// When the oldest receivable message was sent; `nil` when none is waiting.
    public var oldestVisibleSentAt: Date?

    public init(visible: Int, inFlight: Int, delayed: Int = 0, dead: Int, oldestVisibleSentAt: Date? = nil) {
        self.visible = visible
        self.inFlight = inFlight
        self.delayed = delayed
        self.dead = dead
        self.oldestVisibleSentAt = oldestVisibleSentAt
    }
}

/// Reads the queue's stats when `/metrics` is scraped.
public typealias QueueStatsProvider = @Sendable () async throws -> QueueStats
