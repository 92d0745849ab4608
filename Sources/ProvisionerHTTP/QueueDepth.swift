/// How many messages the request queue holds, by state; exported on `GET /metrics` as
/// `rds_provisioner_queue_messages{state="visible"|"in_flight"|"dead"}`.
public struct QueueDepth: Sendable, Hashable {
    /// Waiting to be received.
    public var visible: Int
    /// Received by a worker and not yet deleted (hidden for the visibility timeout).
    public var inFlight: Int
    /// In the dead-letter queue (maximum receives exceeded).
    public var dead: Int

    public init(visible: Int, inFlight: Int, dead: Int) {
        self.visible = visible
        self.inFlight = inFlight
        self.dead = dead
    }
}

/// Reads the queue depth when `/metrics` is scraped (the SQLite queue locally).
public typealias QueueDepthProvider = @Sendable () async throws -> QueueDepth
