import ProvisionerService

/// The names of the metrics `GET /metrics` exports (documented in docs/http-api.md; the
/// Prometheus names are the contract of dashboards and alerts).
public enum MetricNames {
    /// Counter, labels `route` (the path template, or `unmatched`) and `status` (HTTP status code).
    public static let httpRequests = "rds_provisioner_http_requests_total"
    /// Histogram (swift-metrics `Timer`), label `route`: time to answer an HTTP request.
    public static let httpRequestDuration = "rds_provisioner_http_request_duration_seconds"
    /// Counter, labels `outcome` (`accepted`, `rejected`, `duplicate`, `error`) and, unless
    /// accepted, `code` (the error code answered): what became of each `POST /provision`.
    public static let intake = "rds_provisioner_intake_total"
    /// Gauge, label `state` (`visible`, `in_flight`, `delayed`, `dead`): messages in the request
    /// queue, read from the `QueueStatsProvider` at each scrape.
    public static let queueMessages = "rds_provisioner_queue_messages"
    /// Gauge: seconds since the oldest message waiting to be received was sent (0 when none waits).
    public static let queueOldestMessageAge = "rds_provisioner_queue_oldest_message_age_seconds"
    /// Histogram (swift-metrics `Timer`): time the worker spent on one queue message. Recorded by
    /// the worker (`RequestProcessor`).
    public static let processingDuration = RequestProcessor.processingMetric
    /// Counter, label `status`: requests that reached a final status. Recorded by the worker.
    public static let requestOutcomes = RequestProcessor.outcomeMetric
}
